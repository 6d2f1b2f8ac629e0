import assert from 'node:assert/strict';
import type { z } from 'zod';
import { alertJobs } from '../server/alerts/alerts.jobs.ts';
import { drainOutbox } from '../server/alerts/outbox.ts';
import { defineJob } from './job.ts';

/**
 * Drains the alerts outbox: woken for one account when its run (or a test-send, or a re-send)
 * wrote digests, and every minute for all accounts, which picks up retries as they fall due and
 * digests whose sender died. Retries and the dead letter are the outbox's own (per digest, with
 * the reason), so the job itself only fails when the database does.
 */
export const alertsDeliverJob = defineJob<z.output<typeof alertJobs.deliver.payload>>({
  ...alertJobs.deliver,
  queue: { heartbeatSeconds: 30, retryLimit: 3, retryDelay: 5, retryBackoff: true, notify: true },
  work: { pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 2, batchSize: 10 },
  schedule: () => ({ cron: '* * * * *', tz: 'UTC', data: {} }),
  handle: async (ctx, payloads) => {
    assert(ctx.alerts, 'alerts.deliver needs the alert channels in the job context');
    // Several wake-ups for the same account (or one for all) are one drain.
    const all = payloads.some((p) => p.accountId === undefined);
    const accounts = all ? [undefined] : [...new Set(payloads.map((p) => p.accountId!))];
    for (const accountId of accounts) {
      const result = await drainOutbox(ctx.db, ctx.alerts.channels, {
        now: ctx.now(),
        retry: ctx.alerts.retry,
        baseUrl: ctx.alerts.baseUrl,
        ...(accountId === undefined ? {} : { accountId }),
      });
      if (result.sent + result.retrying + result.dead > 0) {
        ctx.log.info({ accountId, ...result }, 'alerts delivered');
      }
    }
  },
});
