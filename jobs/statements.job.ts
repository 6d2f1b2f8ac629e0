import { statementJobs } from '../server/statements/statements.jobs.ts';
import { renderRunStatements } from '../server/statements/statements.service.ts';
import { defineJob } from './job.ts';

/**
 * A run's last stage, after its payment numbers: late-fine revocations, then its statements in
 * both languages and formats.
 */
export const renderStatementsJob = defineJob({
  ...statementJobs.render,
  // A big fleet's four statements take minutes: an hour before the job counts as expired, while the
  // heartbeat hands a crashed worker's job to another within half a minute.
  queue: {
    expireInSeconds: 3600,
    heartbeatSeconds: 30,
    retryLimit: 5,
    retryDelay: 5,
    retryBackoff: true,
    notify: true,
  },
  work: { pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 2 },
  handle: async (ctx, payloads) => {
    for (const job of payloads) {
      const result = await renderRunStatements(ctx.db, job, ctx.now(), ctx.signal);
      ctx.log.info({ ...job, ...result }, 'run statements rendered');
    }
  },
});
