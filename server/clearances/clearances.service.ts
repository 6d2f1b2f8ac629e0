/**
 * Clearance certificates (مخالصة / براءة ذمة): issued for a vehicle with nothing outstanding as of
 * its last successful lookup, refused with the reason otherwise; verifiable by a code that is 160
 * random bits (stored only as its hash), revoked by a person with a reason or by a later run that
 * finds a fine committed before the certificate's as-of time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { findAccount } from '../accounts/accounts.repo.ts';
import { appendAudit } from '../audit/audit.repo.ts';
import type { Database } from '../db/database.ts';
import { withoutNestedLoops } from '../db/planner.ts';
import type { Tx } from '../db/tenant.ts';
import { findDocument } from '../documents/documents.repo.ts';
import { downloadDocument, storeDocument } from '../documents/documents.service.ts';
import { DomainError, notFound } from '../errors.ts';
import { bilingual, message } from '../i18n/messages.ts';
import { reasonAr } from '../i18n/reasons.ts';
import { writeCertificatePdf } from './certificate-pdf.ts';
import {
  findClearance,
  findVehicle,
  insertClearance,
  lastLookup,
  listClearances,
  outstandingOfVehicle,
  revokeClearance,
  revokeDisprovedClearances,
  verifyClearance,
} from './clearances.repo.ts';

export interface Actor {
  userId: bigint | null;
  tokenId: bigint | null;
  ip: string | null;
}

type ClearanceRow = NonNullable<Awaited<ReturnType<typeof findClearance>>>;

const BASE32 = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** 160 random bits as 32 unambiguous characters in groups of four. */
export function newVerificationCode(): string {
  const bytes = randomBytes(20);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join('-');
}

/** Codes are compared in one canonical form: upper case, no separators. */
export const codeHash = (code: string) =>
  createHash('sha256')
    .update(code.toUpperCase().replace(/[^A-Z0-9]/g, ''))
    .digest('hex');

export const certificateKey = (clearanceId: bigint) => ({
  kind: 'clearance_certificate' as const,
  subject: `clearance:${clearanceId}`,
  format: 'pdf' as const,
  language: 'ar+en' as const,
});

export function presentClearance(row: ClearanceRow) {
  return {
    id: row.id.toString(),
    vehicleId: row.vehicle_id.toString(),
    plate: row.plate_display,
    asOf: row.as_of,
    asOfRunId: row.as_of_run_id.toString(),
    status: row.status,
    issuedAt: row.created_at,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
    revokedByRun: row.revoked_by_run?.toString() ?? null,
    certificate: `/api/v1/clearances/${row.id}/certificate.pdf`,
  };
}

const refused = (code: string, text: { en: string; ar: string }, details: Record<string, unknown>) =>
  new DomainError(`clearance.${code}`, text.en, { status: 409, details: { ...details, messageAr: text.ar } });

export async function issueClearance(
  trx: Tx,
  accountId: bigint,
  vehicleId: bigint,
  actor: Actor,
  publicUrl: string,
  now: Date,
) {
  const vehicle = await findVehicle(trx, accountId, vehicleId);
  if (!vehicle)
    throw new DomainError('vehicle_not_found', 'no such vehicle in this account', { status: 404 });
  const lookup = await lastLookup(trx, accountId, vehicleId);
  if (!lookup) {
    throw refused('never_looked_up', bilingual('statements.clearance_refused_never'), {
      vehicleId: vehicleId.toString(),
    });
  }
  if (lookup.status !== 'ok' || !lookup.answered_at) {
    throw refused('lookup_failed', bilingual('statements.clearance_refused_stale'), {
      vehicleId: vehicleId.toString(),
      lookup: {
        runId: lookup.run_id.toString(),
        status: lookup.status,
        attempts: lookup.attempts,
        reason: lookup.last_error,
        reasonAr: reasonAr('lookup', lookup.last_error),
      },
    });
  }
  const outstanding = await outstandingOfVehicle(trx, accountId, vehicleId);
  if (outstanding.length > 0) {
    throw refused(
      'outstanding',
      bilingual('statements.clearance_refused_outstanding', { count: outstanding.length }),
      {
        vehicleId: vehicleId.toString(),
        violations: outstanding.map((v) => ({
          ticketNumber: v.ticket_number,
          amountMinor: v.amount_minor.toString(),
          offenceAt: v.offence_at,
          held: v.suspect_since_run !== null,
        })),
      },
    );
  }
  const account = (await findAccount(trx, accountId))!;
  const code = newVerificationCode();
  const row = await insertClearance(trx, {
    accountId,
    vehicleId,
    plateDisplay: vehicle.plate_display,
    asOf: lookup.answered_at,
    asOfRunId: lookup.run_id,
    codeHash: codeHash(code),
    issuedBy: actor.userId,
    issuedByToken: actor.tokenId,
  });
  const verifyUrl = `${publicUrl.replace(/\/$/, '')}/verify/${code}`;
  const bytes = await writeCertificatePdf({
    account: {
      nameAr: account.legal_name_ar,
      nameEn: account.legal_name_en,
      registryNumber: account.registry_number,
      jurisdiction: account.jurisdiction,
      timeZone: account.time_zone,
    },
    vehicle: { plate: vehicle.plate_display, registrationNumber: vehicle.registration_number },
    certificateId: row.id,
    asOf: row.as_of,
    issuedAt: now,
    code,
    verifyUrl,
  });
  await storeDocument(trx, accountId, certificateKey(row.id), {
    fileName: `clearance_${account.registry_number}_${vehicle.plate_key.replace(/[^\p{L}\p{N}-]+/gu, '-')}_${row.id}.pdf`,
    bytes,
  });
  await appendAudit(trx, {
    accountId,
    actorUserId: actor.userId,
    actorTokenId: actor.tokenId,
    ip: actor.ip,
    action: 'clearance.issued',
    target: `clearance:${row.id}`,
    details: { vehicleId: vehicleId.toString(), asOf: row.as_of.toISOString() },
  });
  // The code is shown once, here and on the certificate; only its hash is kept.
  return { ...presentClearance(row), code, verifyUrl };
}

export async function clearancesOfAccount(
  trx: Tx,
  accountId: bigint,
  filter: { vehicleId?: bigint; status?: string; limit: number; before?: bigint },
) {
  const rows = await listClearances(trx, accountId, { ...filter, limit: filter.limit + 1 });
  const page = rows.slice(0, filter.limit);
  return {
    clearances: page.map(presentClearance),
    nextCursor: rows.length > filter.limit ? page.at(-1)!.id.toString() : null,
  };
}

export async function getClearance(trx: Tx, accountId: bigint, id: bigint): Promise<ClearanceRow> {
  const row = await findClearance(trx, accountId, id);
  if (!row)
    throw new DomainError('clearance_not_found', 'no such clearance certificate in this account', {
      status: 404,
    });
  return row;
}

/** The certificate as issued, for download (audited). */
export async function certificateDownload(trx: Tx, accountId: bigint, id: bigint, actor: Actor) {
  await getClearance(trx, accountId, id);
  const document = await findDocument(trx, accountId, certificateKey(id));
  if (!document) throw notFound('certificate', 'no such certificate in this account');
  return downloadDocument(trx, accountId, document, actor);
}

export async function revokeByPerson(trx: Tx, accountId: bigint, id: bigint, reason: string, actor: Actor) {
  const existing = await getClearance(trx, accountId, id);
  if (existing.status === 'revoked') {
    throw new DomainError('clearance.already_revoked', 'the certificate is already revoked', {
      status: 409,
      details: { revokedAt: existing.revoked_at, reason: existing.revoke_reason },
    });
  }
  const row = (await revokeClearance(trx, accountId, id, {
    userId: actor.userId,
    tokenId: actor.tokenId,
    reason,
  }))!;
  await appendAudit(trx, {
    accountId,
    actorUserId: actor.userId,
    actorTokenId: actor.tokenId,
    ip: actor.ip,
    action: 'clearance.revoked',
    target: `clearance:${id}`,
    details: { reason },
  });
  return presentClearance(row);
}

/**
 * After a run: certificates it proved wrong are revoked, each with the fine that did it. The
 * run's change lines are read whole, seconds after the night wrote them and before the planner's
 * statistics know them: a nested loop of the run's lines against the account's certificates is
 * quadratic (more than a minute for 49,000 lines and 10,000 certificates), hash joins linear.
 */
export async function revokeForLateFines(trx: Tx, accountId: bigint, runId: bigint): Promise<number> {
  const template = message('en', 'statements.clearance_revoked_late_fine', { ticket: '%s' });
  const revoked = await withoutNestedLoops(trx, () =>
    revokeDisprovedClearances(trx, accountId, runId, template),
  );
  if (revoked.length > 0) {
    await appendAudit(
      trx,
      ...revoked.map((r) => ({
        accountId,
        action: 'clearance.revoked',
        target: `clearance:${r.id}`,
        details: { runId: runId.toString(), ticketNumber: r.ticket_number, automatic: true },
      })),
    );
  }
  return revoked.length;
}

/** What the public page may say: valid or revoked, the plate, the as-of time. Nothing else. */
export async function verifyCode(db: Database, code: string) {
  if (!/^[A-Za-z0-9-]{16,64}$/.test(code)) return undefined;
  const row = await verifyClearance(db, codeHash(code));
  if (!row) return undefined;
  return {
    status: row.status as 'valid' | 'revoked',
    plate: row.plate_display,
    asOf: row.as_of,
    revokedAt: row.revoked_at,
    timeZone: row.time_zone,
  };
}
