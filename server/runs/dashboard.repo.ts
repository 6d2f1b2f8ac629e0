import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

/**
 * The account's outstanding violations, now: those of the fleet, and apart from them those of
 * vehicles no longer in it (as a run's summary counts them).
 */
export async function outstandingTotals(trx: Executor, accountId: bigint) {
  const { rows } = await sql<{
    violations: number;
    amount_minor: bigint;
    outside_violations: number;
    outside_amount_minor: bigint;
  }>`
    select count(*) filter (where outside_fleet_since_run is null)::int as violations,
           coalesce(sum(amount_minor) filter (where outside_fleet_since_run is null), 0)::bigint as amount_minor,
           count(*) filter (where outside_fleet_since_run is not null)::int as outside_violations,
           coalesce(sum(amount_minor) filter (where outside_fleet_since_run is not null), 0)::bigint
             as outside_amount_minor
    from violations where account_id = ${accountId} and state = 'outstanding'`.execute(trx);
  return rows[0]!;
}

/**
 * Outstanding violations whose offence is younger than `afterDays` (not yet escalated by the
 * rule), soonest deadline first, with their vehicle's plate.
 */
export async function violationsBeforeEscalation(
  trx: Executor,
  accountId: bigint,
  afterDays: number,
  now: Date,
  limit: number,
) {
  const { rows } = await sql<{
    ticket_number: string;
    vehicle_id: bigint;
    plate_key: string;
    offence_at: Date;
    amount_minor: bigint;
  }>`
    select v.ticket_number, v.vehicle_id, ve.plate_key, v.offence_at, v.amount_minor
    from violations v
    join vehicles ve on ve.account_id = v.account_id and ve.id = v.vehicle_id
    where v.account_id = ${accountId} and v.state = 'outstanding'
      and v.offence_at > ${now}::timestamptz - make_interval(days => ${afterDays})
    order by v.offence_at, v.ticket_number
    limit ${limit}`.execute(trx);
  return rows;
}

/** The account's last finished runs with their outstanding totals, newest first. */
export async function finishedRunTotals(trx: Executor, accountId: bigint, limit: number) {
  const { rows } = await sql<{
    id: bigint;
    kind: string;
    local_night: string | null;
    finished_at: Date;
    violations: number | null;
    amount_minor: string | null;
  }>`
    select id, kind, local_night::text, finished_at,
           (summary -> 'outstanding' ->> 'violations')::int as violations,
           summary -> 'outstanding' ->> 'amountMinor' as amount_minor
    from runs
    where account_id = ${accountId} and status in ('done', 'partial') and summary is not null
    order by id desc
    limit ${limit}`.execute(trx);
  return rows;
}

export async function openExceptionCount(trx: Executor, accountId: bigint): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from exceptions where account_id = ${accountId} and status = 'open'`.execute(
    trx,
  );
  return rows[0]!.n;
}
