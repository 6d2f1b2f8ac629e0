import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

/**
 * Fails the run's lookups still pending, with the reason, and counts them in the run's batch
 * ledger; answers how many. Used where a run's remaining lookups will never be answered (a batch
 * that gave up, an abort, a run stuck past the limit).
 */
export async function failPendingLookups(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  reason: string,
  batchNo?: number,
): Promise<number> {
  const { rows } = await sql<{ failed: number }>`
    with failed as (
      update lookups set status = 'failed', last_error = ${reason}, answered_at = now()
      where account_id = ${accountId} and run_id = ${runId} and status = 'pending'
        ${batchNo === undefined ? sql`` : sql`and batch_no = ${batchNo}`}
      returning 1
    ), counted as (
      insert into lookup_batches (account_id, run_id, batch_no, marked, failed, answers_counted, answers_stored,
                                  answers_minor, answers_outstanding, answers_outstanding_minor)
      select ${accountId}, ${runId}, ${batchNo ?? null}::integer, n, n, true, 0, 0, 0, 0
      from (select count(*)::int as n from failed) f
      where n > 0
    )
    select count(*)::int as failed from failed`.execute(trx);
  return rows[0]!.failed;
}

/** Ends a run that cannot finish as `failed`, with the reason. */
export async function markRunFailed(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  error: string,
): Promise<void> {
  await trx
    .updateTable('runs')
    .set({ status: 'failed', error, finished_at: sql`now()` })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .execute();
}

/** Runs past the stuck limit and waiting runs with nothing in their way, in every account. */
export async function runsToSweep(db: Executor, stuckAfterMinutes: number) {
  const { rows } = await sql<{ account_id: bigint; run_id: bigint; status: string }>`
    select account_id, run_id, status from runs_to_sweep(make_interval(mins => ${stuckAfterMinutes}))`.execute(
    db,
  );
  return rows;
}
