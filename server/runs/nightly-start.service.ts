import type { Database } from '../db/database.ts';
import { enterTenant, type Tx } from '../db/tenant.ts';
import type { JobQueue } from '../queue.ts';
import { startNightlyRunRows } from './nightly-start.repo.ts';
import { runJobs } from './runs.jobs.ts';

/**
 * Enqueues a run's lookup batches, just snapshotted. Round robin across the night's runs: batch n
 * has priority -n, so every run's n-th batch goes before any run's (n+1)-th and a fleet of
 * thousands of vehicles enqueued first does not keep a fleet of tens waiting behind all of its
 * batches. Among equals, the run that started first goes first.
 */
export async function enqueueLookupBatches(
  trx: Tx,
  queue: JobQueue,
  run: { accountId: bigint; runId: bigint; batches: number },
): Promise<void> {
  if (run.batches === 0) return;
  const ids = { accountId: run.accountId.toString(), runId: run.runId.toString() };
  const batchNos = Array.from({ length: run.batches }, (_, batchNo) => batchNo);
  await queue.send(
    trx,
    runJobs.lookupBatch,
    batchNos.map((batchNo) => ({ ...ids, batchNo })),
    batchNos.map((batchNo) => -batchNo),
  );
}

/**
 * Starts tonight's scheduled runs of many accounts in one transaction: runs and fleet snapshots in
 * one round trip (sql/0080), then each run's lookup batches (or its reconciliation, with nothing to
 * look up), enqueued behind its own tenant as the queue's wall requires; all commit together.
 * Per account exactly as a single start: one run a night (an account that has it gets nothing),
 * `waiting` behind a run in progress, inactive accounts skipped. Answers the runs created.
 */
export async function startNightlyRuns(
  db: Database,
  queue: JobQueue,
  accountIds: bigint[],
  now: Date,
  batchSize: number,
) {
  if (accountIds.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const runs = await startNightlyRunRows(trx, accountIds, now, batchSize);
    for (const run of runs) {
      if (run.status === 'waiting') continue;
      await enterTenant(trx, run.account_id);
      if (run.status === 'fetching') {
        await enqueueLookupBatches(trx, queue, {
          accountId: run.account_id,
          runId: run.run_id,
          batches: run.batches,
        });
      } else {
        await queue.send(trx, runJobs.reconcile, [
          { accountId: run.account_id.toString(), runId: run.run_id.toString() },
        ]);
      }
    }
    return runs;
  });
}
