import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

/**
 * A reconciled run enters its payment stage: it shows `issuing` (and is not finished) until the
 * stage ends. Only a run that reconciliation has just finished moves.
 */
export async function markRunIssuing(trx: Executor, accountId: bigint, runId: bigint): Promise<void> {
  await sql`
    update runs set status = 'issuing', finished_at = null
    where account_id = ${accountId} and id = ${runId} and status in ('done', 'partial')`.execute(trx);
}

/**
 * The payment stage is over (numbers issued, or the attempt failed and its job will retry): the
 * run ends as reconciliation decided, `partial` when some vehicles went unanswered. Answers
 * whether the run was still issuing.
 */
export async function finishIssuingRun(trx: Executor, accountId: bigint, runId: bigint): Promise<boolean> {
  const result = await sql`
    update runs
    set status = case when jsonb_array_length(coalesce(summary -> 'failedVehicles', '[]'::jsonb)) > 0
                      then 'partial' else 'done' end,
        finished_at = now()
    where account_id = ${accountId} and id = ${runId} and status = 'issuing'`.execute(trx);
  return Number(result.numAffectedRows ?? 0n) > 0;
}
