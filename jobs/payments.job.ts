import { withTenant } from '../server/db/tenant.ts';
import { DomainError } from '../server/errors.ts';
import { runPaymentStage } from '../server/payments/payment-stage.service.ts';
import { paymentJobs } from '../server/payments/payments.jobs.ts';
import { startStatementsStage } from '../server/statements/render-stage.ts';
import { defineJob } from './job.ts';
import { drainBacklog, followOnHandlers, gaveUpReason, seldomQueue } from './runs.job.ts';

/** Dead-letter queue: a payments stage out of retries lands here, and the run's statements go on without numbers. */
export const paymentsIssueGaveUpJob = defineJob({
  ...paymentJobs.issueGaveUp,
  queue: { heartbeatSeconds: 10, retryLimit: 10, retryDelay: 1, retryBackoff: true, notify: true },
  work: { ...seldomQueue, includeMetadata: true },
  handle: async (ctx, payloads, jobs) => {
    for (const [i, job] of payloads.entries()) {
      const reason = gaveUpReason('issuance.gave_up', jobs[i]!);
      await withTenant(ctx.db, job.accountId, (trx) =>
        startStatementsStage(trx, ctx.queue, job, { status: 'unavailable', reason }),
      );
      ctx.log.error({ ...job, reason }, 'payments stage gave up: statements render without payment numbers');
    }
  },
});

/**
 * After reconciliation: confirm what was paid, flag what does not add up, issue the night's
 * numbers, then start the run's statements (which show those numbers). A stage refused for the
 * run (a domain error) starts them too, saying why there are no numbers; anything else is retried
 * and, out of retries, dead-lettered to the same end.
 */
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
    deadLetter: paymentJobs.issueGaveUp.name,
  },
  work: { pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 2, ...drainBacklog },
  handlers: followOnHandlers,
  handle: async (ctx, payloads) => {
    for (const job of payloads) {
      try {
        const summary = await runPaymentStage(ctx.db, ctx.queue, ctx.issuer, job, ctx.now(), (trx, done) =>
          startStatementsStage(trx, ctx.queue, job, {
            status: 'issued',
            refused: done.vehicleNumbers.refused + done.consolidated.refused,
          }),
        );
        ctx.log.info({ ...job, ...summary }, 'payment numbers issued');
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        await withTenant(ctx.db, job.accountId, (trx) =>
          startStatementsStage(trx, ctx.queue, job, { status: 'unavailable', reason: error.message }),
        );
        ctx.log.error(
          { ...job, code: error.code, reason: error.message },
          'payments stage refused for the run: statements render without payment numbers',
        );
      }
    }
  },
});
