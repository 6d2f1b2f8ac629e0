import { DateTime } from 'luxon';
import type { Tx } from '../db/tenant.ts';
import { escalatedAmount, escalationDeadline } from '../jurisdictions/escalation.ts';
import { type JurisdictionCode, jurisdictions } from '../jurisdictions/profiles.ts';
import type { JobQueue } from '../queue.ts';
import { alertJobs } from './alerts.jobs.ts';
import {
  findRunForAlerts,
  insertRunDigests,
  outstandingNow,
  outstandingOffencesBetween,
  refreshDigestExceptions,
} from './alerts.repo.ts';
import { actionCount, type CurrencyCode, type DeadlineItem, type DigestEvents } from './digest.ts';
import { peopleMayBeAlertedAt } from './quiet-hours.ts';

/** Deadline lines a digest names one by one; the rest are in the totals. */
const FIRST_DEADLINES = 3;

/**
 * Writes a finished run's digests into the outbox, in the run's own transaction: one per
 * recipient, channel and destination, and none when the run gave nothing to act on (unless the
 * account asked for a nightly "all clear"). Safe to call again for the same run: the outbox's
 * unique index keeps the digests already written. Wakes the delivery job when it wrote any.
 */
export async function recordRunAlerts(
  trx: Tx,
  queue: JobQueue,
  accountId: bigint,
  runId: bigint,
): Promise<number> {
  const written = await writeRunDigests(trx, accountId, runId);
  if (written > 0) await queue.send(trx, alertJobs.deliver, [{ accountId: accountId.toString() }]);
  return written;
}

/**
 * Exceptions the payments stage opened for a run, in its transaction: the run's digests not yet
 * attempted count them, and a run that had nothing to alert about gets its digests now. Digests
 * already sent are not followed by a second one (one digest per run, recipient and channel); the
 * exceptions are on their page. The delivery job's minute tick sends what this writes.
 */
export async function recordStageExceptions(trx: Tx, accountId: bigint, runId: bigint): Promise<number> {
  const refreshed = await refreshDigestExceptions(trx, accountId, runId);
  return refreshed + (await writeRunDigests(trx, accountId, runId));
}

async function writeRunDigests(trx: Tx, accountId: bigint, runId: bigint): Promise<number> {
  const run = await findRunForAlerts(trx, accountId, runId);
  if (!run?.has_recipients || !['done', 'partial', 'failed'].includes(run.status)) return 0;
  const now = run.now;
  const events = await runEvents(trx, accountId, run);
  const acting = actionCount(events) > 0;
  const allClear = !acting && run.daily_all_clear && run.kind === 'scheduled';
  if (!acting && !allClear) return 0;
  const peopleAfter = peopleMayBeAlertedAt(now, run.time_zone, run.quiet_start, run.quiet_end);
  return insertRunDigests(
    trx,
    accountId,
    { runId, kind: acting ? 'run' : 'all_clear', events: JSON.stringify(events) },
    now,
    peopleAfter,
  );
}

type RunRow = NonNullable<Awaited<ReturnType<typeof findRunForAlerts>>>;

/** The run's events in numbers: its changes, the deadlines ahead, what it held or opened, what expires. */
async function runEvents(trx: Tx, accountId: bigint, run: RunRow): Promise<DigestEvents> {
  const { now, horizon_days: horizonDays } = run;
  const runId = run.id;
  const until = DateTime.fromJSDate(now).plus({ days: horizonDays }).toJSDate();
  const change = (kind: string) => {
    const found = run.summary?.changes?.find((c) => c.change === kind);
    return { count: found?.violations ?? 0, amountMinor: found?.amountMinor ?? '0' };
  };
  const outstanding = run.summary?.outstanding
    ? { count: run.summary.outstanding.violations, amountMinor: run.summary.outstanding.amountMinor }
    : await outstandingNow(trx, accountId).then((o) => ({ count: o.n, amountMinor: o.total }));
  const deadlines = await upcomingDeadlines(trx, accountId, run, now, until);
  return {
    runId: runId.toString(),
    night:
      run.local_night ?? DateTime.fromJSDate(run.finished_at ?? now, { zone: run.time_zone }).toISODate()!,
    status: run.status as DigestEvents['status'],
    currency: run.currency as CurrencyCode,
    timeZone: run.time_zone,
    runError: run.error,
    failedVehicles: run.summary?.failedVehicles?.length ?? 0,
    newViolations: change('new'),
    escalated: change('escalated'),
    outstanding,
    horizonDays,
    deadlines,
    heldSettlements: run.summary?.heldSettlements ?? 0,
    exceptionsOpened: run.exceptions_opened,
    expiring: {
      count: run.expiring,
      amountMinor: run.expiring_minor,
      first:
        run.expiring_first && run.expiring_first_at
          ? { number: run.expiring_first, expiresAt: run.expiring_first_at.toISOString() }
          : null,
    },
    path: `/runs/${runId}`,
  };
}

/**
 * Outstanding fines whose escalation deadline (the jurisdiction's rules, in the account's zone)
 * falls after now and within the horizon, with what they cost now, after, and what paying now saves.
 */
async function upcomingDeadlines(trx: Tx, accountId: bigint, run: RunRow, now: Date, until: Date) {
  const rules = jurisdictions[run.jurisdiction as JurisdictionCode].escalation;
  const items: Array<DeadlineItem & { escalatedMinor: bigint }> = [];
  for (const rule of rules) {
    // Offences whose local day plus the rule's days lands in (now, until]: a day's slack each side for zones.
    const from = DateTime.fromJSDate(now)
      .minus({ days: rule.afterDays + 1 })
      .toJSDate();
    const to = DateTime.fromJSDate(until)
      .minus({ days: rule.afterDays - 1 })
      .toJSDate();
    for (const v of await outstandingOffencesBetween(trx, accountId, from, to)) {
      const escalatesAt = escalationDeadline(v.offence_at, run.time_zone, rule);
      if (escalatesAt <= now || escalatesAt > until) continue;
      const escalated = escalatedAmount(v.amount_minor, rule);
      items.push({
        plate: v.plate_key,
        ticketNumber: v.ticket_number,
        escalatesAt: escalatesAt.toISOString(),
        amountMinor: v.amount_minor.toString(),
        savesMinor: (escalated - v.amount_minor).toString(),
        escalatedMinor: escalated,
      });
    }
  }
  items.sort(
    (a, b) => a.escalatesAt.localeCompare(b.escalatesAt) || a.ticketNumber.localeCompare(b.ticketNumber),
  );
  const sum = (pick: (i: (typeof items)[number]) => bigint) =>
    items.reduce((s, i) => s + pick(i), 0n).toString();
  return {
    count: items.length,
    amountMinor: sum((i) => BigInt(i.amountMinor)),
    savesMinor: sum((i) => BigInt(i.savesMinor)),
    first: items.slice(0, FIRST_DEADLINES).map(({ escalatedMinor: _, ...item }) => item),
  };
}
