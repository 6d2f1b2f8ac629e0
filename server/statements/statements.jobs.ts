/** The statements' job: a run's statements, rendered after its payments stage (handled in jobs/statements.job.ts). */
import { z } from 'zod';
import { jobContract, jobId } from '../queue.ts';

/** How the run's payments stage ended, so a statement shows its numbers or says why there are none. */
const paymentStageOutcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('issued'), refused: z.number().int().min(0) }).strict(),
  z.object({ status: z.literal('unavailable'), reason: z.string().min(1).max(500) }).strict(),
]);

export const statementJobs = {
  render: jobContract(
    'statements.render',
    z.object({ accountId: jobId, runId: jobId, payments: paymentStageOutcome.optional() }).strict(),
  ),
};
