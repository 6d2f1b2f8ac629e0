import type { Job, JobWithMetadata } from 'pg-boss';
import { reasonText } from '../server/i18n/reasons.ts';
import { markRunIssuing } from '../server/payments/payment-stage.repo.ts';
import { paymentJobs } from '../server/payments/payments.jobs.ts';
import { startDueNightlyRuns } from '../server/runs/nightly-start.service.ts';
import { giveUpLookupBatch, giveUpReconciliation, sweepRuns } from '../server/runs/run-ending.service.ts';
import { recordRunMetrics } from '../server/runs/run-metrics.service.ts';
import { followOnPriority, runJobs } from '../server/runs/runs.jobs.ts';
import { reconcileRun, runLookupBatch, startWaitingRun } from '../server/runs/runs.service.ts';
import { defineJob } from './job.ts';

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

/**
 * A queue that sees a job now and then (a dead letter, a waiting run to wake): one handler taking
 * up to ten at a time, whatever WORKER_CONCURRENCY says. Every handler polls while it is idle, so
 * WORKER_CONCURRENCY handlers on each such queue were most of an idle worker's queries.
 */
export const seldomQueue = { ...polling, localConcurrency: 1, batchSize: 10 };

/**
 * For a queue of short jobs taken one at a time (a run's reconciliation, its payment numbers):
 * while a backlog is queued (pg-boss's cached count, refreshed every few seconds: jobs/boss.ts),
 * each handler fetches its next job as soon as it is done. Without it a handler waits out the poll
 * interval after every job (two seconds with NOTIFY on) unless a new job's NOTIFY wakes it: once
 * the night's lookups ended and no new reconciliations were queued, four handlers took about two
 * jobs a second from a backlog of hundreds, each job a fraction of a second.
 */
export const drainBacklog = { burstWhenReadyExceeds: 1 };

/**
 * Handlers for a run's follow-on stages (its reconciliation, its payment numbers): twice the other
 * queues'. A large fleet's stage holds a handler for seconds to half a minute (21,000 vehicles),
 * and when the night's largest fleets finish their lookups together, the hundreds of small runs
 * finishing theirs meanwhile queued behind the handlers left, so the night ended on that backlog.
 * Both stages wait mostly on the database and the authority.
 */
export const followOnHandlers = (workerConcurrency: number) => 2 * workerConcurrency;

/**
 * One job a minute starts every account whose nightly time in its own zone is due (sql/0140), up
 * to thousands at once; one at a time, since two would only find each other's accounts started.
 */
export const nightlyRunJob = defineJob({
  ...runJobs.nightly,
  queue: crashRecovery,
  work: { ...polling, localConcurrency: 1 },
  schedule: () => ({ cron: '* * * * *', tz: 'UTC', data: {} }),
  handle: async (ctx) => {
    const runs = await startDueNightlyRuns(ctx.db, ctx.queue, ctx.now(), ctx.config.runs.batchSize);
    if (runs.length === 0) return;
    const waiting = runs.filter((r) => r.status === 'waiting').map((r) => r.account_id);
    ctx.log.info(
      { started: runs.length - waiting.length, waiting },
      'nightly runs started (waiting ones wait for the run in progress)',
    );
  },
});

/** Why a dead-lettered job gave up, as a stored reason: its attempts, and its last error as pg-boss kept it. */
export function gaveUpReason(
  stage: 'lookup.batch_gave_up' | 'issuance.gave_up' | 'run.reconcile_gave_up',
  job: Job<unknown>,
): string {
  const output = (job as JobWithMetadata<unknown>).sourceOutput as { message?: unknown } | null | undefined;
  const retries = (job as JobWithMetadata<unknown>).sourceRetryCount;
  const last = typeof output?.message === 'string' ? output.message.slice(0, 500) : null;
  const attempts = typeof retries === 'number' ? retries + 1 : null;
  const counted = attempts === null ? '_all' : attempts === 1 ? '_one' : '';
  return reasonText(`${stage}${counted}${last === null ? '' : '_because'}`, {
    attempts: attempts ?? 0,
    reason: last ?? '',
  });
}

// Dead-letter queues (created before the queues that name them): a job out of retries lands here.
export const lookupBatchGaveUpJob = defineJob({
  ...runJobs.lookupBatchGaveUp,
  queue: crashRecovery,
  work: { ...seldomQueue, includeMetadata: true },
  handle: async (ctx, payloads, jobs) => {
    for (const [i, job] of payloads.entries()) {
      const reason = gaveUpReason('lookup.batch_gave_up', jobs[i]!);
      const failed = await giveUpLookupBatch(ctx.db, ctx.queue, job, reason);
      ctx.log.error({ ...job, failed, reason }, 'lookup batch gave up: its pending lookups failed');
    }
  },
});

export const reconcileGaveUpJob = defineJob({
  ...runJobs.reconcileGaveUp,
  queue: crashRecovery,
  work: { ...seldomQueue, includeMetadata: true },
  handle: async (ctx, payloads, jobs) => {
    for (const [i, job] of payloads.entries()) {
      const reason = gaveUpReason('run.reconcile_gave_up', jobs[i]!);
      const ended = await giveUpReconciliation(ctx.db, ctx.queue, job, reason);
      ctx.log.error({ ...job, ended, reason }, 'reconciliation gave up: the run failed');
    }
  },
});

export const startRunJob = defineJob({
  ...runJobs.start,
  queue: crashRecovery,
  work: seldomQueue,
  handle: async (ctx, payloads) => {
    for (const job of payloads) {
      const started = await startWaitingRun(ctx.db, ctx.queue, job, ctx.config.runs);
      ctx.log.info({ ...job, started }, started ? 'waiting run started' : 'waiting run still waits');
    }
  },
});

/** Ends runs stuck past the limit, starts waiting runs nothing blocks any more and nightly runs the scheduler lost. */
export const runSweepJob = defineJob({
  ...runJobs.sweep,
  work: { localConcurrency: 1 },
  schedule: (config) => ({ cron: config.runSweepCron, tz: 'UTC', data: {} }),
  handle: async (ctx) => {
    const swept = await sweepRuns(ctx.db, ctx.queue, ctx.config.runs, ctx.now());
    if (swept.length > 0) ctx.log.warn({ swept }, 'run sweep acted');
  },
});

export const lookupBatchJob = defineJob({
  ...runJobs.lookupBatch,
  queue: { ...crashRecovery, deadLetter: runJobs.lookupBatchGaveUp.name },
  // Four batches per fetch, fetched back to back while the queue is full; the gate paces the
  // authority. A batch spends most of its time on database round trips (preparing, recording,
  // completing), not at the authority: at two per fetch (eight per worker) the batches in hand did
  // not keep the gate's rate busy.
  work: { ...polling, batchSize: 4, burstWhenBatchFull: true },
  handle: async (ctx, payloads) => {
    await Promise.all(payloads.map((job) => runLookupBatch(ctx.db, ctx.queue, ctx.authorities, job)));
  },
});

export const reconcileJob = defineJob({
  ...runJobs.reconcile,
  queue: { ...crashRecovery, deadLetter: runJobs.reconcileGaveUp.name },
  work: { ...polling, ...drainBacklog },
  handlers: followOnHandlers,
  handle: async (ctx, payloads) => {
    for (const job of payloads) {
      const summary = await reconcileRun(ctx.db, ctx.queue, job, ctx.config.runs, async (trx, run) => {
        await ctx.queue.send(
          trx,
          paymentJobs.issue,
          [{ accountId: job.accountId.toString(), runId: job.runId.toString() }],
          [followOnPriority(ctx.now(), run.vehicles)],
        );
        await markRunIssuing(trx, job.accountId, job.runId);
      });
      if (summary) {
        ctx.log.info({ ...job, held: summary.heldSettlements }, 'run reconciled');
        await recordRunMetrics(ctx.db, job, summary);
      }
    }
  },
});
