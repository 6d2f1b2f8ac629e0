import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

/** The vehicle's most recent finished lookup (pending ones of a running run are not an answer yet). */
export async function lastLookup(trx: Executor, accountId: bigint, vehicleId: bigint) {
  const { rows } = await sql<{
    run_id: bigint;
    status: string;
    attempts: number;
    last_error: string | null;
    answered_at: Date | null;
  }>`
    select k.run_id, k.status, k.attempts, k.last_error, k.answered_at
    from lookups k join runs r on r.account_id = k.account_id and r.id = k.run_id
    where k.account_id = ${accountId} and k.vehicle_id = ${vehicleId}
      and r.status in ('done', 'partial', 'failed')
    order by k.run_id desc
    limit 1`.execute(trx);
  return rows[0];
}

export function outstandingOfVehicle(trx: Executor, accountId: bigint, vehicleId: bigint) {
  return trx
    .selectFrom('violations')
    .select(['ticket_number', 'amount_minor', 'offence_at', 'suspect_since_run'])
    .where('account_id', '=', accountId)
    .where('vehicle_id', '=', vehicleId)
    .where('state', '=', 'outstanding')
    .orderBy('offence_at')
    .execute();
}

export function findVehicle(trx: Executor, accountId: bigint, vehicleId: bigint) {
  return trx
    .selectFrom('vehicles')
    .select([
      'id',
      'plate_display',
      'plate_key',
      'registration_number',
      'label',
      'cost_centre',
      'active_until',
    ])
    .where('account_id', '=', accountId)
    .where('id', '=', vehicleId)
    .executeTakeFirst();
}

export const clearanceColumns = [
  'id',
  'vehicle_id',
  'plate_display',
  'as_of',
  'as_of_run_id',
  'status',
  'created_at',
  'revoked_at',
  'revoke_reason',
  'revoked_by_run',
] as const;

export function insertClearance(
  trx: Executor,
  row: {
    accountId: bigint;
    vehicleId: bigint;
    plateDisplay: string;
    asOf: Date;
    asOfRunId: bigint;
    codeHash: string;
    issuedBy: bigint | null;
    issuedByToken: bigint | null;
  },
) {
  return trx
    .insertInto('clearances')
    .values({
      account_id: row.accountId,
      vehicle_id: row.vehicleId,
      plate_display: row.plateDisplay,
      as_of: row.asOf,
      as_of_run_id: row.asOfRunId,
      code_hash: row.codeHash,
      issued_by: row.issuedBy,
      issued_by_token: row.issuedByToken,
    })
    .returning(clearanceColumns)
    .executeTakeFirstOrThrow();
}

export function listClearances(
  trx: Executor,
  accountId: bigint,
  filter: { vehicleId?: bigint; status?: string; limit: number; before?: bigint },
) {
  let query = trx
    .selectFrom('clearances')
    .select(clearanceColumns)
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(filter.limit);
  if (filter.vehicleId !== undefined) query = query.where('vehicle_id', '=', filter.vehicleId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  return query.execute();
}

export function findClearance(trx: Executor, accountId: bigint, id: bigint) {
  return trx
    .selectFrom('clearances')
    .select(clearanceColumns)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export function revokeClearance(
  trx: Executor,
  accountId: bigint,
  id: bigint,
  by: { userId: bigint | null; tokenId: bigint | null; reason: string },
) {
  return trx
    .updateTable('clearances')
    .set({
      status: 'revoked',
      revoked_at: sql`now()`,
      revoked_by: by.userId,
      revoked_by_token: by.tokenId,
      revoke_reason: by.reason,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('status', '=', 'valid')
    .returning(clearanceColumns)
    .executeTakeFirst();
}

/**
 * Revokes, in one statement, every valid certificate that a run proved wrong: the run brought in a
 * violation of that vehicle (new, reappeared or moved to it) whose offence came before the
 * certificate's as-of time. Answers each revoked certificate with the first such ticket.
 */
export async function revokeDisprovedClearances(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  /** The reason, with `%s` where the ticket number goes. */
  reasonTemplate: string,
) {
  const { rows } = await sql<{ id: bigint; ticket_number: string }>`
    with disproved as (
      select distinct on (c.id) c.id, v.ticket_number
      from clearances c
      join run_changes rc on rc.account_id = c.account_id and rc.run_id = ${runId} and rc.vehicle_id = c.vehicle_id
                         and rc.change in ('new', 'reappeared', 'moved')
      join violations v on v.account_id = rc.account_id and v.ticket_number = rc.ticket_number
      where c.account_id = ${accountId} and c.status = 'valid' and v.offence_at < c.as_of
      order by c.id, v.offence_at, v.ticket_number
    )
    update clearances c set status = 'revoked', revoked_at = now(), revoked_by_run = ${runId},
           revoke_reason = format(${reasonTemplate}, d.ticket_number)
    from disproved d
    where c.account_id = ${accountId} and c.id = d.id
    returning c.id, d.ticket_number`.execute(trx);
  return rows;
}

export async function verifyClearance(db: Executor, codeHash: string) {
  const { rows } = await sql<{
    status: string;
    plate_display: string;
    as_of: Date;
    time_zone: string;
    revoked_at: Date | null;
  }>`select status, plate_display, as_of, time_zone, revoked_at from verify_clearance(${codeHash})`.execute(
    db,
  );
  return rows[0];
}
