import type { Executor, Tx } from '../db/tenant.ts';

/** When each stage of a run ended, for its stage durations. */
export async function findRunStageTimes(trx: Tx | Executor, accountId: bigint, runId: bigint) {
  return trx
    .selectFrom('runs')
    .select(['kind', 'status', 'created_at', 'snapshotted_at', 'fetched_at', 'finished_at', 'lookups_total'])
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .executeTakeFirst();
}
