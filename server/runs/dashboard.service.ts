import { DateTime } from 'luxon';
import { findAccount } from '../accounts/accounts.repo.ts';
import type { Tx } from '../db/tenant.ts';
import { escalatedAmount, escalationDeadline } from '../jurisdictions/escalation.ts';
import { type JurisdictionCode, jurisdictions } from '../jurisdictions/profiles.ts';
import {
  finishedRunTotals,
  openExceptionCount,
  outstandingTotals,
  violationsBeforeEscalation,
} from './dashboard.repo.ts';
import { presentRun } from './runs.present.ts';
import { findActiveRun, listRuns } from './runs.repo.ts';

/** The next time the nightly run starts: `HH:MM` local in `timeZone`, strictly after `now`. */
export function nextNightlyRun(now: Date, timeZone: string, nightlyRunTime: string): Date {
  const [hour, minute] = nightlyRunTime.split(':').map(Number) as [number, number];
  const local = DateTime.fromJSDate(now, { zone: timeZone });
  let next = local.set({ hour, minute, second: 0, millisecond: 0 });
  if (next <= local) next = next.plus({ days: 1 }).set({ hour, minute });
  return next.toJSDate();
}

const HISTORY_NIGHTS = 14;
const DEADLINES = 10;

/**
 * What the dashboard shows, in one read: outstanding now, the last finished run (its changes by
 * kind with amounts), the run in progress, the next nightly run, the next escalation deadlines
 * with the amount at stake and what paying now saves, open exceptions, and the outstanding total
 * after each of the last nights.
 */
export async function accountDashboard(trx: Tx, accountId: bigint, now: Date) {
  const account = await findAccount(trx, accountId);
  if (!account) throw new Error(`account ${accountId} vanished`);
  const profile = jurisdictions[account.jurisdiction as JurisdictionCode];
  const timeZone = account.time_zone;
  const [outstanding, active, last, history, openExceptions] = await Promise.all([
    outstandingTotals(trx, accountId),
    findActiveRun(trx, accountId),
    listRuns(trx, accountId, { limit: 5 }),
    finishedRunTotals(trx, accountId, HISTORY_NIGHTS),
    openExceptionCount(trx, accountId),
  ]);
  const lastFinished = last.find((r) => ['done', 'partial', 'failed'].includes(r.status as string));
  const deadlines = [];
  for (const rule of profile.escalation) {
    for (const v of await violationsBeforeEscalation(trx, accountId, rule.afterDays, now, DEADLINES)) {
      const escalated = escalatedAmount(v.amount_minor, rule);
      deadlines.push({
        ticketNumber: v.ticket_number,
        vehicleId: v.vehicle_id.toString(),
        plateKey: v.plate_key,
        offenceAt: v.offence_at,
        escalatesAt: escalationDeadline(v.offence_at, timeZone, rule),
        amountMinor: v.amount_minor.toString(),
        escalatedAmountMinor: escalated.toString(),
        savesMinor: (escalated - v.amount_minor).toString(),
      });
    }
  }
  deadlines.sort((a, b) => a.escalatesAt.getTime() - b.escalatesAt.getTime());
  return {
    currency: account.currency,
    timeZone,
    outstanding: { violations: outstanding.violations, amountMinor: outstanding.amount_minor.toString() },
    outsideFleet: {
      violations: outstanding.outside_violations,
      amountMinor: outstanding.outside_amount_minor.toString(),
    },
    lastRun: lastFinished ? presentRun(lastFinished as Parameters<typeof presentRun>[0]) : null,
    activeRun: active ? presentRun(active as Parameters<typeof presentRun>[0]) : null,
    nextScheduledRun: nextNightlyRun(now, timeZone, account.nightly_run_time.slice(0, 5)),
    deadlines: deadlines.slice(0, DEADLINES),
    openExceptions,
    history: history
      .filter((h) => h.amount_minor !== null)
      .reverse()
      .map((h) => ({
        runId: h.id.toString(),
        kind: h.kind,
        localNight: h.local_night,
        finishedAt: h.finished_at,
        violations: h.violations ?? 0,
        amountMinor: h.amount_minor!,
      })),
  };
}
