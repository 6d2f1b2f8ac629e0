import { appendAudit } from '../audit/audit.repo.ts';
import type { Tx } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { message } from '../i18n/messages.ts';
import { lockAccountViolations } from '../violations/violations.repo.ts';
import {
  clearHeldViolations,
  findException,
  listExceptions,
  lockOpenException,
  resolveException,
  settleHeldViolations,
} from './exceptions.repo.ts';

type ExceptionRow = NonNullable<Awaited<ReturnType<typeof findException>>>;

function presentException(row: ExceptionRow) {
  return {
    id: row.id.toString(),
    kind: row.kind,
    runId: row.run_id?.toString() ?? null,
    status: row.status,
    details: row.details,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by?.toString() ?? null,
    resolution: row.resolution,
    resolvedByRun: row.resolved_by_run?.toString() ?? null,
    paymentId: row.payment_id?.toString() ?? null,
    paymentNumberId: row.payment_number_id?.toString() ?? null,
    resolutionNote: row.resolution_note,
  };
}

export async function listAccountExceptions(
  trx: Tx,
  accountId: bigint,
  filter: { status?: string; kind?: string; limit: number; before?: bigint },
) {
  const rows = await listExceptions(trx, accountId, { ...filter, limit: filter.limit + 1 });
  const page = rows.slice(0, filter.limit);
  return {
    exceptions: page.map(presentException),
    nextCursor: rows.length > filter.limit ? page.at(-1)!.id.toString() : null,
  };
}

async function lockForDecision(trx: Tx, accountId: bigint, exceptionId: bigint) {
  const open = await lockOpenException(trx, accountId, exceptionId);
  if (!open) {
    const any = await findException(trx, accountId, exceptionId);
    if (!any)
      throw new DomainError('exception_not_found', 'no such exception in this account', { status: 404 });
    throw new DomainError('exception_resolved', `this exception is already ${any.status}`, { status: 409 });
  }
  return open;
}

/**
 * An accountant resolves a payment exception (a mismatch, an unknown, superseded or expired
 * number, a duplicate, a payment the authority has not booked, a settlement without our payment)
 * with a note saying what was done; the note and who wrote it are kept and audited.
 */
export async function resolveWithNote(
  trx: Tx,
  accountId: bigint,
  exceptionId: bigint,
  note: string,
  actor: { userId: bigint | null; tokenId: bigint | null; ip: string | null },
) {
  const open = await lockForDecision(trx, accountId, exceptionId);
  if (open.kind === 'suspect_mass_settlement') {
    throw new DomainError('exception_kind', message('en', 'payments.exception_use_decision'), {
      status: 409,
    });
  }
  await resolveException(trx, accountId, exceptionId, 'resolved', actor.userId, note);
  await appendAudit(trx, {
    accountId,
    actorUserId: actor.userId,
    actorTokenId: actor.tokenId,
    ip: actor.ip,
    action: 'exception.resolved',
    target: `exception:${exceptionId}`,
    details: { kind: open.kind, note, paymentId: open.payment_id?.toString() ?? null },
  });
  return presentException((await findException(trx, accountId, exceptionId))!);
}

/**
 * A person decides a held mass settlement: `confirm` settles the violations still held (they
 * really were paid or dropped), `dismiss` keeps them outstanding and clears the suspicion.
 */
export async function decideSuspectSettlement(
  trx: Tx,
  accountId: bigint,
  exceptionId: bigint,
  decision: 'confirm' | 'dismiss',
  actor: { userId: bigint | null; tokenId: bigint | null; ip: string | null },
) {
  const open = await lockForDecision(trx, accountId, exceptionId);
  if (open.kind !== 'suspect_mass_settlement' || open.run_id === null) {
    throw new DomainError('exception_kind', `a ${open.kind} exception is not decided this way`, {
      status: 409,
    });
  }
  await lockAccountViolations(trx, accountId);
  const violations =
    decision === 'confirm'
      ? await settleHeldViolations(trx, accountId, open.run_id)
      : await clearHeldViolations(trx, accountId, open.run_id);
  if (violations === 0) {
    // Nothing is held under it any more: deciding it would record a decision that changed nothing.
    throw new DomainError('exception_nothing_held', 'no violation is held under this exception any more', {
      status: 409,
    });
  }
  await resolveException(
    trx,
    accountId,
    exceptionId,
    decision === 'confirm' ? 'confirmed' : 'dismissed',
    actor.userId,
  );
  await appendAudit(trx, {
    accountId,
    actorUserId: actor.userId,
    actorTokenId: actor.tokenId,
    ip: actor.ip,
    action: `exception.${decision === 'confirm' ? 'confirmed' : 'dismissed'}`,
    target: `exception:${exceptionId}`,
    details: { kind: open.kind, violations },
  });
  return { ...presentException((await findException(trx, accountId, exceptionId))!), violations };
}
