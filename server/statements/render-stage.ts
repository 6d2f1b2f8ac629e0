/**
 * The statements stage of a run's pipeline: reconciliation → payments.issue → statements.render.
 * The payments stage starts it when it ends, whatever its outcome, and says how it ended, so a
 * statement shows the run's payment numbers or says why there are none.
 */
import type { Tx } from '../db/tenant.ts';
import type { JobQueue } from '../queue.ts';
import type { PaymentStageOutcome } from './run-statement.ts';
import { statementJobs } from './statements.jobs.ts';

/** Enqueues the run's statements in the caller's transaction. */
export async function startStatementsStage(
  trx: Tx,
  queue: JobQueue,
  run: { accountId: bigint; runId: bigint },
  payments: PaymentStageOutcome,
): Promise<void> {
  const outcome =
    payments.status === 'unavailable' ? { ...payments, reason: payments.reason.slice(0, 500) } : payments;
  await queue.send(trx, statementJobs.render, [
    { accountId: run.accountId.toString(), runId: run.runId.toString(), payments: outcome },
  ]);
}
