import type { Database } from '../db/database.ts';
import { enterTenant, type Tx } from '../db/tenant.ts';
import type { JobQueue } from '../queue.ts';
import { dueNightlyRuns, type RunSnapshot, startNightlyRunRows } from './nightly-start.repo.ts';
import { runJobs } from './runs.jobs.ts';

/** A run of more lookup batches than this is a large run: its batches go in LARGE_RUN_ROUNDS rounds. */
const LARGE_RUN_BATCHES = 30;
const LARGE_RUN_ROUNDS = 2;

/**
 * The pg-boss priority of a run's lookup batch `batchNo` of `batches`. Round robin across the
 * night's runs: batch n has priority -n, so every run's n-th batch goes before any run's (n+1)-th
 * and a fleet of thousands of vehicles enqueued first does not keep a fleet of tens waiting behind
 * all of its batches; among equals, the run that started first goes first. A large run's batches
 * are spread over the first two rounds instead (half at priority 0, half at -1): in a strict round
 * robin the largest fleets' lookups end last, and their reconciliation and payment numbers, the
 * night's longest, then ran alone after every other lookup. Spread, those stages overlap the
 * round robin's later rounds; every small run's first batch waits for at most half of each large
 * run's batches.
 */
export function lookupBatchPriority(batchNo: number, batches: number): number {
  return batches > LARGE_RUN_BATCHES ? -Math.floor((batchNo * LARGE_RUN_ROUNDS) / batches) : -batchNo;
}

/**
 * Enqueues a run's next jobs, just snapshotted: its lookup batches (lookupBatchPriority orders
 * them), or its reconciliation when there is nothing to look up. In the caller's transaction,
 * behind the run's tenant.
 */
export async function enqueueSnapshottedRun(
  trx: Tx,
  queue: JobQueue,
  run: { accountId: bigint; runId: bigint } & Pick<RunSnapshot, 'status' | 'batches'>,
): Promise<void> {
  const ids = { accountId: run.accountId.toString(), runId: run.runId.toString() };
  if (run.status === 'reconciling') {
    await queue.send(trx, runJobs.reconcile, [ids]);
    return;
  }
  const batchNos = Array.from({ length: run.batches }, (_, batchNo) => batchNo);
  await queue.send(
    trx,
    runJobs.lookupBatch,
    batchNos.map((batchNo) => ({ ...ids, batchNo })),
    batchNos.map((batchNo) => lookupBatchPriority(batchNo, run.batches)),
  );
}

/**
 * Starts tonight's scheduled runs of many accounts in one transaction: runs and fleet snapshots in
 * one round trip (sql/0080, sql/0140), then each run's jobs, enqueued behind its own tenant as the
 * queue's wall requires; all commit together. Per account exactly as a single start: one run a
 * night (an account that has it gets nothing), `waiting` behind a run in progress, inactive
 * accounts skipped. `at` names the night: each account's local date at that instant. Answers the
 * runs created.
 */
export async function startNightlyRuns(
  db: Database,
  queue: JobQueue,
  accountIds: bigint[],
  at: Date,
  batchSize: number,
) {
  if (accountIds.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const runs = await startNightlyRunRows(trx, accountIds, at, batchSize);
    for (const run of runs) {
      if (run.status === 'waiting') continue;
      await enterTenant(trx, run.account_id);
      await enqueueSnapshottedRun(trx, queue, {
        accountId: run.account_id,
        runId: run.run_id,
        status: run.status,
        batches: run.batches,
      });
    }
    return runs;
  });
}

/**
 * How far back the minute's job looks for accounts that fell due: pg-boss forwards the minute's
 * job seconds after it, minutes late on a saturated database, and a late or lost job's accounts
 * are then started by the next minutes' jobs (past this, by the missed-nights sweep).
 */
export const DUE_LOOKBACK_SECONDS = 600;

/**
 * Accounts started per transaction: the first ones' lookups begin while the rest are snapshotted,
 * instead of every account of the minute waiting for one commit.
 */
const STARTS_PER_TRANSACTION = 200;

/**
 * The minute's nightly starts: every active account whose nightly time, in its own zone, fell due
 * in the last DUE_LOOKBACK_SECONDS up to `now` and has no run for that local night gets it, in
 * transactions of up to STARTS_PER_TRANSACTION accounts due at the same instant. Rerunnable: a
 * night already started is not due any more, and runs_one_per_night guards a race.
 */
export async function startDueNightlyRuns(db: Database, queue: JobQueue, now: Date, batchSize: number) {
  const due = await dueNightlyRuns(db, now, DUE_LOOKBACK_SECONDS);
  const byInstant = Map.groupBy(due, (d) => d.due_at.getTime());
  const started = [];
  for (const [instant, accounts] of byInstant) {
    const ids = accounts.map((a) => a.account_id);
    for (let i = 0; i < ids.length; i += STARTS_PER_TRANSACTION) {
      const chunk = ids.slice(i, i + STARTS_PER_TRANSACTION);
      started.push(...(await startNightlyRuns(db, queue, chunk, new Date(instant), batchSize)));
    }
  }
  return started;
}
