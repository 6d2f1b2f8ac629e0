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
