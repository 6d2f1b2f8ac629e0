import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import { lookupsFailed, lookupsTotal, runStageSeconds, runsEnded } from '../metrics/metrics.ts';
import { findRunStageTimes } from './run-metrics.repo.ts';
import type { RunSummary } from './runs.service.ts';

/**
 * A reconciled run's numbers: how long its stages took (snapshot from the run's creation, a
 * waiting run's wait included; lookups to the last answer stored; the reconciliation's statements;
 * the whole run), its lookups and those that failed.
 */
export async function recordRunMetrics(
  db: Database,
  job: { accountId: bigint; runId: bigint },
  summary: RunSummary,
): Promise<void> {
  const run = await withTenant(db, job.accountId, (trx) => findRunStageTimes(trx, job.accountId, job.runId));
  if (!run) return;
  const between = (from: Date | null, to: Date | null) =>
    from && to ? Math.max(0, (to.getTime() - from.getTime()) / 1000) : undefined;
  const stages = {
    snapshot: between(run.created_at, run.snapshotted_at),
    lookups: between(run.snapshotted_at, run.fetched_at),
    reconcile: summary.reconcileMs / 1000,
  };
  for (const [stage, seconds] of Object.entries(stages)) {
    if (seconds !== undefined) runStageSeconds.observe({ stage, kind: run.kind }, seconds);
  }
  lookupsTotal.inc(run.lookups_total);
  lookupsFailed.inc(summary.failedVehicles.length);
  if (run.finished_at) recordEnd(run);
}

/** A run that ended after its reconciliation (its payment stage over): the whole run's time and how it ended. */
export async function recordRunEnded(db: Database, job: { accountId: bigint; runId: bigint }): Promise<void> {
  const run = await withTenant(db, job.accountId, (trx) => findRunStageTimes(trx, job.accountId, job.runId));
  if (run?.finished_at) recordEnd(run);
}

function recordEnd(run: { kind: string; status: string; created_at: Date; finished_at: Date | null }): void {
  if (!run.finished_at) return;
  const seconds = Math.max(0, (run.finished_at.getTime() - run.created_at.getTime()) / 1000);
  runStageSeconds.observe({ stage: 'total', kind: run.kind }, seconds);
  runsEnded.inc({ status: run.status });
}
