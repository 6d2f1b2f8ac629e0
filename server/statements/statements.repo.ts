/**
 * What statements read: one run's header, its outstanding violations as of the run (from the
 * append-only versions, so a later run never changes an earlier run's statement), its vehicles and
 * its change lines. Big reads are queries for a cursor (server/db/cursor.ts).
 */
import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

export async function findStatementRun(trx: Executor, accountId: bigint, runId: bigint) {
  const { rows } = await sql<{
    legal_name_ar: string;
    legal_name_en: string;
    account_kind: string;
    registry_number: string;
    jurisdiction: string;
    currency: string;
    time_zone: string;
    run_id: bigint;
    run_kind: string;
    status: string;
    created_at: Date;
    finished_at: Date | null;
    lookups_total: number;
    summary: unknown;
    import_file_name: string | null;
  }>`
    select a.legal_name_ar, a.legal_name_en, a.kind as account_kind, a.registry_number, a.jurisdiction,
           a.currency, a.time_zone, r.id as run_id, r.kind as run_kind, r.status, r.created_at, r.finished_at,
           r.lookups_total, r.summary, i.file_name as import_file_name
    from runs r
    join accounts a on a.id = r.account_id
    left join run_imports i on i.account_id = r.account_id and i.run_id = r.id
    where r.account_id = ${accountId} and r.id = ${runId}`.execute(trx);
  return rows[0];
}

/** Each violation's latest version as of the run: its state, vehicle and amount then. */
const asOfVersions = (accountId: bigint, runId: bigint) => sql`
  select distinct on (ticket_number) ticket_number, vehicle_id, state, amount_minor, authority_status
  from violation_versions
  where account_id = ${accountId} and run_id <= ${runId}
  order by ticket_number, version desc`;

/** Outstanding as of the run, with the facts of each violation and why it may be in doubt. */
const outstandingAsOf = (accountId: bigint, runId: bigint) => sql`
  select l.ticket_number, l.vehicle_id, l.amount_minor, l.authority_status, v.offence_at, v.type_code,
         v.description_ar, v.description_en, v.location,
         coalesce(k.status in ('failed', 'pending'), false) as stale,
         coalesce(c.held, false) as held
  from (${asOfVersions(accountId, runId)}) l
  join violations v on v.account_id = ${accountId} and v.ticket_number = l.ticket_number
  left join lookups k on k.account_id = ${accountId} and k.run_id = ${runId} and k.vehicle_id = l.vehicle_id
  left join run_changes c on c.account_id = ${accountId} and c.run_id = ${runId}
                         and c.ticket_number = l.ticket_number and c.held
  where l.state = 'outstanding'`;

export interface OutstandingTotals {
  violations: number;
  amount_minor: bigint;
  held_violations: number;
  held_minor: bigint;
  stale_violations: number;
  stale_minor: bigint;
  vehicles: number;
}

export async function totalOutstandingAsOf(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
): Promise<OutstandingTotals> {
  const { rows } = await sql<OutstandingTotals>`
    select count(*)::int as violations, coalesce(sum(amount_minor), 0)::bigint as amount_minor,
           (count(*) filter (where held))::int as held_violations,
           coalesce(sum(amount_minor) filter (where held), 0)::bigint as held_minor,
           (count(*) filter (where stale))::int as stale_violations,
           coalesce(sum(amount_minor) filter (where stale), 0)::bigint as stale_minor,
           count(distinct vehicle_id)::int as vehicles
    from (${outstandingAsOf(accountId, runId)}) o`.execute(trx);
  return rows[0]!;
}

export interface ViolationLineRow {
  ticket_number: string;
  vehicle_id: bigint;
  plate_display: string;
  amount_minor: bigint;
  authority_status: string;
  offence_at: Date;
  type_code: string;
  description_ar: string;
  description_en: string;
  location: string;
  stale: boolean;
  held: boolean;
  /** The open vehicle payment number this line is on (run statements only). */
  payment_number?: string | null;
}

/** Every outstanding violation line as of the run, by plate and offence time, with its open vehicle number. */
export function outstandingLinesQuery(accountId: bigint, runId: bigint): RawBuilder<ViolationLineRow> {
  return sql<ViolationLineRow>`
    select o.*, coalesce(h.plate_display, '') as plate_display, n.number as payment_number
    from (${outstandingAsOf(accountId, runId)}) o
    left join vehicles h on h.account_id = ${accountId} and h.id = o.vehicle_id
    left join (${openVehicleNumberLines(accountId)}) n on n.ticket_number = o.ticket_number
    order by h.plate_display, o.vehicle_id, o.offence_at, o.ticket_number`;
}

/** Each vehicle's open vehicle payment number (the newest, should two ever be open). */
const openVehicleNumbers = (accountId: bigint) => sql`
  select distinct on (vehicle_id) vehicle_id, id, number
  from payment_numbers
  where account_id = ${accountId} and kind = 'vehicle' and state = 'open'
  order by vehicle_id, id desc`;

/** The tickets on those numbers. */
const openVehicleNumberLines = (accountId: bigint) => sql`
  select l.ticket_number, n.number
  from (${openVehicleNumbers(accountId)}) n
  join payment_number_lines l on l.account_id = ${accountId} and l.payment_number_id = n.id`;

export interface PaymentNumberRow {
  number: string;
  kind: 'vehicle' | 'consolidated';
  issuer: string;
  plate_display: string | null;
  line_count: number;
  total_minor: bigint;
  paid_minor: bigint;
  total_after_deadline_minor: bigint;
  next_deadline_at: Date | null;
  expires_at: Date;
  /** What its lines add up to (the number's total is checked against it). */
  lines_minor: bigint;
}

const paymentNumberColumns = sql`
  p.number, p.kind, p.issuer, p.line_count, p.total_minor, p.paid_minor, p.total_after_deadline_minor,
  p.next_deadline_at, p.expires_at,
  (select coalesce(sum(l.amount_minor), 0)::bigint from payment_number_lines l
   where l.account_id = p.account_id and l.payment_number_id = p.id) as lines_minor`;

/** The account's open consolidated number for all of its payable violations, if any. */
export async function openConsolidatedNumber(
  trx: Executor,
  accountId: bigint,
): Promise<PaymentNumberRow | undefined> {
  const { rows } = await sql<PaymentNumberRow>`
    select ${paymentNumberColumns}, null as plate_display
    from payment_numbers p
    where p.account_id = ${accountId} and p.kind = 'consolidated' and p.state = 'open'
      and p.selection ->> 'scope' = 'account'
    order by p.id desc limit 1`.execute(trx);
  return rows[0];
}

/** The open vehicle numbers, by plate: the payment numbers sheet and pages. */
export function openVehicleNumbersQuery(accountId: bigint): RawBuilder<PaymentNumberRow> {
  return sql<PaymentNumberRow>`
    select ${paymentNumberColumns}, h.plate_display
    from (${openVehicleNumbers(accountId)}) n
    join payment_numbers p on p.account_id = ${accountId} and p.id = n.id
    join vehicles h on h.account_id = ${accountId} and h.id = n.vehicle_id
    order by h.plate_display, h.id`;
}

export async function totalOpenVehicleNumbers(trx: Executor, accountId: bigint) {
  const { rows } = await sql<{
    numbers: number;
    lines: number;
    total_minor: bigint;
    after_deadline_minor: bigint;
  }>`
    select count(*)::int as numbers, coalesce(sum(p.line_count), 0)::int as lines,
           coalesce(sum(p.total_minor - least(p.paid_minor, p.total_minor)), 0)::bigint as total_minor,
           coalesce(sum(p.total_after_deadline_minor), 0)::bigint as after_deadline_minor
    from (${openVehicleNumbers(accountId)}) n
    join payment_numbers p on p.account_id = ${accountId} and p.id = n.id`.execute(trx);
  return rows[0]!;
}

export interface VehicleLineRow {
  vehicle_id: bigint;
  plate_display: string;
  label: string | null;
  cost_centre: string | null;
  lookup_status: string | null;
  lookup_error: string | null;
  violations: number;
  amount_minor: bigint;
  /** The outstanding lines' offence times (epoch ms) and amounts, for the payments module's due rules. */
  line_offences: number[] | null;
  line_amounts: string[] | null;
  payment_number: string | null;
}

/**
 * Per vehicle: what is outstanding as of the run, its lines (what is due after each deadline is
 * worked out from them by server/payments/due.ts) and its open vehicle payment number. Every
 * vehicle with something outstanding, and every vehicle whose lookup failed, even with nothing known.
 */
export function vehicleLinesQuery(accountId: bigint, runId: bigint): RawBuilder<VehicleLineRow> {
  return sql<VehicleLineRow>`
    with per_vehicle as (
      select o.vehicle_id, count(*)::int as violations, sum(o.amount_minor)::bigint as amount_minor,
             array_agg((extract(epoch from o.offence_at) * 1000)::float8) as line_offences,
             array_agg(o.amount_minor::text) as line_amounts
      from (${outstandingAsOf(accountId, runId)}) o
      group by o.vehicle_id
    ), failed as (
      select vehicle_id, status, last_error from lookups
      where account_id = ${accountId} and run_id = ${runId} and status in ('failed', 'pending')
    )
    select h.id as vehicle_id, h.plate_display, h.label, h.cost_centre, k.status as lookup_status,
           k.last_error as lookup_error,
           coalesce(p.violations, 0) as violations, coalesce(p.amount_minor, 0)::bigint as amount_minor,
           p.line_offences, p.line_amounts, n.number as payment_number
    from per_vehicle p
    full join failed f on f.vehicle_id = p.vehicle_id
    join vehicles h on h.account_id = ${accountId} and h.id = coalesce(p.vehicle_id, f.vehicle_id)
    left join lookups k on k.account_id = ${accountId} and k.run_id = ${runId} and k.vehicle_id = h.id
    left join (${openVehicleNumbers(accountId)}) n on n.vehicle_id = h.id
    order by h.plate_display, h.id`;
}

export async function countVehicleLines(trx: Executor, accountId: bigint, runId: bigint): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from (${vehicleLinesQuery(accountId, runId)}) v`.execute(trx);
  return rows[0]!.n;
}

export interface FailedLookupRow {
  vehicle_id: bigint;
  plate_display: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

export async function failedLookupVehicles(trx: Executor, accountId: bigint, runId: bigint) {
  const { rows } = await sql<FailedLookupRow>`
    select k.vehicle_id, h.plate_display, k.status, k.attempts, k.last_error
    from lookups k join vehicles h on h.account_id = k.account_id and h.id = k.vehicle_id
    where k.account_id = ${accountId} and k.run_id = ${runId} and k.status in ('failed', 'pending')
    order by h.plate_display, k.vehicle_id`.execute(trx);
  return rows;
}

export interface ChangeLineRow {
  ticket_number: string;
  plate_display: string;
  previous_plate_display: string | null;
  change: string;
  held: boolean;
  previous_amount_minor: bigint | null;
  amount_minor: bigint;
  offence_at: Date | null;
}

/** The run's change lines (every change but plain `unchanged`, which is only counted), by ticket. */
export function changeLinesQuery(accountId: bigint, runId: bigint): RawBuilder<ChangeLineRow> {
  return sql<ChangeLineRow>`
    select c.ticket_number, coalesce(h.plate_display, '') as plate_display, p.plate_display as previous_plate_display,
           c.change, c.held, c.previous_amount_minor, c.amount_minor, v.offence_at
    from run_changes c
    left join vehicles h on h.account_id = c.account_id and h.id = c.vehicle_id
    left join vehicles p on p.account_id = c.account_id and p.id = c.previous_vehicle_id
    left join violations v on v.account_id = c.account_id and v.ticket_number = c.ticket_number
    where c.account_id = ${accountId} and c.run_id = ${runId}
    order by c.change, c.ticket_number`;
}

export async function totalChangeLines(trx: Executor, accountId: bigint, runId: bigint) {
  const { rows } = await sql<{ change: string; violations: number; amount_minor: bigint; held: number }>`
    select change, count(*)::int as violations, sum(amount_minor)::bigint as amount_minor,
           (count(*) filter (where held))::int as held
    from run_changes where account_id = ${accountId} and run_id = ${runId}
    group by change order by change`.execute(trx);
  return rows;
}

/** The longest texts a statement's columns may hold, so spreadsheet columns are made to fit. */
export async function longestTexts(trx: Executor, accountId: bigint) {
  const { rows } = await sql<{
    plate: number;
    label: number;
    cost_centre: number;
    description_ar: number;
    description_en: number;
    location: number;
    ticket: number;
    type: number;
  }>`
    select v.plate, v.label, v.cost_centre, o.description_ar, o.description_en, o.location, o.ticket, o.type
    from (select coalesce(max(length(plate_display)), 0) as plate, coalesce(max(length(label)), 0) as label,
                 coalesce(max(length(cost_centre)), 0) as cost_centre
          from vehicles where account_id = ${accountId}) v
    cross join (select coalesce(max(length(description_ar)), 0) as description_ar,
                       coalesce(max(length(description_en)), 0) as description_en,
                       coalesce(max(length(location)), 0) as location,
                       coalesce(max(length(ticket_number)), 0) as ticket,
                       coalesce(max(length(type_code)), 0) as type
                from violations where account_id = ${accountId}) o`.execute(trx);
  return rows[0]!;
}

export interface ViolationExportRow {
  ticket_number: string;
  vehicle_id: bigint;
  plate_display: string;
  registration_number: string | null;
  cost_centre: string | null;
  state: string;
  offence_at: Date;
  type_code: string;
  description_ar: string;
  description_en: string;
  location: string;
  amount_minor: bigint;
  currency: string;
  authority_status: string;
  authority_payment_ref: string | null;
}

/** The account's violations (current state) for export, by ticket. */
export function violationsExportQuery(
  accountId: bigint,
  state: string | undefined,
): RawBuilder<ViolationExportRow> {
  return sql<ViolationExportRow>`
    select v.ticket_number, v.vehicle_id, h.plate_display, h.registration_number, h.cost_centre, v.state,
           v.offence_at, v.type_code, v.description_ar, v.description_en, v.location, v.amount_minor, v.currency,
           v.authority_status, v.authority_payment_ref
    from violations v
    join vehicles h on h.account_id = v.account_id and h.id = v.vehicle_id
    where v.account_id = ${accountId} ${state ? sql`and v.state = ${state}` : sql``}
    order by v.ticket_number`;
}

/** The account's last finished run: what the current state of its violations is as of. */
export async function lastFinishedRun(trx: Executor, accountId: bigint) {
  const { rows } = await sql<{ id: bigint; finished_at: Date }>`
    select id, finished_at from runs
    where account_id = ${accountId} and status in ('done', 'partial') and finished_at is not null
    order by id desc limit 1`.execute(trx);
  return rows[0];
}

export interface VehicleHistoryRow {
  ticket_number: string;
  version: number;
  run_id: bigint;
  change: string;
  state: string;
  amount_minor: bigint;
  recorded_at: Date;
}

/** Every version of every violation that has been this vehicle's, oldest first. */
export function vehicleHistoryQuery(accountId: bigint, vehicleId: bigint): RawBuilder<VehicleHistoryRow> {
  return sql<VehicleHistoryRow>`
    select ticket_number, version, run_id, change, state, amount_minor, recorded_at
    from violation_versions
    where account_id = ${accountId} and vehicle_id = ${vehicleId}
    order by recorded_at, ticket_number, version`;
}

export async function countVehicleHistory(trx: Executor, accountId: bigint, vehicleId: bigint) {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from violation_versions
    where account_id = ${accountId} and vehicle_id = ${vehicleId}`.execute(trx);
  return rows[0]!.n;
}

/** The vehicle's outstanding violations now, by offence time. */
export function vehicleOutstandingQuery(accountId: bigint, vehicleId: bigint): RawBuilder<ViolationLineRow> {
  return sql<ViolationLineRow>`
    select v.ticket_number, v.vehicle_id, h.plate_display, v.amount_minor, v.authority_status, v.offence_at,
           v.type_code, v.description_ar, v.description_en, v.location,
           false as stale, v.suspect_since_run is not null as held
    from violations v join vehicles h on h.account_id = v.account_id and h.id = v.vehicle_id
    where v.account_id = ${accountId} and v.vehicle_id = ${vehicleId} and v.state = 'outstanding'
    order by v.offence_at, v.ticket_number`;
}

export async function totalVehicleOutstanding(trx: Executor, accountId: bigint, vehicleId: bigint) {
  const { rows } = await sql<{ violations: number; amount_minor: bigint }>`
    select count(*)::int as violations, coalesce(sum(amount_minor), 0)::bigint as amount_minor
    from violations where account_id = ${accountId} and vehicle_id = ${vehicleId} and state = 'outstanding'`.execute(
    trx,
  );
  return rows[0]!;
}
