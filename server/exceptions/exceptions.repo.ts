import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

export const exceptionColumns = [
  'id',
  'kind',
  'run_id',
  'status',
  'details',
  'created_at',
  'resolved_at',
  'resolved_by',
  'payment_id',
  'payment_number_id',
  'resolution_note',
] as const;

export function listExceptions(
  trx: Executor,
  accountId: bigint,
  filter: { status?: string; kind?: string; limit: number; before?: bigint },
) {
  let query = trx
    .selectFrom('exceptions')
    .select(exceptionColumns)
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(filter.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  return query.execute();
}

/** Locks an open exception for its resolution; undefined when it is not open (or not there). */
export function lockOpenException(trx: Executor, accountId: bigint, id: bigint) {
  return trx
    .selectFrom('exceptions')
    .select(exceptionColumns)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('status', '=', 'open')
    .forUpdate()
    .executeTakeFirst();
}

export function findException(trx: Executor, accountId: bigint, id: bigint) {
  return trx
    .selectFrom('exceptions')
    .select(exceptionColumns)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function resolveException(
  trx: Executor,
  accountId: bigint,
  id: bigint,
  status: 'confirmed' | 'dismissed' | 'resolved',
  userId: bigint | null,
  note: string | null = null,
): Promise<void> {
  await trx
    .updateTable('exceptions')
    .set({ status, resolved_at: sql`now()`, resolved_by: userId, resolution_note: note })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .execute();
}

/**
 * A person confirms the settlements a run held as suspect: the violations still held since that
 * run become settled, with a version each. Answers how many.
 */
export async function settleHeldViolations(trx: Executor, accountId: bigint, runId: bigint): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with settled as (
      update violations set state = 'settled', suspect_since_run = null, version = version + 1
      where account_id = ${accountId} and suspect_since_run = ${runId} and state = 'outstanding'
      returning ticket_number, version, vehicle_id, amount_minor, authority_status, authority_payment_ref
    ), versions as (
      insert into violation_versions (account_id, ticket_number, version, run_id, vehicle_id, state, amount_minor,
                                      authority_status, authority_payment_ref, change)
      select ${accountId}, ticket_number, version, ${runId}, vehicle_id, 'settled', amount_minor, authority_status,
             authority_payment_ref, 'settled'
      from settled
    )
    select count(*)::int as n from settled`.execute(trx);
  return rows[0]!.n;
}

/** A person dismisses the suspicion: the violations held since that run stay outstanding, unmarked. */
export async function clearHeldViolations(trx: Executor, accountId: bigint, runId: bigint): Promise<number> {
  const result = await trx
    .updateTable('violations')
    .set({ suspect_since_run: null })
    .where('account_id', '=', accountId)
    .where('suspect_since_run', '=', runId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
