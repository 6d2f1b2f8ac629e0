import { DateTime } from 'luxon';
import { pruneAuthState } from '../auth/auth.repo.ts';
import { defaultRetention, type RetentionSettings } from '../config.ts';
import type { Database } from '../db/database.ts';
import { claimMaintenanceNight, finishMaintenanceNight } from './maintenance.repo.ts';
import {
  dropExpiredNightPartitions,
  openRunNight,
  type PartitionOutcome,
  pruneDecidedUploadRows,
  pruneThrottledSignIns,
} from './retention.repo.ts';

/** Ended sessions are kept this long (for the audit trail's sake), then deleted. */
const SESSION_RETENTION_DAYS = 30;

export interface MaintenanceOutcome {
  localDate: string;
  timeZone: string;
  ran: boolean;
  /** Per-night partitions dropped tonight, and those kept past their retention with the reason. */
  partitions?: PartitionOutcome[];
  /** Rows deleted tonight: staged rows of decided uploads, throttled sign-ins of the audit log. */
  deleted?: { uploadRows: number; throttledSignIns: number };
}

const daysBefore = (at: Date, days: number) => new Date(at.getTime() - days * 86_400_000);

/**
 * The nightly housekeeping. Runs at most once per local night: the claim and the work share one
 * transaction, so a duplicate delivery waits on the claim and then finds the night done. Tonight's
 * runs get a fresh range of per-night partitions, and expired ranges are dropped whole.
 */
export async function runNightlyMaintenance(
  db: Database,
  now: Date,
  timeZone: string,
  retention: RetentionSettings = defaultRetention,
): Promise<MaintenanceOutcome> {
  const localDate = DateTime.fromJSDate(now, { zone: timeZone }).toISODate()!;
  const done = await db.transaction().execute(async (trx) => {
    if (!(await claimMaintenanceNight(trx, localDate, timeZone))) return undefined;
    const pruned = await pruneAuthState(trx, now, SESSION_RETENTION_DAYS);
    const night = await openRunNight(trx, now);
    const partitions = await dropExpiredNightPartitions(
      trx,
      {
        lookup_violations: retention.answersDays,
        lookups: retention.lookupsDays,
        // A run's batch ledger (its progress and counters while fetching) goes with its lookups.
        lookup_batches: retention.lookupsDays,
        run_imports: retention.importFilesDays,
        run_changes: retention.runChangesDays,
      },
      now,
    );
    const dropped = partitions.filter((p) => p.outcome === 'dropped');
    const deleted = {
      uploadRows: await pruneDecidedUploadRows(trx, daysBefore(now, retention.uploadRowsDays)),
      throttledSignIns: await pruneThrottledSignIns(trx, daysBefore(now, retention.throttledSignInsDays)),
    };
    await finishMaintenanceNight(trx, localDate, timeZone, {
      pruned: { ...pruned, ...deleted },
      runIds: { from: night.lo.toString(), to: night.hi.toString() },
      dropped: dropped.map((p) => ({ partition: p.partitionName, bytes: p.bytes })),
      kept: partitions
        .filter((p) => p.outcome !== 'dropped')
        .map((p) => ({ partition: p.partitionName, why: p.outcome })),
    });
    return { partitions, deleted };
  });
  return done ? { localDate, timeZone, ran: true, ...done } : { localDate, timeZone, ran: false };
}
