/** The statements' job: a run's statements, rendered after it ends (handled in jobs/statements.job.ts). */
import { jobContract, runJobPayload } from '../queue.ts';

export const statementJobs = {
  render: jobContract('statements.render', runJobPayload),
};
