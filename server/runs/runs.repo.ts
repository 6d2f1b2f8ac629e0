import { sql } from 'kysely';
import { toJsonb } from '../db/json.ts';
import type { Executor } from '../db/tenant.ts';

export const runColumns = [
  'id',
  'kind',
  'local_night',
  'status',
  'requested_by',
  'lookups_total',
  'lookups_done',
  'lookups_failed',
  'created_at',
  'fetched_at',
  'reconciled_at',
  'finished_at',
  'summary',
  'error',
] as const;

/** `import`: a run answered from an imported authority export (run_imports) instead of the gateway. */
export type RunKind = 'scheduled' | 'manual' | 'import';

/** Creates a run; undefined when this account's scheduled run for that night already exists. */
export function insertRun(
  trx: Executor,
  run: { accountId: bigint; kind: RunKind; localNight: string | null; requestedBy: bigint | null },
) {
  return trx
    .insertInto('runs')
    .values({
      account_id: run.accountId,
      kind: run.kind,
      local_night: run.localNight,
      requested_by: run.requestedBy,
    })
    .onConflict((oc) => oc.columns(['account_id', 'local_night']).where('kind', '=', 'scheduled').doNothing())
    .returning(runColumns)
    .executeTakeFirst();
}

export function findActiveRun(trx: Executor, accountId: bigint) {
  return trx
    .selectFrom('runs')
    .select(runColumns)
    .where('account_id', '=', accountId)
    .where('status', 'in', ['fetching', 'reconciling', 'issuing', 'rendering'])
    .executeTakeFirst();
}

export function findRun(trx: Executor, accountId: bigint, runId: bigint) {
  return trx
    .selectFrom('runs')
    .select(runColumns)
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .executeTakeFirst();
}

/** Row lock on the run: batches landing at once take turns, so exactly one sees the last one land. */
export function lockRun(trx: Executor, accountId: bigint, runId: bigint) {
  return trx
    .selectFrom('runs')
    .select(runColumns)
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .forUpdate()
    .executeTakeFirst();
}

export function listRuns(trx: Executor, accountId: bigint, options: { limit: number; before?: bigint }) {
  let query = trx
    .selectFrom('runs')
    .select(runColumns)
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(options.limit);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  return query.execute();
}

/** Snapshots the active fleet into the run's lookups, numbered into batches; answers the batch count. */
export async function snapshotFleet(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  batchSize: number,
): Promise<{ vehicles: number; batches: number }> {
  const { rows } = await sql<{ vehicles: number; batches: number }>`
    with snapshot as (
      insert into lookups (account_id, run_id, vehicle_id, plate_key, vehicle_active_from, batch_no)
      select account_id, ${runId}, id, plate_key, active_from,
             ((row_number() over (order by id)) - 1) / ${batchSize}
      from vehicles
      where account_id = ${accountId} and active_until is null
      returning batch_no
    )
    select count(*)::int as vehicles, coalesce(max(batch_no) + 1, 0)::int as batches from snapshot`.execute(
    trx,
  );
  const totals = rows[0]!;
  await trx
    .updateTable('runs')
    .set({ lookups_total: totals.vehicles })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .execute();
  return totals;
}

export function pendingLookups(trx: Executor, accountId: bigint, runId: bigint, batchNo: number) {
  return trx
    .selectFrom('lookups')
    .select(['vehicle_id', 'plate_key'])
    .where('account_id', '=', accountId)
    .where('run_id', '=', runId)
    .where('batch_no', '=', batchNo)
    .where('status', '=', 'pending')
    .orderBy('vehicle_id')
    .execute();
}

export interface LookupOutcomeRow {
  vehicleId: bigint;
  status: 'ok' | 'not_found' | 'failed';
  attempts: number;
  lastError: string | null;
}

export interface AnsweredViolationRow {
  vehicleId: bigint;
  ticketNumber: string;
  offenceAt: string;
  typeCode: string;
  descriptionAr: string;
  descriptionEn: string;
  location: string;
  amountMinor: bigint;
  currency: string;
  authorityStatus: string;
  authorityPaymentRef: string | null;
}

/**
 * Stores raw answers in one statement per batch: thirteen column arrays unnested server-side
 * (cheaper to send and plan than thousands of bind parameters). A re-delivered batch inserts
 * nothing twice.
 */
export async function insertAnsweredViolations(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  rows: AnsweredViolationRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(pick: (row: AnsweredViolationRow) => T) => rows.map(pick);
  await sql`
    insert into lookup_violations (account_id, run_id, vehicle_id, ticket_number, offence_at, type_code,
                                   description_ar, description_en, location, amount_minor, currency,
                                   authority_status, authority_payment_ref)
    select ${accountId}, ${runId}, v.*
    from unnest(${column((r) => r.vehicleId.toString())}::bigint[], ${column((r) => r.ticketNumber)}::text[],
                ${column((r) => r.offenceAt)}::timestamptz[], ${column((r) => r.typeCode)}::text[],
                ${column((r) => r.descriptionAr)}::text[], ${column((r) => r.descriptionEn)}::text[],
                ${column((r) => r.location)}::text[], ${column((r) => r.amountMinor.toString())}::bigint[],
                ${column((r) => r.currency)}::text[], ${column((r) => r.authorityStatus)}::text[],
                ${column((r) => r.authorityPaymentRef)}::text[]) as v
    on conflict do nothing`.execute(trx);
}

/**
 * Marks a batch's lookups answered, only those still pending, in one statement; answers how many it
 * marked. The batch number keeps it to the batch's own rows whatever the planner believes about a
 * run that did not exist at the last ANALYZE (otherwise each batch would scan the whole run).
 */
export async function markLookups(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  batchNo: number,
  outcomes: LookupOutcomeRow[],
) {
  if (outcomes.length === 0) return { marked: 0, failed: 0 };
  const { rows } = await sql<{ marked: number; failed: number }>`
    with outcome as (
      select * from unnest(${outcomes.map((o) => o.vehicleId.toString())}::bigint[],
                           ${outcomes.map((o) => o.status)}::text[],
                           ${outcomes.map((o) => o.attempts)}::int[],
                           ${outcomes.map((o) => o.lastError)}::text[])
        as o(vehicle_id, status, attempts, last_error)
    ), marked as (
      update lookups l set status = o.status, attempts = o.attempts, last_error = o.last_error, answered_at = now()
      from outcome o
      where l.account_id = ${accountId} and l.run_id = ${runId} and l.batch_no = ${batchNo}
        and l.vehicle_id = o.vehicle_id and l.status = 'pending'
      returning l.status
    )
    select count(*)::int as marked, (count(*) filter (where status = 'failed'))::int as failed from marked`.execute(
    trx,
  );
  return rows[0]!;
}

/**
 * Adds a batch's marked lookups to the run's counters in one statement. The row lock it takes is
 * held only to the end of the batch's transaction, so exactly one batch sees the count reach the
 * total: that one moves the run to reconciling (answers true).
 */
export async function addLookupProgress(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  added: { done: number; failed: number },
): Promise<boolean> {
  const row = await trx
    .updateTable('runs')
    .set({
      lookups_done: sql`lookups_done + ${added.done}`,
      lookups_failed: sql`lookups_failed + ${added.failed}`,
      status: sql`case when lookups_done + ${added.done} >= lookups_total then 'reconciling' else status end`,
      fetched_at: sql`case when lookups_done + ${added.done} >= lookups_total then now() end`,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .where('status', '=', 'fetching')
    .returning('status')
    .executeTakeFirst();
  return row?.status === 'reconciling';
}

/** A run with nothing to look up goes straight to reconciliation. */
export async function markRunFetched(trx: Executor, accountId: bigint, runId: bigint): Promise<void> {
  await trx
    .updateTable('runs')
    .set({ status: 'reconciling', fetched_at: sql`now()` })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .execute();
}

export interface GuardSettings {
  /** Held when the disappearances reach this share (percent) of outstanding violations … */
  sharePercent: number;
  /** … and at least this many. */
  minCount: number;
}

/**
 * The reconciliation diff, one set-based statement: tonight's answers (ok lookups only) against
 * the account's known violations. A violation whose vehicle was not answered `ok` is `stale`:
 * nothing is concluded from a failure. Disappearances beyond the guard are recorded as held.
 * It writes the change lines (all but plain `unchanged` ones) and, from the same rows, the
 * per-vehicle totals of every change, `unchanged` included.
 */
export async function insertRunChanges(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  guard: GuardSettings,
): Promise<void> {
  await sql`
    with looked as (
      select vehicle_id, status from lookups where account_id = ${accountId} and run_id = ${runId}
    ), tonight as (
      select distinct on (lv.ticket_number)
             lv.ticket_number, lv.vehicle_id, lv.amount_minor, lv.authority_status, lv.authority_payment_ref,
             lv.offence_at, l.vehicle_active_from
      from lookup_violations lv
      join lookups l on l.account_id = lv.account_id and l.run_id = lv.run_id and l.vehicle_id = lv.vehicle_id
      where lv.account_id = ${accountId} and lv.run_id = ${runId} and l.status = 'ok'
      order by lv.ticket_number, lv.vehicle_id
    ), joined as (
      select t.ticket_number as t_ticket, p.ticket_number as p_ticket,
             coalesce(t.ticket_number, p.ticket_number) as ticket_number,
             t.vehicle_id as t_vehicle, p.vehicle_id as p_vehicle,
             t.amount_minor as t_amount, p.amount_minor as p_amount,
             t.authority_status as t_status, p.state as p_state, p.suspect_since_run,
             (t.authority_status, t.authority_payment_ref)
               is distinct from (p.authority_status, p.authority_payment_ref) as status_differs,
             t.offence_at < t.vehicle_active_from as t_pre, p.pre_acquisition as p_pre,
             pl.status as p_lookup
      from tonight t
      full join (select * from violations where account_id = ${accountId}) p on p.ticket_number = t.ticket_number
      left join looked pl on pl.vehicle_id = p.vehicle_id
      where t.ticket_number is not null or p.state = 'outstanding'
    ), classified as (
      select *,
        case
          when t_ticket is null then case when p_lookup = 'ok' then 'settled' else 'stale' end
          when p_ticket is null then 'new'
          when t_vehicle <> p_vehicle then 'moved'
          when t_status = 'cancelled' and p_state <> 'cancelled' then 'cancelled'
          when t_status = 'paid' and p_state = 'outstanding' then 'settled'
          when t_status in ('unpaid', 'under_objection') and p_state <> 'outstanding' then 'reappeared'
          when t_amount > p_amount then 'escalated'
          when t_amount < p_amount then 'reduced'
          else 'unchanged'
        end as change,
        (t_ticket is null and p_lookup = 'ok' and suspect_since_run is null) as fresh_disappearance
      from joined
    ), guarded as (
      select ticket_number, coalesce(t_vehicle, p_vehicle) as vehicle_id, p_vehicle, change, suspect_since_run,
             t_ticket is not null and p_ticket is not null and status_differs as status_differs,
             p_amount, coalesce(t_amount, p_amount) as amount_minor, coalesce(t_pre, p_pre, false) as pre_acquisition,
             fresh_disappearance
               and count(*) filter (where fresh_disappearance) over () >= ${guard.minCount}
               and count(*) filter (where fresh_disappearance) over () * 100
                   >= ${guard.sharePercent} * count(*) filter (where p_state = 'outstanding') over () as held
      from classified
    ), lines as (
      insert into run_changes (account_id, run_id, ticket_number, vehicle_id, previous_vehicle_id, change, held,
                               previous_amount_minor, amount_minor, pre_acquisition)
      select ${accountId}, ${runId}, ticket_number, vehicle_id, case when change = 'moved' then p_vehicle end,
             change, held, p_amount, amount_minor, pre_acquisition
      from guarded
      -- An unchanged line is kept when applying it still does something: its authority status
      -- moved (paid after cancelled, an objection lodged) or it clears a suspicion.
      where change <> 'unchanged' or suspect_since_run is not null or status_differs
    )
    insert into run_vehicle_totals (account_id, run_id, vehicle_id, change, violations, amount_minor)
    select ${accountId}, ${runId}, vehicle_id, change, count(*), sum(amount_minor)
    from guarded group by vehicle_id, change`.execute(trx);
}

/**
 * Applies the run's changes to the current state in one statement: upserts every violation that
 * changed, and appends a version for each whose facts changed. Held settlements only mark the
 * violation suspect; stale ones are not touched.
 */
export async function applyRunChanges(trx: Executor, accountId: bigint, runId: bigint): Promise<void> {
  await sql`
    with base as (
      select c.ticket_number, c.change, c.held, c.pre_acquisition,
             t.ticket_number is not null as answered,
             v.ticket_number is null as is_new, v.version as prev_version,
             v.vehicle_id as v_vehicle, v.state as v_state, v.amount_minor as v_amount,
             v.authority_status as v_status, v.authority_payment_ref as v_ref, v.suspect_since_run as v_suspect,
             coalesce(t.vehicle_id, v.vehicle_id) as vehicle_id,
             case when t.ticket_number is null then (case when c.held then v.state else 'settled' end)
                  when t.authority_status = 'paid' then 'settled'
                  when t.authority_status = 'cancelled' then 'cancelled'
                  else 'outstanding' end as state,
             coalesce(t.offence_at, v.offence_at) as offence_at,
             coalesce(t.type_code, v.type_code) as type_code,
             coalesce(t.description_ar, v.description_ar) as description_ar,
             coalesce(t.description_en, v.description_en) as description_en,
             coalesce(t.location, v.location) as location,
             coalesce(t.amount_minor, v.amount_minor) as amount_minor,
             coalesce(t.currency, v.currency) as currency,
             coalesce(t.authority_status, v.authority_status) as authority_status,
             case when t.ticket_number is null then v.authority_payment_ref else t.authority_payment_ref end as authority_payment_ref,
             case when t.ticket_number is null and c.held then coalesce(v.suspect_since_run, ${runId}) end as suspect_since_run
      from run_changes c
      left join lookup_violations t on t.account_id = c.account_id and t.run_id = c.run_id
                                   and t.vehicle_id = c.vehicle_id and t.ticket_number = c.ticket_number
      left join violations v on v.account_id = c.account_id and v.ticket_number = c.ticket_number
      where c.account_id = ${accountId} and c.run_id = ${runId} and c.change <> 'stale'
    ), next as (
      select *,
             is_new or (v_vehicle, v_state, v_amount, v_status, v_ref)
                       is distinct from (vehicle_id, state, amount_minor, authority_status, authority_payment_ref) as facts_changed,
             v_suspect is distinct from suspect_since_run as suspect_changed
      from base
    ), upserted as (
      insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                              description_en, location, amount_minor, currency, authority_status,
                              authority_payment_ref, pre_acquisition, suspect_since_run, version,
                              first_seen_run, last_changed_run)
      select ${accountId}, ticket_number, vehicle_id, state, offence_at, type_code, description_ar, description_en,
             location, amount_minor, currency, authority_status, authority_payment_ref, pre_acquisition,
             suspect_since_run, case when is_new then 1 else prev_version + facts_changed::int end, ${runId}, ${runId}
      from next where facts_changed or suspect_changed
      on conflict (account_id, ticket_number) do update set
        vehicle_id = excluded.vehicle_id, state = excluded.state, offence_at = excluded.offence_at,
        type_code = excluded.type_code, description_ar = excluded.description_ar,
        description_en = excluded.description_en, location = excluded.location,
        amount_minor = excluded.amount_minor, currency = excluded.currency,
        authority_status = excluded.authority_status, authority_payment_ref = excluded.authority_payment_ref,
        pre_acquisition = excluded.pre_acquisition, suspect_since_run = excluded.suspect_since_run,
        last_changed_run = case when excluded.version <> violations.version then excluded.last_changed_run
                                else violations.last_changed_run end,
        version = excluded.version
      returning ticket_number
    )
    insert into violation_versions (account_id, ticket_number, version, run_id, vehicle_id, state, amount_minor,
                                    authority_status, authority_payment_ref, change)
    select ${accountId}, ticket_number, case when is_new then 1 else prev_version + 1 end, ${runId}, vehicle_id, state,
           amount_minor, authority_status, authority_payment_ref, change
    from next where facts_changed`.execute(trx);
}

/** The run's totals per change: sums of its per-vehicle totals, with how many settlements were held. */
export async function summariseChanges(trx: Executor, accountId: bigint, runId: bigint) {
  const { rows } = await sql<{ change: string; violations: number; amount_minor: bigint; held: number }>`
    select t.change, sum(t.violations)::int as violations, sum(t.amount_minor)::bigint as amount_minor,
           coalesce(h.held, 0)::int as held
    from run_vehicle_totals t
    left join (select change, count(*) as held from run_changes
               where account_id = ${accountId} and run_id = ${runId} and held group by change) h on h.change = t.change
    where t.account_id = ${accountId} and t.run_id = ${runId}
    group by t.change, h.held order by t.change`.execute(trx);
  return rows;
}

export async function outstandingTotals(trx: Executor, accountId: bigint) {
  const { rows } = await sql<{ violations: number; amount_minor: bigint }>`
    select count(*)::int as violations, coalesce(sum(amount_minor), 0)::bigint as amount_minor
    from violations where account_id = ${accountId} and state = 'outstanding'`.execute(trx);
  return rows[0]!;
}

export function failedLookups(trx: Executor, accountId: bigint, runId: bigint) {
  return trx
    .selectFrom('lookups')
    .select(['vehicle_id', 'plate_key', 'status', 'attempts', 'last_error'])
    .where('account_id', '=', accountId)
    .where('run_id', '=', runId)
    .where('status', 'in', ['failed', 'pending'])
    .orderBy('vehicle_id')
    .execute();
}

export async function finishRun(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  outcome: { status: 'done' | 'partial'; summary: unknown },
): Promise<void> {
  await trx
    .updateTable('runs')
    .set({
      status: outcome.status,
      summary: toJsonb(outcome.summary),
      reconciled_at: sql`now()`,
      finished_at: sql`now()`,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .execute();
}

export async function insertSuspectException(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  details: unknown,
): Promise<void> {
  await trx
    .insertInto('exceptions')
    .values({
      account_id: accountId,
      kind: 'suspect_mass_settlement',
      run_id: runId,
      details: toJsonb(details),
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export function listRunChanges(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  filter: { change?: string; vehicleId?: bigint; limit: number; after?: string },
) {
  let query = trx
    .selectFrom('run_changes')
    .select([
      'ticket_number',
      'vehicle_id',
      'previous_vehicle_id',
      'change',
      'held',
      'previous_amount_minor',
      'amount_minor',
      'pre_acquisition',
    ])
    .where('account_id', '=', accountId)
    .where('run_id', '=', runId)
    .orderBy('ticket_number')
    .limit(filter.limit);
  if (filter.change) query = query.where('change', '=', filter.change);
  if (filter.vehicleId !== undefined) query = query.where('vehicle_id', '=', filter.vehicleId);
  if (filter.after !== undefined) query = query.where('ticket_number', '>', filter.after);
  return query.execute();
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
  'version',
  'first_seen_run',
  'last_changed_run',
] as const;

export function listViolations(
  trx: Executor,
  accountId: bigint,
  filter: { state?: string; vehicleId?: bigint; limit: number; after?: string },
) {
  let query = trx
    .selectFrom('violations')
    .select(violationColumns)
    .where('account_id', '=', accountId)
    .orderBy('ticket_number')
    .limit(filter.limit);
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.vehicleId !== undefined) query = query.where('vehicle_id', '=', filter.vehicleId);
  if (filter.after !== undefined) query = query.where('ticket_number', '>', filter.after);
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

export async function accountSchedules(db: Executor) {
  const { rows } = await sql<{ account_id: bigint; time_zone: string; nightly_run_time: string }>`
    select account_id, time_zone, nightly_run_time::text from account_schedules()`.execute(db);
  return rows;
}
