/** The runs' jobs: their queues and payloads (handled in jobs/runs.job.ts). */
import { z } from 'zod';
import { jobContract, jobId, runJobPayload } from '../queue.ts';

const batchPayload = z.object({ accountId: jobId, runId: jobId, batchNo: z.number().int().min(0) }).strict();

export const runJobs = {
  /** Every minute: starts the scheduled run of every account due then, at its nightly time in its own zone. */
  nightly: jobContract('runs.nightly', z.object({}).strict()),
  /** Starts a run that waited for the one before it. */
  start: jobContract('run.start', runJobPayload),
  lookupBatch: jobContract('lookup.batch', batchPayload),
  reconcile: jobContract('run.reconcile', runJobPayload),
  /** Dead-letter queues: a lookup batch or a reconciliation that ran out of retries ends here. */
  lookupBatchGaveUp: jobContract('lookup.batch_gave_up', batchPayload),
  reconcileGaveUp: jobContract('run.reconcile_gave_up', runJobPayload),
  /** Ends runs stuck past the limit and starts waiting runs nothing blocks any more. */
  sweep: jobContract('run.sweep', z.object({}).strict()),
};

/** Follow-on priorities count seconds from here: int4 holds 68 years of them. */
const PRIORITY_EPOCH_MS = Date.UTC(2026, 0, 1);
/** The most a run's size moves its follow-on jobs ahead, in seconds of queueing. */
const MAX_HEAD_START_SECONDS = 120;

/**
 * The pg-boss priority of a run's follow-on jobs (its reconciliation, then its payment numbers),
 * queued at `queuedAt`: first come first served, except that a run's job counts as queued a
 * second earlier per full hundred vehicles of its fleet, two minutes at most. A large fleet's lookups
 * end last (they go round robin) and its stages take longest, so at the night's end its stages,
 * queued behind hundreds of small runs' stages, were what the night waited for; a small run's
 * stage waits at most two minutes longer for them, never indefinitely (a priority by size alone
 * would keep the smallest runs last for as long as larger ones keep arriving). Jobs sent with
 * the default priority 0 (a sweep's, a dead letter's) go before all of these.
 */
export function followOnPriority(queuedAt: Date, vehicles: number): number {
  const headStart = Math.min(MAX_HEAD_START_SECONDS, Math.floor(vehicles / 100));
  return headStart - Math.floor((queuedAt.getTime() - PRIORITY_EPOCH_MS) / 1000);
}
