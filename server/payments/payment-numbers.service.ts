import { findAccount } from '../accounts/accounts.repo.ts';
import type { AuthorityIssuer, IssuanceItem } from '../authority/issuance-client.ts';
import type { Database } from '../db/database.ts';
import { withoutNestedLoops } from '../db/planner.ts';
import { type Tx, withTenant } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { bilingual } from '../i18n/messages.ts';
import { type JurisdictionCode, type JurisdictionProfile, jurisdictions } from '../jurisdictions/profiles.ts';
import { lockAccountViolations } from '../violations/violations.repo.ts';
import { channelCosts, maxValidityEnd } from './due.ts';
import { composePaymentNumber, type PaymentNumberKind, PRODUCT_ISSUER_DIGIT } from './payment-number.ts';
import {
  type DueRules,
  dropChangedGroups,
  dropStaging,
  expireNumbers,
  type IssuedNumber,
  insertIssuedNumbers,
  type LineRow,
  type NumberRow,
  nextPaymentOrderSerials,
  openNumbersOfStagedGroups,
  type Selection,
  type StagedGroup,
  stagedGroupCount,
  stagedGroupsWithoutNumber,
  stagedLinesWithoutNumber,
  stagePayableGroups,
  supersedeChangedNumbers,
  supersedeIncompleteNumbers,
} from './payment-numbers.repo.ts';

export interface IssueRequest {
  accountId: bigint;
  kind: PaymentNumberKind;
  selection: Selection;
  now: Date;
  runId?: bigint | null;
  requestedBy?: bigint | null;
}

export interface IssueOutcome {
  numbers: NumberRow[];
  /** Numbers this call recorded (the rest were already open for the same sets). */
  issued: number;
  /** Sets the authority refused, with its reason; they get no number. */
  refused: Array<{ lines: number; code: string; message: string }>;
  jurisdiction: JurisdictionCode;
}

async function accountProfile(trx: Tx, accountId: bigint): Promise<JurisdictionProfile> {
  const account = await findAccount(trx, accountId);
  if (!account) throw new DomainError('account_not_found', 'no such account', { status: 404 });
  return jurisdictions[account.jurisdiction as JurisdictionCode];
}

/** Expires what has run out and supersedes what no longer matches the authority, before anything is looked up. */
async function refreshOpenNumbers(trx: Tx, accountId: bigint, now: Date) {
  await expireNumbers(trx, accountId, now);
  return supersedeChangedNumbers(trx, accountId, now);
}

function dueRules(profile: JurisdictionProfile, now: Date): DueRules {
  return {
    timeZone: profile.timeZone,
    escalation: [...profile.escalation].sort((x, y) => x.afterDays - y.afterDays),
    validUntil: maxValidityEnd(profile, now),
  };
}

/**
 * Payment numbers for a selection: one per vehicle, per violation, or one for all of it, each an
 * exact frozen set of the payable lines. The sets are staged once, with what each line is due
 * worked out in SQL; a set that already has an open number answers it; the others are issued by
 * the authority in batched calls made outside any transaction (idempotent per set: the key names
 * the account, kind, line set and how many numbers that set had before), or by the product as
 * payment orders where the authority issues no such kind. Recording drops the sets that changed
 * meanwhile and lets the one-open-number constraint decide between concurrent callers, so fifty
 * requests at once, a retried job, or an answer lost mid-call all end with one open number per
 * set. An authority that cannot be reached throws and records nothing.
 */
export async function issuePaymentNumbers(
  db: Database,
  issuer: AuthorityIssuer,
  request: IssueRequest,
): Promise<IssueOutcome> {
  const { accountId, kind, selection, now } = request;
  // The staging lives in session tables, so staging and recording share one connection.
  return db.connection().execute(async (conn) => {
    try {
      return await issueOnConnection(conn, issuer, request);
    } finally {
      await dropStaging(conn);
    }
  });

  async function issueOnConnection(conn: Database, issuer: AuthorityIssuer, request: IssueRequest) {
    const prepared = await withTenant(conn, accountId, async (trx) => {
      const profile = await accountProfile(trx, accountId);
      await lockAccountViolations(trx, accountId);
      await refreshOpenNumbers(trx, accountId, now);
      await stagePayableGroups(trx, accountId, kind, selection, dueRules(profile, now), now);
      const staged = await stagedGroupCount(trx);
      const missing = await stagedGroupsWithoutNumber(trx);
      const lines = missing.length > 0 ? await stagedLinesWithoutNumber(trx) : [];
      const existing = missing.length === staged ? [] : await openNumbersOfStagedGroups(trx, accountId, kind);
      return { profile, staged, missing, lines, existing };
    });
    const { profile, missing } = prepared;
    if (prepared.staged === 0) {
      throw new DomainError('payments.nothing_payable', bilingual('payments.nothing_payable'), {
        status: 422,
        details: { kind, selection },
      });
    }
    if (missing.length === 0) {
      return { numbers: prepared.existing, issued: 0, refused: [], jurisdiction: profile.code };
    }

    const byAuthority = kind !== 'consolidated' || profile.payments.authorityIssuesConsolidated;
    const issued: IssuedNumber[] = [];
    const refused: IssueOutcome['refused'] = [];
    if (byAuthority) {
      const ticketsByGroup = new Map<string, IssuanceItem['tickets']>();
      for (const line of prepared.lines) {
        let tickets = ticketsByGroup.get(line.group_key);
        if (!tickets) {
          tickets = [];
          ticketsByGroup.set(line.group_key, tickets);
        }
        tickets.push({ ticketNumber: line.ticket_number, amountMinor: line.amount_minor });
      }
      const keyOf = (g: StagedGroup) => `${accountId}:${kind}:${g.line_hash}:${g.generation}`;
      const outcomes = await issuer.issue(
        profile.code,
        missing.map((g) => ({ key: keyOf(g), kind, tickets: ticketsByGroup.get(g.group_key) ?? [] })),
      );
      for (const g of missing) {
        const outcome = outcomes.get(keyOf(g))!;
        if (outcome.status === 'issued')
          issued.push({
            lineHash: g.line_hash,
            number: outcome.number,
            issuer: 'authority',
            authorityExpiresAt: outcome.expiresAt,
          });
        else refused.push({ lines: g.line_count, code: outcome.code, message: outcome.message });
      }
    }

    const recorded = await withTenant(conn, accountId, async (trx) => {
      await lockAccountViolations(trx, accountId);
      // Numbers whose lines changed since staging belong to sets that changed: dropping those
      // sets is enough here, the next request supersedes them.
      await expireNumbers(trx, accountId, now);
      await dropChangedGroups(trx, accountId, kind, selection);
      await supersedeIncompleteNumbers(trx, accountId, kind, selection, now);
      if (!byAuthority) {
        const serials = await nextPaymentOrderSerials(trx, missing.length);
        missing.forEach((g, i) => {
          issued.push({
            lineHash: g.line_hash,
            number: composePaymentNumber(kind, PRODUCT_ISSUER_DIGIT, serials[i]!),
            issuer: 'product',
            authorityExpiresAt: null,
          });
        });
      }
      // The numbers arrive as arrays, which the planner guesses at 100 rows: joined by nested
      // loops to the staged lines that would be quadratic, so hash joins are asked for.
      const count = await withoutNestedLoops(trx, () =>
        insertIssuedNumbers(
          trx,
          {
            accountId,
            kind,
            selection,
            currency: profile.currency,
            now,
            runId: request.runId ?? null,
            requestedBy: request.requestedBy ?? null,
          },
          issued,
        ),
      );
      return { issued: count, numbers: await openNumbersOfStagedGroups(trx, accountId, kind) };
    });
    return { ...recorded, refused, jurisdiction: profile.code };
  }
}

export function presentNumber(row: NumberRow, lines?: LineRow[]) {
  const profile = Object.values(jurisdictions).find((j) => j.currency === row.currency)!;
  const due = row.total_minor - row.paid_minor;
  return {
    number: row.number,
    kind: row.kind,
    issuer: row.issuer,
    state: row.state,
    selection: row.selection,
    vehicleId: row.vehicle_id?.toString() ?? null,
    currency: row.currency,
    lineCount: row.line_count,
    totalMinor: row.total_minor.toString(),
    paidMinor: row.paid_minor.toString(),
    dueNowMinor: (due > 0n ? due : 0n).toString(),
    nextDeadlineAt: row.next_deadline_at,
    totalAfterDeadlineMinor: row.total_after_deadline_minor.toString(),
    channels: channelCosts(profile, row.total_minor).map((c) => ({
      channel: c.channel,
      surchargeMinor: c.surchargeMinor.toString(),
      totalMinor: c.totalMinor.toString(),
    })),
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    stateChangedAt: row.state_changed_at,
    runId: row.issued_by_run?.toString() ?? null,
    ...(lines
      ? {
          lines: lines.map((l) => ({
            ticketNumber: l.ticket_number,
            vehicleId: l.vehicle_id.toString(),
            offenceAt: l.offence_at,
            amountMinor: l.amount_minor.toString(),
            nextDeadlineAt: l.next_deadline_at,
            amountAfterDeadlineMinor: l.amount_after_deadline_minor.toString(),
            state: l.state,
            paidMinor: l.paid_minor.toString(),
          })),
        }
      : {}),
  };
}
