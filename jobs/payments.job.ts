import { z } from 'zod';
import { PAYMENTS_ISSUE_QUEUE, runPaymentStage } from '../server/payments/payment-stage.service.ts';
import { defineJob } from './job.ts';

const id = z
  .string()
  .regex(/^[1-9]\d{0,17}$/)
  .transform((v) => BigInt(v));

/** After reconciliation: confirm what was paid, flag what does not add up, issue the night's numbers. */
export const paymentsIssueJob = defineJob({
  name: PAYMENTS_ISSUE_QUEUE,
  payload: z.object({ accountId: id, runId: id }).strict(),
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
    for (const job of payloads) {
      const summary = await runPaymentStage(ctx.db, ctx.queue, ctx.issuer, job, ctx.now());
      ctx.log.info({ ...job, ...summary }, 'payment numbers issued');
    }
  },
});
