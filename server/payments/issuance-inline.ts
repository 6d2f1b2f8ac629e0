import { type Tx, withTenant } from '../db/tenant.ts';
import type { JurisdictionProfile } from '../jurisdictions/profiles.ts';
import { lockAccountViolations } from '../violations/violations.repo.ts';
import {
  accountProfile,
  answered,
  dueRules,
  type Issuance,
  type IssueOutcome,
  type Pending,
  reportingReusedNumbers,
} from './issuance.ts';
import { issueStaged } from './issuance-staged.ts';
import { ticketsOfGroups } from './issuance-tickets.ts';
import type { PaymentNumberKind } from './payment-number.ts';
import {
  expireNumbers,
  type NumberRow,
  openNumbersOfSets,
  recordIssued,
  refreshOpenNumbers,
  supersedeIncomplete,
} from './payment-numbers.repo.ts';
import { type InlineGroup, payableLineCount, recordInline, stageInline } from './payment-staging.repo.ts';

/**
 * Every kind staged and recorded inline — one transaction to stage, one to record — when the
 * selection has at most `limit` lines; a bigger one goes on to issueStaged from the first
 * transaction's checks.
 */
export async function issueInline(issuance: Issuance): Promise<Array<IssueOutcome | null>> {
  const { db, request, limit, meta, ask, ownNumbers } = issuance;
  const { accountId, kinds, selection, now } = request;
  // The first transaction: the caller's checks, the refresh, and whether the selection is small.
  const begin = async (trx: Tx) => {
    const profile = await accountProfile(trx, accountId);
    await lockAccountViolations(trx, accountId);
    await request.first?.(trx, profile);
    await refreshOpenNumbers(trx, accountId, now);
    const inline = (await payableLineCount(trx, accountId, selection, limit)) <= limit;
    return { profile, rules: dueRules(profile, now), inline };
  };
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
      await request.last(trx, outcomesOf(kinds, staged, existing, [], [], started.profile));
    return { ...started, staged, existing };
  });
  if (!prepared.staged) return issueStaged(issuance, prepared.profile);
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
        await request.last?.(trx, outcomesOf(kinds, staged, existing, answers, asked, profile));
        return answers;
      })
    : [];
  return outcomesOf(kinds, staged, existing, recorded, asked, profile);
}

/** Each kind's outcome: what recording answered, or else the open numbers found at staging. */
function outcomesOf(
  kinds: readonly PaymentNumberKind[],
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
