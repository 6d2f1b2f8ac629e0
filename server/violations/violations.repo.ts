import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

/**
 * Makes the transaction the only writer of the account's violations until it ends: the
 * reconciliation, a person deciding a held settlement, and anything else that changes a
 * violation's state take it first, so none of them works from a state another is changing.
 */
export async function lockAccountViolations(trx: Executor, accountId: bigint): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('violations'), (${accountId}::bigint % 2147483647)::int)`.execute(
    trx,
  );
}

/** What is still outstanding on vehicles outside the fleet: shown apart from the fleet's total. */
export async function totalOutsideFleet(trx: Executor, accountId: bigint) {
  const { rows } = await sql<{ violations: number; amount_minor: bigint }>`
    select count(*)::int as violations, coalesce(sum(amount_minor), 0)::bigint as amount_minor
    from violations
    where account_id = ${accountId} and outside_fleet_since_run is not null and state = 'outstanding'`.execute(
    trx,
  );
  return rows[0]!;
}

export const violationColumns = [
  'ticket_number',
  'vehicle_id',
  'state',
  'offence_at',
  'type_code',
  'description_ar',
  'description_en',
  'location',
  'amount_minor',
  'currency',
  'authority_status',
  'authority_payment_ref',
  'pre_acquisition',
  'suspect_since_run',
  'outside_fleet_since_run',
  'version',
  'first_seen_run',
  'last_changed_run',
] as const;

export interface ViolationFilter {
  state?: string;
  vehicleId?: bigint;
  costCentre?: string;
  /** Offence times from (inclusive) and to (exclusive). */
  from?: Date;
  to?: Date;
  minAmountMinor?: bigint;
  maxAmountMinor?: bigint;
  limit: number;
  after?: string;
}

export function listViolations(trx: Executor, accountId: bigint, filter: ViolationFilter) {
  let query = trx
    .selectFrom('violations')
    .innerJoin('vehicles', (join) =>
      join
        .onRef('vehicles.account_id', '=', 'violations.account_id')
        .onRef('vehicles.id', '=', 'violations.vehicle_id'),
    )
    .select(violationColumns.map((c) => `violations.${c}` as const))
    .select('vehicles.plate_key')
    .where('violations.account_id', '=', accountId)
    .orderBy('violations.ticket_number')
    .limit(filter.limit);
  if (filter.state) query = query.where('violations.state', '=', filter.state);
  if (filter.vehicleId !== undefined) query = query.where('violations.vehicle_id', '=', filter.vehicleId);
  if (filter.costCentre !== undefined) query = query.where('vehicles.cost_centre', '=', filter.costCentre);
  if (filter.from !== undefined) query = query.where('violations.offence_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('violations.offence_at', '<', filter.to);
  if (filter.minAmountMinor !== undefined)
    query = query.where('violations.amount_minor', '>=', filter.minAmountMinor);
  if (filter.maxAmountMinor !== undefined)
    query = query.where('violations.amount_minor', '<=', filter.maxAmountMinor);
  if (filter.after !== undefined) query = query.where('violations.ticket_number', '>', filter.after);
  return query.execute();
}

export function listVersions(trx: Executor, accountId: bigint, ticketNumbers: string[]) {
  if (ticketNumbers.length === 0) return Promise.resolve([]);
  return trx
    .selectFrom('violation_versions')
    .select([
      'ticket_number',
      'version',
      'run_id',
      'vehicle_id',
      'state',
      'amount_minor',
      'authority_status',
      'change',
      'recorded_at',
    ])
    .where('account_id', '=', accountId)
    .where('ticket_number', 'in', ticketNumbers)
    .orderBy('ticket_number')
    .orderBy('version')
    .execute();
}

export async function vehicleExists(trx: Executor, accountId: bigint, vehicleId: bigint): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    select exists (select 1 from vehicles where account_id = ${accountId} and id = ${vehicleId}) as found`.execute(
    trx,
  );
  return rows[0]!.found;
}

/** Whether the account has any violation yet (none before its first night's run). */
export async function hasViolations(trx: Executor, accountId: bigint): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    select exists (select from violations where account_id = ${accountId}) as found`.execute(trx);
  return rows[0]!.found;
}
