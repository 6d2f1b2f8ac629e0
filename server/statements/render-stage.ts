/**
 * The statements stage of a run's pipeline: reconciliation → payments.issue → statements.render.
 * The payments stage starts it when it ends, whatever its outcome, and says how it ended, so a
 * statement shows the run's payment numbers or says why there are none.
 */
import { z } from 'zod';
import type { Tx } from '../db/tenant.ts';
import type { JobQueue } from '../queue.ts';
import { STATEMENTS_RENDER_QUEUE } from '../runs/runs.service.ts';
import type { PaymentStageOutcome } from './run-statement.ts';

export { STATEMENTS_RENDER_QUEUE };

const id = z
  .string()
  .regex(/^[1-9]\d{0,17}$/)
  .transform((v) => BigInt(v));

export const renderStatementsPayload = z
  .object({
    accountId: id,
    runId: id,
    payments: z
      .discriminatedUnion('status', [
        z.object({ status: z.literal('issued'), refused: z.number().int().min(0) }).strict(),
        z.object({ status: z.literal('unavailable'), reason: z.string().min(1).max(500) }).strict(),
      ])
      .optional(),
  })
  .strict();

/** Enqueues the run's statements in the caller's transaction. */
export async function startStatementsStage(
  trx: Tx,
  queue: JobQueue,
  run: { accountId: bigint; runId: bigint },
  payments: PaymentStageOutcome,
): Promise<void> {
  const outcome =
    payments.status === 'unavailable' ? { ...payments, reason: payments.reason.slice(0, 500) } : payments;
  await queue.send(trx, STATEMENTS_RENDER_QUEUE, [
    { accountId: run.accountId.toString(), runId: run.runId.toString(), payments: outcome },
  ]);
}
