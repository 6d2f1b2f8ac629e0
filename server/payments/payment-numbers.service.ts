import { findAccount } from '../accounts/accounts.repo.ts';
import { MAX_TICKETS_PER_NUMBER } from '../authority/contract.ts';
import type { AuthorityIssuer, IssuanceItem } from '../authority/issuance-client.ts';
import type { Database } from '../db/database.ts';
import { withoutNestedLoops } from '../db/planner.ts';
import { type Tx, withTenant } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { bilingual } from '../i18n/messages.ts';
import { type JurisdictionCode, type JurisdictionProfile, jurisdictions } from '../jurisdictions/profiles.ts';
import { lockAccountViolations } from '../violations/violations.repo.ts';
import { maxValidityEnd } from './due.ts';
import { ticketsOfGroups } from './issuance-tickets.ts';
import { composePaymentNumber, type PaymentNumberKind, PRODUCT_ISSUER_DIGIT } from './payment-number.ts';
import {
  expireNumbers,
  type IssuedNumber,
  insertIssuedNumbers,
  isNumberReused,
  type NumberRow,
  nextPaymentOrderSerials,
  openNumbersOfSets,
  openNumbersOfStagedGroups,
  type RecordingMeta,
  recordIssued,
  refreshOpenNumbers,
  type Selection,
  supersedeIncomplete,
  supersedeIncompleteNumbers,
} from './payment-numbers.repo.ts';
import {
  bulkWorkMem,
  type DueRules,
  dropChangedGroups,
  dropStaging,
  INLINE_STAGING_LINES,
  type InlineGroup,
  payableLineCount,
  recordInline,
  type StagedGroup,
  stagedGroupCount,
  stagedGroupsWithoutNumber,
  stagedLinesWithoutNumber,
  stageInline,
  stagePayableGroups,
} from './payment-staging.repo.ts';

export interface IssueRequest {
  accountId: bigint;
  kind: PaymentNumberKind;
  selection: Selection;
  now: Date;
  runId?: bigint | null;
  requestedBy?: bigint | null;
  /** Selections up to this many lines are staged inline (default INLINE_STAGING_LINES); 0 stages in tables. */
  inlineLines?: number;
  /** Answer how many numbers are open, not the numbers themselves (the nightly stage). */
  countOnly?: boolean;
}

/** Numbers of several kinds for one selection, issued together (the nightly stage's vehicle and consolidated numbers). */
export interface IssueKindsRequest extends Omit<IssueRequest, 'kind'> {
  kinds: readonly PaymentNumberKind[];
  /** Runs first in the first transaction, under the account's violations lock (the nightly stage's checks). */
  first?: (trx: Tx, profile: JurisdictionProfile) => Promise<void>;
  /**
   * Runs last in the transaction that ends the request, given its outcomes (the nightly stage ends
   * its run there): the one that records the numbers, or the first one when every set already has
   * its open number.
   */
  last?: (trx: Tx, outcomes: Array<IssueOutcome | null>) => Promise<void>;
}

export interface IssueOutcome {
  /** The open numbers of the selection's sets (none with `countOnly`). */
  numbers: NumberRow[];
  /** How many numbers of the selection's sets are open. */
  open: number;
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

function dueRules(profile: JurisdictionProfile, now: Date): DueRules {
  return {
    timeZone: profile.timeZone,
    escalation: [...profile.escalation].sort((x, y) => x.afterDays - y.afterDays),
    validUntil: maxValidityEnd(profile, now),
  };
}

/** The open numbers as answered: rows, or only how many. */
function answered(open: NumberRow[] | number) {
  return typeof open === 'number' ? { numbers: [], open } : { numbers: open, open: open.length };
}

/**
 * Recording, with a number the authority answered twice (one the account already has, for
 * another set) reported as its fault.
 */
async function reportingReusedNumbers<T>(record: () => Promise<T>): Promise<T> {
  try {
    return await record();
  } catch (error) {
    if (!isNumberReused(error)) throw error;
    throw new DomainError('payments.authority_number_reused', bilingual('payments.authority_number_reused'), {
      status: 502,
      cause: error,
    });
  }
}

function nothingPayable(kind: PaymentNumberKind, selection: Selection) {
  return new DomainError('payments.nothing_payable', bilingual('payments.nothing_payable'), {
    status: 422,
    details: { kind, selection },
  });
}

/**
 * Payment numbers for a selection: one per vehicle, per violation, or one for all of it, each an
 * exact frozen set of the payable lines (issueNumbers). Throws `payments.nothing_payable` when
 * the selection has no payable line.
 */
export async function issuePaymentNumbers(
  db: Database,
  issuer: AuthorityIssuer,
  request: IssueRequest,
): Promise<IssueOutcome> {
  const { kind, ...rest } = request;
  const [outcome] = await issueNumbers(db, issuer, { ...rest, kinds: [kind] });
  if (!outcome) throw nothingPayable(kind, request.selection);
  return outcome;
}

/** What the authority (or the product, as payment orders) is asked for, for one kind's sets without a number. */
interface Pending {
  kind: PaymentNumberKind;
  missing: StagedGroup[];
  ticketsByGroup: Map<string, IssuanceItem['tickets']>;
}

/**
 * Payment numbers of each kind for a selection, each an exact frozen set of the payable lines;
 * null for a kind with nothing payable. The sets are staged with what each line is due worked
 * out in SQL; a set that already has an open number answers it; the others are issued by the
 * authority in batched calls made outside any transaction (idempotent per set: the key names the
 * account, kind, line set and how many numbers that set had before), or by the product as payment
 * orders where the authority issues no such kind or the set has more tickets than one authority
 * number may cover (MAX_TICKETS_PER_NUMBER). Recording, under the account's lock, drops the
 * sets that changed meanwhile and skips those that have an open number by then (the
 * one-open-number constraint stands behind it), so fifty requests at once, a retried job, or an
 * answer lost mid-call all end with one open number per set. An authority that cannot be reached
 * throws and records nothing; one that answers a number the account already has throws
 * `payments.authority_number_reused` and records nothing.
 *
 * Either way every kind is staged in one transaction and recorded in one more: a small selection
 * (up to `inlineLines` lines) inline, a bigger one in session tables, so staging and recording
 * share one connection.
 */
export async function issueNumbers(
  db: Database,
  issuer: AuthorityIssuer,
  request: IssueKindsRequest,
): Promise<Array<IssueOutcome | null>> {
  const { accountId, kinds, selection, now } = request;
  const limit = request.inlineLines ?? INLINE_STAGING_LINES;
  const meta = (kind: PaymentNumberKind, profile: JurisdictionProfile): RecordingMeta => ({
    accountId,
    kind,
    selection,
    currency: profile.currency,
    now,
    runId: request.runId ?? null,
    requestedBy: request.requestedBy ?? null,
  });
  // The product numbers a set itself where the authority issues no such kind, or where the set has
  // more tickets than one authority number may cover (the contract's limit): such a set is never sent.
  const byAuthority = (kind: PaymentNumberKind, profile: JurisdictionProfile, g: StagedGroup) =>
    (kind !== 'consolidated' || profile.payments.authorityIssuesConsolidated) &&
    g.line_count <= MAX_TICKETS_PER_NUMBER;

  /** The authority's numbers for the sets without one that it numbers (byAuthority). */
  async function ask(profile: JurisdictionProfile, pending: Pending) {
    const issued: IssuedNumber[] = [];
    const refused: IssueOutcome['refused'] = [];
    const { kind } = pending;
    const missing = pending.missing.filter((g) => byAuthority(kind, profile, g));
    if (missing.length === 0) return { issued, refused };
    const keyOf = (g: StagedGroup) => `${accountId}:${kind}:${g.line_hash}:${g.generation}`;
    const outcomes = await issuer.issue(
      profile.code,
      missing.map((g) => ({ key: keyOf(g), kind, tickets: pending.ticketsByGroup.get(g.group_key) ?? [] })),
    );
    for (const g of missing) {
      const outcome = outcomes.get(keyOf(g))!;
      if (outcome.status === 'issued')
        issued.push({
          groupKey: g.group_key,
          number: outcome.number,
          issuer: 'authority',
          authorityExpiresAt: outcome.expiresAt,
        });
      else refused.push({ lines: g.line_count, code: outcome.code, message: outcome.message });
    }
    return { issued, refused };
  }

  /** Payment orders of the product's own for the sets without a number that the authority does not number. */
  async function ownNumbers(trx: Tx, profile: JurisdictionProfile, pending: Pending, issued: IssuedNumber[]) {
    const own = pending.missing.filter((g) => !byAuthority(pending.kind, profile, g));
    if (own.length === 0) return;
    const serials = await nextPaymentOrderSerials(trx, own.length);
    own.forEach((g, i) => {
      issued.push({
        groupKey: g.group_key,
        number: composePaymentNumber(pending.kind, PRODUCT_ISSUER_DIGIT, serials[i]!),
        issuer: 'product',
        authorityExpiresAt: null,
      });
    });
  }

  // The first transaction: the caller's checks, the refresh, and whether the selection is small.
  const begin = async (trx: Tx) => {
    const profile = await accountProfile(trx, accountId);
    await lockAccountViolations(trx, accountId);
    await request.first?.(trx, profile);
    await refreshOpenNumbers(trx, accountId, now);
    const inline = (await payableLineCount(trx, accountId, selection, limit)) <= limit;
    return { profile, rules: dueRules(profile, now), inline };
  };

  /** Every kind staged and recorded inline: one transaction to stage, one to record. */
  async function issueInline(): Promise<Array<IssueOutcome | null>> {
    const prepared = await withTenant(db, accountId, async (trx) => {
      const started = await begin(trx);
      if (!started.inline) return { ...started, staged: null };
      const staged: InlineGroup[][] = [];
      for (const kind of kinds)
        staged.push(await stageInline(trx, accountId, kind, selection, started.rules, now));
      const existing = await Promise.all(
        kinds.map(async (kind, i) => {
          const groups = staged[i]!;
          if (groups.length === 0 || groups.every((g) => g.open_id === null)) return answered([]);
          // One open number per set, so the staged groups with one count them.
          if (request.countOnly) return answered(groups.filter((g) => g.open_id !== null).length);
          return answered(
            await openNumbersOfSets(
              trx,
              accountId,
              kind,
              groups.map((g) => g.line_hash),
            ),
          );
        }),
      );
      if (request.last && staged.every((groups) => groups.every((g) => g.open_id !== null)))
        await request.last(trx, outcomesOf(staged, existing, [], [], started.profile));
      return { ...started, staged, existing };
    });
    if (!prepared.staged) return issueStaged(prepared.profile);
    const { profile, rules, staged, existing } = prepared;
    const pendings: Pending[] = kinds.map((kind, i) => {
      const missing = staged[i]!.filter((g) => g.open_id === null);
      return { kind, missing, ticketsByGroup: ticketsOfGroups(missing, []) };
    });
    const asked: Array<Awaited<ReturnType<typeof ask>>> = [];
    for (const pending of pendings) asked.push(await ask(profile, pending));
    const recorded = pendings.some((p) => p.missing.length > 0)
      ? await withTenant(db, accountId, async (trx) => {
          await lockAccountViolations(trx, accountId);
          await expireNumbers(trx, accountId, now);
          const answers: Array<{ issued: number; numbers: NumberRow[]; open: number } | null> = [];
          for (const [i, pending] of pendings.entries()) {
            if (pending.missing.length === 0) {
              answers.push(null);
              continue;
            }
            const issued = asked[i]!.issued;
            await ownNumbers(trx, profile, pending, issued);
            const { kind } = pending;
            const {
              recorded: count,
              kept,
              open,
            } = await reportingReusedNumbers(() =>
              recordInline(
                trx,
                staged[i]!,
                rules,
                {
                  supersede: supersedeIncomplete(accountId, kind, selection, now),
                  record: issued.length > 0 ? recordIssued(meta(kind, profile), issued) : null,
                },
                { accountId, kind, selection, now },
              ),
            );
            answers.push({
              issued: count,
              ...answered(request.countOnly ? open : await openNumbersOfSets(trx, accountId, kind, kept)),
            });
          }
          await request.last?.(trx, outcomesOf(staged, existing, answers, asked, profile));
          return answers;
        })
      : [];
    return outcomesOf(staged, existing, recorded, asked, profile);
  }

  /** Each kind's outcome: what recording answered, or else the open numbers found at staging. */
  function outcomesOf(
    staged: InlineGroup[][],
    existing: Array<ReturnType<typeof answered>>,
    recorded: Array<{ issued: number; numbers: NumberRow[]; open: number } | null>,
    asked: Array<{ refused: IssueOutcome['refused'] }>,
    profile: JurisdictionProfile,
  ): Array<IssueOutcome | null> {
    return kinds.map((_, i) => {
      if (staged[i]!.length === 0) return null;
      const answer = recorded[i] ?? { issued: 0, ...existing[i]! };
      return { ...answer, refused: asked[i]?.refused ?? [], jurisdiction: profile.code };
    });
  }

  /**
   * Every kind staged in the session's tables (on one connection) in one transaction, the
   * authority asked kind after kind outside any, and every kind recorded in one more: the lines
   * are staged once and grouped for each kind, and whether they changed meanwhile is checked once.
   */
  async function issueStaged(profile: JurisdictionProfile): Promise<Array<IssueOutcome | null>> {
    return db.connection().execute(async (conn) => {
      try {
        const outcomes = await issueKindsStaged(conn, profile);
        if (request.last) await withTenant(conn, accountId, (trx) => request.last!(trx, outcomes));
        return outcomes;
      } finally {
        await dropStaging(conn);
      }
    });
  }

  async function issueKindsStaged(
    conn: Database,
    profile: JurisdictionProfile,
  ): Promise<Array<IssueOutcome | null>> {
    const rules = dueRules(profile, now);
    const staged = await withTenant(conn, accountId, async (trx) => {
      await lockAccountViolations(trx, accountId);
      await bulkWorkMem(trx);
      await stagePayableGroups(trx, accountId, kinds, selection, rules, now);
      const perKind = [];
      for (const kind of kinds) {
        const count = await stagedGroupCount(trx, kind);
        const missing = await stagedGroupsWithoutNumber(trx, kind);
        const existing = answered(
          missing.length === count
            ? []
            : await openNumbersOfStagedGroups(trx, accountId, kind, request.countOnly),
        );
        // A set staged without its tickets (the consolidated one) is read where the authority numbers it.
        const lines = missing.some((g) => g.tickets === null && byAuthority(kind, profile, g))
          ? await stagedLinesWithoutNumber(trx, kind)
          : [];
        perKind.push({ kind, count, missing, existing, lines });
      }
      return perKind;
    });

    const pendings: Pending[] = staged.map(({ kind, missing, lines }) => ({
      kind,
      missing,
      ticketsByGroup: ticketsOfGroups(missing, lines),
    }));
    const asked: Array<Awaited<ReturnType<typeof ask>>> = [];
    for (const pending of pendings) asked.push(await ask(profile, pending));

    const recorded = pendings.some((p) => p.missing.length > 0)
      ? await withTenant(conn, accountId, async (trx) => {
          await lockAccountViolations(trx, accountId);
          await bulkWorkMem(trx);
          // Numbers whose lines changed since staging belong to sets that changed: dropping those
          // sets is enough here, the next request supersedes them.
          await expireNumbers(trx, accountId, now);
          await dropChangedGroups(trx, accountId, kinds, selection);
          const answers: Array<{ issued: number; open: NumberRow[] | number } | null> = [];
          for (const [i, pending] of pendings.entries()) {
            if (pending.missing.length === 0) {
              answers.push(null);
              continue;
            }
            const { kind } = pending;
            const issued = asked[i]!.issued;
            await supersedeIncompleteNumbers(trx, accountId, kind, selection, now);
            await ownNumbers(trx, profile, pending, issued);
            // The numbers arrive as arrays, which the planner guesses at 100 rows: joined by nested
            // loops to the staged lines that would be quadratic, so hash joins are asked for.
            const { recorded: count, open } = await reportingReusedNumbers(() =>
              withoutNestedLoops(trx, () => insertIssuedNumbers(trx, meta(kind, profile), issued)),
            );
            answers.push({
              issued: count,
              open: request.countOnly ? open : await openNumbersOfStagedGroups(trx, accountId, kind),
            });
          }
          return answers;
        })
      : [];
    return staged.map(({ count, existing }, i) => {
      if (count === 0) return null;
      const answer = recorded[i];
      const { refused } = asked[i]!;
      if (!answer) return { ...existing, issued: 0, refused, jurisdiction: profile.code };
      return { issued: answer.issued, ...answered(answer.open), refused, jurisdiction: profile.code };
    });
  }

  return issueInline();
}
