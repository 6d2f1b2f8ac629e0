/** The alerts' job: drain the outbox, for one account or for all (handled in jobs/alerts.job.ts). */
import { z } from 'zod';
import { jobContract, jobId } from '../queue.ts';

export const alertJobs = {
  deliver: jobContract('alerts.deliver', z.object({ accountId: jobId.optional() }).strict()),
};
