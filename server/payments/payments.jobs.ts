/** The payments' job: after reconciliation, a run's payment numbers (handled in jobs/payments.job.ts). */
import { jobContract, runJobPayload } from '../queue.ts';

export const paymentJobs = {
  issue: jobContract('payments.issue', runJobPayload),
};
