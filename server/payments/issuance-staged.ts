import type { Database } from '../db/database.ts';
import { withoutNestedLoops } from '../db/planner.ts';
import { withTenant } from '../db/tenant.ts';
import type { JurisdictionProfile } from '../jurisdictions/profiles.ts';
import { lockAccountViolations } from '../violations/violations.repo.ts';
import {
  answered,
  dueRules,
  type Issuance,
  type IssueOutcome,
  type Pending,
  reportingReusedNumbers,
} from './issuance.ts';
import { ticketsOfGroups } from './issuance-tickets.ts';
import {
  expireNumbers,
  insertIssuedNumbers,
  type NumberRow,
  openNumbersOfStagedGroups,
  supersedeIncompleteNumbers,
} from './payment-numbers.repo.ts';
import {
  bulkWorkMem,
  dropChangedGroups,
  dropStaging,
  stagedGroupCount,
  stagedGroupsWithoutNumber,
  stagedLinesWithoutNumber,
  stagePayableGroups,
} from './payment-staging.repo.ts';

/**
 * Every kind staged in the session's tables (on one connection) in one transaction, the
 * authority asked kind after kind outside any, and every kind recorded in one more: the lines
 * are staged once and grouped for each kind, and whether they changed meanwhile is checked once.
 */
export async function issueStaged(
  issuance: Issuance,
  profile: JurisdictionProfile,
): Promise<Array<IssueOutcome | null>> {
  const { db, request } = issuance;
  return db.connection().execute(async (conn) => {
    try {
      const outcomes = await issueKindsStaged(issuance, conn, profile);
      if (request.last) await withTenant(conn, request.accountId, (trx) => request.last!(trx, outcomes));
      return outcomes;
    } finally {
      await dropStaging(conn);
    }
  });
}

async function issueKindsStaged(
  issuance: Issuance,
  conn: Database,
  profile: JurisdictionProfile,
): Promise<Array<IssueOutcome | null>> {
  const { request, meta, byAuthority, ask, ownNumbers } = issuance;
  const { accountId, kinds, selection, now } = request;
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
