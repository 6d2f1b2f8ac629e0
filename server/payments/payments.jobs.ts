/** The payments' jobs: after reconciliation, a run's payment numbers, and where the stage lands out of retries (handled in jobs/payments.job.ts). */
import { jobContract, runJobPayload } from '../queue.ts';

export const paymentJobs = {
  issue: jobContract('payments.issue', runJobPayload),
  issueGaveUp: jobContract('payments.issue_gave_up', runJobPayload),
};
