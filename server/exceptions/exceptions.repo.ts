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
  'resolution',
  'resolved_by_run',
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
    .set({
      status,
      resolved_at: sql`now()`,
      resolved_by: userId,
      resolution:
        status === 'confirmed'
          ? 'confirmed_by_person'
          : status === 'dismissed'
            ? 'dismissed_by_person'
            : null,
      resolution_note: note,
    })
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
      update violations set state = 'settled', suspect_since_run = null, suspect_nights = 0, version = version + 1
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
    .set({ suspect_since_run: null, suspect_nights: 0 })
    .where('account_id', '=', accountId)
    .where('suspect_since_run', '=', runId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Closes the open suspect-settlement exceptions that hold nothing any more (each held violation
 * came back or was confirmed by enough plausible nights), recording the run and the reason:
 * `confirmed` when any of the held violations ended settled, else `dismissed` (all came back).
 */
export async function closeDecidedSuspicions(trx: Executor, accountId: bigint, runId: bigint) {
  const { rows } = await sql<{ id: bigint; resolution: string; settled: number; kept: number }>`
    with candidates as (
      select e.id, e.run_id from exceptions e
      where e.account_id = ${accountId} and e.kind = 'suspect_mass_settlement' and e.status = 'open'
        and e.run_id is not null
        and not exists (select from violations v
                        where v.account_id = ${accountId} and v.suspect_since_run = e.run_id)
    ), outcome as (
      select c.id, count(*) filter (where v.state = 'settled')::int as settled,
             count(*) filter (where v.state <> 'settled')::int as kept
      from candidates c
      join run_changes rc on rc.account_id = ${accountId} and rc.run_id = c.run_id and rc.held
      join violations v on v.account_id = ${accountId} and v.ticket_number = rc.ticket_number
      group by c.id
    ), closed as (
      update exceptions e set
        status = case when coalesce(o.settled, 0) > 0 then 'confirmed' else 'dismissed' end,
        resolution = case when coalesce(o.settled, 0) > 0 then 'confirmed_by_runs' else 'cleared_by_runs' end,
        resolved_at = now(), resolved_by_run = ${runId},
        details = e.details || jsonb_build_object(
          'resolutionReason',
          case when coalesce(o.settled, 0) > 0
               then 'later runs confirmed the settlements: still absent from the authority''s answers on enough plausible nights'
               else 'later runs found the held violations at the authority again' end,
          'settled', coalesce(o.settled, 0), 'keptOutstanding', coalesce(o.kept, 0))
      from candidates c left join outcome o on o.id = c.id
      where e.account_id = ${accountId} and e.id = c.id
      returning e.id, e.resolution, coalesce(o.settled, 0) as settled, coalesce(o.kept, 0) as kept
    )
    select id, resolution, settled, kept from closed order by id`.execute(trx);
  return rows.map((r) => ({
    exceptionId: r.id,
    resolution: r.resolution,
    settled: r.settled,
    keptOutstanding: r.kept,
  }));
}
