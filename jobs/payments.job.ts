import assert from 'node:assert/strict';
import { issueAfterRun } from '../server/payments/payment-stage.service.ts';
import { paymentJobs } from '../server/payments/payments.jobs.ts';
import { defineJob } from './job.ts';

/** After reconciliation: confirm what was paid, flag what does not add up, issue the night's numbers. */
export const paymentsIssueJob = defineJob({
  ...paymentJobs.issue,
  // The authority's issuance call is idempotent per set, so a retried job records the same numbers.
  queue: {
    heartbeatSeconds: 10,
    retryLimit: 10,
    retryDelay: 2,
    retryBackoff: true,
    retryDelayMax: 120,
    notify: true,
  },
  work: { pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 2 },
  handle: async (ctx, payloads) => {
    assert(ctx.issuer, 'payments.issue needs the authority issuance client in the job context');
    for (const job of payloads) {
      const summary = await issueAfterRun(ctx.db, ctx.issuer, job, ctx.now());
      ctx.log.info({ ...job, ...summary }, 'payment numbers issued');
    }
  },
});
