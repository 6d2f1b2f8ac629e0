import { z } from 'zod';
import type { Database } from '../server/db/database.ts';
import { PAYMENTS_ISSUE_QUEUE } from '../server/payments/payment-stage.service.ts';
import type { JobQueue } from '../server/queue.ts';
import { accountSchedules } from '../server/runs/runs.repo.ts';
import { NIGHTLY_RUN_QUEUE, scheduleNightlyRun } from '../server/runs/runs.schedule.ts';
import {
  LOOKUP_BATCH_QUEUE,
  RECONCILE_QUEUE,
  reconcileRun,
  runLookupBatch,
  startScheduledRun,
} from '../server/runs/runs.service.ts';
import { defineJob } from './job.ts';

const id = z
  .string()
  .regex(/^[1-9]\d{0,17}$/)
  .transform((v) => BigInt(v));
// A worker killed mid-job stops heart-beating; pg-boss hands the job to another worker after this.
const crashRecovery = {
  heartbeatSeconds: 10,
  retryLimit: 10,
  retryDelay: 1,
  retryBackoff: true,
  retryDelayMax: 60,
  // Wake a worker the moment a job is created instead of at its next poll.
  notify: true,
};
// NOTIFY wakes idle workers; a short backstop poll covers jobs created while a worker was busy or starting.
const polling = { pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 2 };

export const nightlyRunJob = defineJob({
  name: NIGHTLY_RUN_QUEUE,
  payload: z.object({ accountId: id }).strict(),
  queue: crashRecovery,
  work: polling,
  handle: async (ctx, payloads) => {
    for (const { accountId } of payloads) {
      const run = await startScheduledRun(ctx.db, ctx.queue, accountId, ctx.now(), ctx.config.runs);
      ctx.log.info(
        { accountId, runId: run?.id },
        run ? 'nightly run started' : 'nightly run already exists for tonight',
      );
    }
  },
});

export const lookupBatchJob = defineJob({
  name: LOOKUP_BATCH_QUEUE,
  payload: z.object({ accountId: id, runId: id, batchNo: z.number().int().min(0) }).strict(),
  queue: crashRecovery,
  // Two batches per fetch, fetched back to back while the queue is full; the gate paces the authority.
  work: { ...polling, batchSize: 2, burstWhenBatchFull: true },
  handle: async (ctx, payloads) => {
    await Promise.all(payloads.map((job) => runLookupBatch(ctx.db, ctx.queue, ctx.authorities, job)));
  },
});

export const reconcileJob = defineJob({
  name: RECONCILE_QUEUE,
  payload: z.object({ accountId: id, runId: id }).strict(),
  queue: crashRecovery,
  work: polling,
  handle: async (ctx, payloads) => {
    for (const job of payloads) {
      const summary = await reconcileRun(ctx.db, job, ctx.config.runs, (trx) =>
        ctx.queue.send(trx, PAYMENTS_ISSUE_QUEUE, [
          { accountId: job.accountId.toString(), runId: job.runId.toString() },
        ]),
      );
      if (summary) ctx.log.info({ ...job, held: summary.heldSettlements }, 'run reconciled');
    }
  },
});

/** One schedule per account at its nightly time in its own zone; accounts no longer active lose theirs. */
export async function syncRunSchedules(
  db: Database,
  queue: JobQueue,
  existingKeys: string[],
): Promise<number> {
  const accounts = await accountSchedules(db);
  for (const account of accounts) {
    await scheduleNightlyRun(queue, {
      id: account.account_id,
      timeZone: account.time_zone,
      nightlyRunTime: account.nightly_run_time,
    });
  }
  const active = new Set(accounts.map((a) => a.account_id.toString()));
  for (const key of existingKeys.filter((k) => !active.has(k)))
    await queue.unschedule(NIGHTLY_RUN_QUEUE, key);
  return accounts.length;
}
