import { sql } from 'kysely';
import { toJsonb } from '../db/json.ts';
import type { Executor } from '../db/tenant.ts';
import type { AnsweredViolation, LookupOutcome } from './answers.ts';

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
  'snapshotted_at',
  'fetched_at',
  'reconciled_at',
  'finished_at',
  'summary',
  'error',
] as const;

/** `import`: a run answered from an imported authority export (run_imports) instead of the gateway. */
export type RunKind = 'scheduled' | 'manual' | 'import';

/**
 * Creates a run (`waiting` when it is to start after the run in progress); undefined when this
 * account's scheduled run for that night already exists.
 */
export function insertRun(
  trx: Executor,
  run: { accountId: bigint; kind: RunKind; localNight: string | null; requestedBy: bigint | null },
  status: 'fetching' | 'waiting' = 'fetching',
) {
  return trx
    .insertInto('runs')
    .values({
      account_id: run.accountId,
      kind: run.kind,
      local_night: run.localNight,
      requested_by: run.requestedBy,
      status,
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

/** The account's oldest run waiting for the one in progress to end. */
export function findWaitingRun(trx: Executor, accountId: bigint) {
  return trx
    .selectFrom('runs')
    .select(runColumns)
    .where('account_id', '=', accountId)
    .where('status', '=', 'waiting')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

/** A waiting run starts: it is now the account's active run (the one-active index guards it). */
export async function markRunStarted(trx: Executor, accountId: bigint, runId: bigint): Promise<void> {
  await trx
    .updateTable('runs')
    .set({ status: 'fetching' })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .where('status', '=', 'waiting')
    .execute();
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
  return rows[0]!;
}

/**
 * Records the snapshot's size and that the snapshot stage is over (its lookup batches are
 * enqueued): the lookup stage is timed from here. The clock's time, not the transaction's start.
 */
export async function markRunSnapshotted(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  vehicles: number,
): Promise<void> {
  await trx
    .updateTable('runs')
    .set({ lookups_total: vehicles, snapshotted_at: sql`clock_timestamp()` })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .execute();
}

/** What a lookup batch needs to know about its run: the account's jurisdiction and any imported export. */
export async function findBatchContext(trx: Executor, accountId: bigint, runId: bigint) {
  const { rows } = await sql<{
    jurisdiction: string;
    sha256: string | null;
    covers_all_plates: boolean | null;
  }>`
    select a.jurisdiction, i.sha256, i.covers_all_plates
    from accounts a
    left join run_imports i on i.account_id = a.id and i.run_id = ${runId}
    where a.id = ${accountId}`.execute(trx);
  return rows[0];
}

/** The batch's lookups still pending, each with its vehicle's earlier periods in the fleet. */
export async function pendingLookups(trx: Executor, accountId: bigint, runId: bigint, batchNo: number) {
  const { rows } = await sql<{
    vehicle_id: bigint;
    plate_key: string;
    vehicle_active_from: Date;
    earlier_periods: Array<{ from: string; until: string }> | null;
  }>`
    select l.vehicle_id, l.plate_key, l.vehicle_active_from,
           (select json_agg(json_build_object('from', p.active_from, 'until', p.active_until))
            from vehicle_past_periods p
            where p.account_id = ${accountId} and p.vehicle_id = l.vehicle_id) as earlier_periods
    from lookups l
    where l.account_id = ${accountId} and l.run_id = ${runId} and l.batch_no = ${batchNo} and l.status = 'pending'
    order by l.vehicle_id`.execute(trx);
  return rows.map((r) => ({
    ...r,
    earlier_periods: (r.earlier_periods ?? []).map((p) => ({
      from: new Date(p.from),
      until: new Date(p.until),
    })),
  }));
}

/**
 * Records a landed lookup batch in one statement: marks its lookups answered (only those still
 * pending, with what each ok answer said), stores the raw answers, and adds the marked lookups to
 * the run's counters. The row locks it takes make a second delivery of the batch wait, then find
 * nothing pending and write nothing. Exactly one batch sees the count reach the total: that one
 * moves the run to reconciling (`complete`).
 *
 * One row per ticket per run. A ticket another batch already stored for another vehicle fails a
 * `storing: 'plain'` statement on the key (almost never: a third cheaper than resolving conflicts
 * on every row); redone with `storing: 'folding'`, the lower vehicle id keeps the row and the other
 * joins other_vehicle_ids, so the outcome is the same in any order. The batch number keeps the
 * marking to the batch's own rows whatever the planner believes about a run newer than its
 * statistics.
 */
export async function recordLookupBatch(
  trx: Executor,
  batch: {
    accountId: bigint;
    runId: bigint;
    batchNo: number;
    outcomes: LookupOutcome[];
    violations: AnsweredViolation[];
  },
  storing: 'plain' | 'folding',
): Promise<{ marked: number; failed: number; complete: boolean }> {
  const { accountId, runId, outcomes, violations } = batch;
  if (outcomes.length === 0) return { marked: 0, failed: 0, complete: false };
  const of = <T>(pick: (outcome: LookupOutcome) => T) => outcomes.map(pick);
  const column = <T>(pick: (row: AnsweredViolation) => T) => violations.map(pick);
  // Descriptions and locations repeat across a batch's answers: each text is sent once and the
  // rows say which, by position. Sent in full, they were a third of the bytes of every batch, and
  // writing and encoding those bytes is much of the worker's time in the lookup stage.
  const texts = new Map<string, number>();
  const textAt = (text: string) => {
    const at = texts.get(text) ?? texts.size + 1;
    texts.set(text, at);
    return at;
  };
  const descriptionsAr = column((r) => textAt(r.descriptionAr));
  const descriptionsEn = column((r) => textAt(r.descriptionEn));
  const locations = column((r) => textAt(r.location));
  const keepsExcluded = sql`excluded.vehicle_id < lookup_violations.vehicle_id`;
  const kept = (name: string) =>
    sql`${sql.ref(name)} = case when ${keepsExcluded} then ${sql.ref(`excluded.${name}`)} else ${sql.ref(`lookup_violations.${name}`)} end`;
  const folding = sql`
    on conflict (account_id, run_id, ticket_number) do update set
      ${sql.join(
        [
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
        ].map(kept),
      )},
      vehicle_id = least(lookup_violations.vehicle_id, excluded.vehicle_id),
      other_vehicle_ids = array(
        select distinct o from unnest(lookup_violations.other_vehicle_ids || excluded.other_vehicle_ids
                                      || greatest(lookup_violations.vehicle_id, excluded.vehicle_id)) as o
        order by o)
    where excluded.vehicle_id <> lookup_violations.vehicle_id`;
  const { rows } = await sql<{ marked: number; failed: number; complete: boolean }>`
    with outcome as (
      select * from unnest(${of((o) => o.vehicleId.toString())}::bigint[], ${of((o) => o.status)}::text[],
                           ${of((o) => o.attempts)}::int[], ${of((o) => o.lastError)}::text[],
                           ${of((o) => o.answered?.violations ?? null)}::int[],
                           ${of((o) => o.answered?.outstanding ?? null)}::int[],
                           ${of((o) => o.answered?.outstandingMinor.toString() ?? null)}::bigint[])
        as o(vehicle_id, status, attempts, last_error, answered_violations, answered_outstanding,
             answered_outstanding_minor)
    ), marked as (
      update lookups l set status = o.status, attempts = o.attempts, last_error = o.last_error, answered_at = now(),
                           answered_violations = o.answered_violations, answered_outstanding = o.answered_outstanding,
                           answered_outstanding_minor = o.answered_outstanding_minor
      from outcome o
      where l.account_id = ${accountId} and l.run_id = ${runId} and l.batch_no = ${batch.batchNo}
        and l.vehicle_id = o.vehicle_id and l.status = 'pending'
      returning l.status
    ), stored as (
      insert into lookup_violations (account_id, run_id, vehicle_id, other_vehicle_ids, ticket_number, offence_at,
                                     type_code, description_ar, description_en, location, amount_minor, currency,
                                     authority_status, authority_payment_ref, pre_acquisition)
      select ${accountId}, ${runId}, v.vehicle_id, v.others::bigint[], v.ticket_number, v.offence_at, v.type_code,
             texts.list[v.description_ar], texts.list[v.description_en], texts.list[v.location], v.amount_minor,
             v.currency, v.authority_status, v.authority_payment_ref, v.pre_acquisition
      from unnest(${column((r) => r.vehicleId.toString())}::bigint[],
                  ${column((r) => `{${r.otherVehicleIds.join(',')}}`)}::text[],
                  ${column((r) => r.ticketNumber)}::text[], ${column((r) => r.offenceAt)}::timestamptz[],
                  ${column((r) => r.typeCode)}::text[], ${descriptionsAr}::int[],
                  ${descriptionsEn}::int[], ${locations}::int[],
                  ${column((r) => r.amountMinor.toString())}::bigint[], ${column((r) => r.currency)}::text[],
                  ${column((r) => r.status)}::text[], ${column((r) => r.authorityPaymentRef)}::text[],
                  ${column((r) => r.preAcquisition)}::boolean[])
        as v(vehicle_id, others, ticket_number, offence_at, type_code, description_ar, description_en, location,
             amount_minor, currency, authority_status, authority_payment_ref, pre_acquisition)
      cross join (select ${[...texts.keys()]}::text[] as list) texts
      where exists (select from marked)
      ${storing === 'folding' ? folding : sql``}
      returning amount_minor, authority_status
    ), counted as (
      select count(*)::int as marked, (count(*) filter (where status = 'failed'))::int as failed from marked
    ), stored_totals as (
      select count(*)::int as stored, coalesce(sum(amount_minor), 0) as stored_minor,
             (count(*) filter (where authority_status in ('unpaid', 'under_objection')))::int as outstanding,
             coalesce(sum(amount_minor) filter (where authority_status in ('unpaid', 'under_objection')), 0)
               as outstanding_minor
      from stored
    ), progress as (
      update runs r set
        lookups_done = r.lookups_done + c.marked,
        lookups_failed = r.lookups_failed + c.failed,
        -- Plainly stored rows are new rows, added up here; folded ones may replace a row another
        -- batch counted, so the run's answers are then added up at reconciliation instead.
        answers_counted = r.answers_counted and ${storing === 'plain'},
        answers_stored = r.answers_stored + st.stored,
        answers_minor = r.answers_minor + st.stored_minor,
        answers_outstanding = r.answers_outstanding + st.outstanding,
        answers_outstanding_minor = r.answers_outstanding_minor + st.outstanding_minor,
        status = case when r.lookups_done + c.marked >= r.lookups_total then 'reconciling' else r.status end,
        fetched_at = case when r.lookups_done + c.marked >= r.lookups_total then now() end
      from counted c, stored_totals st
      where r.account_id = ${accountId} and r.id = ${runId} and r.status = 'fetching' and c.marked > 0
      returning r.status
    )
    select c.marked, c.failed, coalesce((select status = 'reconciling' from progress), false) as complete
    from counted c`.execute(trx);
  return rows[0]!;
}

/** Whether an error is a unique-key failure (the one a `plain` recordLookupBatch can meet). */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}

/** A run with nothing to look up goes straight to reconciliation (after its snapshot, by the clock). */
export async function markRunFetched(trx: Executor, accountId: bigint, runId: bigint): Promise<void> {
  await trx
    .updateTable('runs')
    .set({ status: 'reconciling', fetched_at: sql`clock_timestamp()` })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .execute();
}

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

export interface GuardSettings {
  /** Held when the disappearances reach this share (percent) of outstanding violations … */
  sharePercent: number;
  /** … and at least this many. */
  minCount: number;
  /** A held settlement is settled after this many plausible nights still confirm it. */
  confirmNights: number;
}

export interface ChangeTotalRow {
  change: string;
  violations: number;
  amount_minor: bigint;
  /** Settlements of this change held back by the mass-disappearance guard. */
  held: number;
  /** Of these violations, the ones outstanding after the run, and their amount. */
  outstanding: number;
  outstanding_minor: bigint;
}

/**
 * The reconciliation's diff: tonight's answers (ok lookups only) against the account's known
 * violations, joined once by ticket. The join streams past once and only what the run changes or
 * touches is kept, in a temporary table of the transaction (`run_diff`), so the night's unchanged
 * majority is never stored. Built by a statement that writes no table of ours, it may run in
 * parallel; applyDiff then writes from it. A violation whose vehicle was not answered `ok` is
 * `stale`: nothing is concluded from a failure.
 *
 * The caller holds lockAccountViolations: the physical addresses (ctid) kept here are still those
 * of the same rows when applyDiff updates them, since nothing else changes the account's violations.
 */
export async function diffAnswers(trx: Executor, accountId: bigint, runId: bigint): Promise<void> {
  await sql`
    create temporary table run_diff on commit drop as
    with diff as not materialized (
      select coalesce(t.ticket_number, p.ticket_number) as ticket_number,
             t.ticket_number is not null as answered,
             p.ticket_number is null as is_new,
             coalesce(t.vehicle_id, p.vehicle_id) as vehicle_id,
             p.vehicle_id as p_vehicle, p.state as p_state, p.amount_minor as p_amount, p.version as p_version,
             p.suspect_since_run as p_suspect, p.suspect_nights as p_nights,
             p.outside_fleet_since_run as p_outside, p.ctid as p_ctid,
             coalesce(t.amount_minor, p.amount_minor) as amount_minor,
             coalesce(t.authority_status, p.authority_status) as authority_status,
             case when t.ticket_number is null then p.authority_payment_ref else t.authority_payment_ref end
               as authority_payment_ref,
             coalesce(t.pre_acquisition, p.pre_acquisition, false) as pre_acquisition,
             -- What tonight's answer says differently (false when there is no answer to compare).
             t.ticket_number is not null and (t.authority_status is distinct from p.authority_status
               or t.authority_payment_ref is distinct from p.authority_payment_ref) as status_differs,
             t.ticket_number is not null and (t.vehicle_id is distinct from p.vehicle_id
               or t.amount_minor is distinct from p.amount_minor) as holding_differs,
             -- Answered with the same vehicle, amount, status and reference as known, in the state
             -- that status means, and not under suspicion: nothing to change or count apart.
             t.ticket_number is not null and p.ticket_number is not null and t.vehicle_id = p.vehicle_id
               and t.amount_minor = p.amount_minor and t.authority_status = p.authority_status
               and t.authority_payment_ref is not distinct from p.authority_payment_ref
               and p.suspect_since_run is null and p.outside_fleet_since_run is null
               and case t.authority_status when 'paid' then p.state <> 'outstanding'
                                           when 'cancelled' then p.state = 'cancelled'
                                           else p.state = 'outstanding' end as plainly_unchanged,
             -- Where tonight's descriptive facts are taken: new violations and ones whose answer moved.
             case when t.ticket_number is not null
                       and (p.ticket_number is null or t.vehicle_id <> p.vehicle_id or t.amount_minor <> p.amount_minor
                            or t.authority_status <> p.authority_status
                            or t.authority_payment_ref is distinct from p.authority_payment_ref)
                  then t.ctid end as t_ctid,
             case
               when t.ticket_number is null then
                 case when p.vehicle_id in (select vehicle_id from lookups
                                            where account_id = ${accountId} and run_id = ${runId} and status = 'ok')
                        then 'settled'
                      when p.vehicle_id in (select vehicle_id from lookups
                                            where account_id = ${accountId} and run_id = ${runId})
                        then 'stale'
                      else 'outside_fleet' end
               when p.ticket_number is null then 'new'
               when t.vehicle_id <> p.vehicle_id then 'moved'
               when t.authority_status = 'cancelled' and p.state <> 'cancelled' then 'cancelled'
               when t.authority_status = 'paid' and p.state = 'outstanding' then 'settled'
               when t.authority_status in ('unpaid', 'under_objection') and p.state <> 'outstanding' then 'reappeared'
               when t.amount_minor > p.amount_minor then 'escalated'
               when t.amount_minor < p.amount_minor then 'reduced'
               else 'unchanged'
             end as change
      from (select ctid, ticket_number, vehicle_id, amount_minor, authority_status, authority_payment_ref,
                   pre_acquisition
            from lookup_violations where account_id = ${accountId} and run_id = ${runId}) t
      full join (select ctid, ticket_number, vehicle_id, state, amount_minor, authority_status, authority_payment_ref,
                        version, suspect_since_run, suspect_nights, outside_fleet_since_run, pre_acquisition
                 from violations where account_id = ${accountId}) p on p.ticket_number = t.ticket_number
      where t.ticket_number is not null or p.state = 'outstanding'
    )
    -- What the run changes or touches (an unchanged violation too when applying it still does
    -- something: its authority status moved, paid after cancelled or an objection lodged, or it
    -- clears a suspicion). The night's majority, answered exactly as known, is passed over by the
    -- first test before the change is worked out; an outstanding violation not answered is settled
    -- or stale, kept without working that out here. A violation already concluded outside the fleet
    -- (its vehicle still not in it) is left alone: concluded once, not every night.
    select * from diff
    where not plainly_unchanged
      and (not answered or change <> 'unchanged' or p_suspect is not null or p_outside is not null or status_differs)
      and not (change = 'outside_fleet' and p_outside is not null)`.execute(trx);
}

/**
 * Applies a run's diff (diffAnswers, same transaction) in one statement: disappearances beyond the
 * guard are held; it writes the change lines (all but plain `unchanged` ones), the new and changed
 * violations and a version for each whose facts changed, and answers the totals per change, the
 * plain `unchanged` ones being tonight's answers less the diff's lines answered.
 *
 * Changed rows are updated by their physical address (ctid) from the diff instead of being looked
 * up again by ticket. Descriptive facts (offence time, type, descriptions, location, currency) are
 * taken from the answer when a violation is first seen and whenever its amount, status, payment
 * reference or vehicle differs.
 */
export async function applyDiff(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  guard: GuardSettings,
): Promise<ChangeTotalRow[]> {
  const { rows } = await sql<ChangeTotalRow>`
    with guard as materialized (
      -- Fresh disappearances (not already held) are held when they reach the share of the fleet's
      -- outstanding violations. Every outstanding violation of the fleet is in the diff, answered or
      -- not; counted only when enough disappeared for the share to matter. A night is plausible
      -- when it holds nothing new and the authority listed at least one violation (a maintenance
      -- page lists none): only plausible nights count towards confirming what is held.
      select holds, not holds and exists (select from lookup_violations
                                          where account_id = ${accountId} and run_id = ${runId}) as plausible
      from (
        select case when fresh < ${guard.minCount} then false
                    else fresh * 100 >= ${guard.sharePercent} * (select count(*) from violations
                                                                  where account_id = ${accountId}
                                                                    and state = 'outstanding'
                                                                    and outside_fleet_since_run is null)
               end as holds
        from (select count(*) filter (where change = 'settled' and not answered and p_suspect is null) as fresh
              from run_diff) counts
      ) judged_night
    ), judged as not materialized (
      -- A settlement already held stays held until enough plausible nights confirm it (or a person decides).
      select k.*, k.change = 'settled' and not k.answered
                  and case when k.p_suspect is null then (select holds from guard)
                           else k.p_nights + (select plausible from guard)::int < ${guard.confirmNights} end as held
      from run_diff k
    ), acted as materialized (
      select j.ticket_number, j.answered, j.is_new, j.vehicle_id, j.p_vehicle, j.p_amount, j.p_version, j.p_suspect,
             j.p_nights, j.p_outside, j.p_ctid, j.t_ctid, j.amount_minor, j.authority_status,
             j.authority_payment_ref, j.pre_acquisition, j.change, j.held, n.state,
             j.change <> 'stale' or j.p_outside is not null as applies,
             case when j.answered then null
                  when j.held then coalesce(j.p_suspect, ${runId})
                  when j.change in ('stale', 'outside_fleet') then j.p_suspect end as suspect_since_run,
             case when j.answered then 0
                  when j.held and j.p_suspect is not null then j.p_nights + (select plausible from guard)::int
                  when j.change in ('stale', 'outside_fleet') then coalesce(j.p_nights, 0)
                  else 0 end as suspect_nights,
             case when j.change = 'outside_fleet' then coalesce(j.p_outside, ${runId}) end as outside_fleet_since_run,
             j.change not in ('stale', 'outside_fleet')
               and (j.is_new or j.holding_differs or j.status_differs or j.p_state <> n.state) as facts_changed
      from judged j
      cross join lateral (
        select case when not j.answered then
                      case when j.held or j.change in ('stale', 'outside_fleet') then j.p_state else 'settled' end
                    when j.authority_status = 'paid' then 'settled'
                    when j.authority_status = 'cancelled' then 'cancelled'
                    else 'outstanding' end as state
      ) n
      -- In ticket order, which the change lines and versions below are written in (their keys
      -- lead with the ticket) without sorting again: a CTE is read back in the order it was kept.
      order by j.ticket_number
    ), lines as (
      insert into run_changes (account_id, run_id, ticket_number, vehicle_id, previous_vehicle_id, change, held,
                               previous_amount_minor, amount_minor, pre_acquisition)
      select ${accountId}, ${runId}, ticket_number, vehicle_id, case when change = 'moved' then p_vehicle end,
             change, held, p_amount, amount_minor, pre_acquisition
      from acted
    ), updated as (
      update violations v set
        vehicle_id = a.vehicle_id, state = a.state, amount_minor = a.amount_minor,
        authority_status = a.authority_status, authority_payment_ref = a.authority_payment_ref,
        offence_at = coalesce(f.offence_at, v.offence_at), type_code = coalesce(f.type_code, v.type_code),
        description_ar = coalesce(f.description_ar, v.description_ar),
        description_en = coalesce(f.description_en, v.description_en),
        location = coalesce(f.location, v.location), currency = coalesce(f.currency, v.currency),
        pre_acquisition = a.pre_acquisition, suspect_since_run = a.suspect_since_run,
        suspect_nights = a.suspect_nights, outside_fleet_since_run = a.outside_fleet_since_run,
        version = v.version + a.facts_changed::int,
        last_changed_run = case when a.facts_changed then ${runId} else v.last_changed_run end
      from acted a
      left join (select ctid, offence_at, type_code, description_ar, description_en, location, currency
                 from lookup_violations
                 where ctid = any (array(select t_ctid from acted where not is_new and t_ctid is not null))
                   and account_id = ${accountId}) f on f.ctid = a.t_ctid
      where v.ctid = any (array(select p_ctid from acted where applies and not is_new
                                  and (facts_changed or p_suspect is distinct from suspect_since_run
                                       or p_nights <> suspect_nights
                                       or p_outside is distinct from outside_fleet_since_run)))
        and v.ctid = a.p_ctid and v.account_id = ${accountId}
    ), added as (
      insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                              description_en, location, amount_minor, currency, authority_status,
                              authority_payment_ref, pre_acquisition, suspect_since_run, version,
                              first_seen_run, last_changed_run)
      select ${accountId}, a.ticket_number, a.vehicle_id, a.state, f.offence_at, f.type_code, f.description_ar,
             f.description_en, f.location, a.amount_minor, f.currency, a.authority_status, a.authority_payment_ref,
             a.pre_acquisition, null, 1, ${runId}, ${runId}
      from acted a
      join (select ctid, offence_at, type_code, description_ar, description_en, location, currency
            from lookup_violations
            where ctid = any (array(select t_ctid from acted where is_new)) and account_id = ${accountId}) f
        on f.ctid = a.t_ctid
      where a.is_new
      -- Stored by vehicle, not by ticket (whose number starts with its date): fines of one date
      -- escalate on the same night, and spread over many pages they are updated in place (HOT).
      order by a.vehicle_id, a.ticket_number
    ), versions as (
      insert into violation_versions (account_id, ticket_number, version, run_id, vehicle_id, state, amount_minor,
                                      authority_status, authority_payment_ref, change)
      select ${accountId}, ticket_number, coalesce(p_version, 0) + 1, ${runId}, vehicle_id, state, amount_minor,
             authority_status, authority_payment_ref, change
      from acted where facts_changed
    ), answered as (
      -- Tonight's answers in all, one row per ticket: the plain unchanged are what the diff's lines
      -- answered do not account for. As the batches counted them, or added up here when they could not.
      select case when r.answers_counted then r.answers_stored else s.violations end as violations,
             case when r.answers_counted then r.answers_minor else s.amount_minor end as amount_minor,
             case when r.answers_counted then r.answers_outstanding else s.outstanding end as outstanding,
             case when r.answers_counted then r.answers_outstanding_minor else s.outstanding_minor end
               as outstanding_minor
      from runs r
      cross join lateral (
        select count(*) as violations, coalesce(sum(amount_minor), 0) as amount_minor,
               count(*) filter (where authority_status in ('unpaid', 'under_objection')) as outstanding,
               coalesce(sum(amount_minor) filter (where authority_status in ('unpaid', 'under_objection')), 0)
                 as outstanding_minor
        from lookup_violations
        where account_id = ${accountId} and run_id = ${runId} and not r.answers_counted
      ) s
      where r.account_id = ${accountId} and r.id = ${runId}
    ), totals as (
      select j.change, count(*) as violations, sum(j.amount_minor) as amount_minor,
             count(*) filter (where j.held) as held,
             count(*) filter (where o.outstanding) as outstanding,
             coalesce(sum(j.amount_minor) filter (where o.outstanding), 0) as outstanding_minor,
             count(*) filter (where j.answered) as answered,
             coalesce(sum(j.amount_minor) filter (where j.answered), 0) as answered_minor,
             count(*) filter (where j.answered and o.outstanding) as answered_outstanding,
             coalesce(sum(j.amount_minor) filter (where j.answered and o.outstanding), 0)
               as answered_outstanding_minor
      from judged j
      cross join lateral (
        select case when not j.answered then j.change = 'stale' or j.held
                    else j.authority_status in ('unpaid', 'under_objection') end as outstanding
      ) o
      group by j.change
    ), plain as (
      select a.violations - k.violations as violations, a.amount_minor - k.amount_minor as amount_minor,
             a.outstanding - k.outstanding as outstanding, a.outstanding_minor - k.outstanding_minor as outstanding_minor
      from answered a
      cross join (select coalesce(sum(answered), 0) as violations, coalesce(sum(answered_minor), 0) as amount_minor,
                         coalesce(sum(answered_outstanding), 0) as outstanding,
                         coalesce(sum(answered_outstanding_minor), 0) as outstanding_minor
                  from totals) k
    )
    select change, violations::int, amount_minor::bigint, held::int, outstanding::int, outstanding_minor::bigint
    from (
      select change, violations, amount_minor, held, outstanding, outstanding_minor
      from totals where change <> 'unchanged'
      union all
      select 'unchanged', p.violations + coalesce(t.violations, 0), p.amount_minor + coalesce(t.amount_minor, 0),
             0, p.outstanding + coalesce(t.outstanding, 0), p.outstanding_minor + coalesce(t.outstanding_minor, 0)
      from plain p left join totals t on t.change = 'unchanged'
    ) per_change
    where violations > 0
    order by change`.execute(trx);
  return rows;
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

/** How many violations are held as suspect settlements since this run. */
export async function countHeldSince(trx: Executor, accountId: bigint, runId: bigint): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from violations
    where account_id = ${accountId} and suspect_since_run = ${runId}`.execute(trx);
  return rows[0]!.n;
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
    .select((eb) =>
      eb
        .selectFrom('vehicles')
        .select('vehicles.plate_key')
        .whereRef('vehicles.account_id', '=', 'run_changes.account_id')
        .whereRef('vehicles.id', '=', 'run_changes.vehicle_id')
        .as('plate_key'),
    )
    .where('account_id', '=', accountId)
    .where('run_id', '=', runId)
    .orderBy('ticket_number')
    .limit(filter.limit);
  if (filter.change) query = query.where('change', '=', filter.change);
  if (filter.vehicleId !== undefined) query = query.where('vehicle_id', '=', filter.vehicleId);
  if (filter.after !== undefined) query = query.where('ticket_number', '>', filter.after);
  return query.execute();
}

/** A page of the run's vehicles (its fleet snapshot) with each lookup's outcome and answer totals. */
export function listRunVehicles(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  filter: { status?: string; limit: number; after?: bigint },
) {
  let query = trx
    .selectFrom('lookups')
    .select([
      'vehicle_id',
      'plate_key',
      'status',
      'attempts',
      'last_error',
      'answered_at',
      'answered_violations',
      'answered_outstanding',
      'answered_outstanding_minor',
    ])
    .where('account_id', '=', accountId)
    .where('run_id', '=', runId)
    .orderBy('vehicle_id')
    .limit(filter.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.after !== undefined) query = query.where('vehicle_id', '>', filter.after);
  return query.execute();
}

/** The run's change lines of some vehicles, totalled per vehicle and change. */
export async function totalRunChangesByVehicle(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  vehicleIds: bigint[],
) {
  if (vehicleIds.length === 0) return [];
  const { rows } = await sql<{
    vehicle_id: bigint;
    change: string;
    violations: number;
    amount_minor: bigint;
    held: number;
  }>`
    select vehicle_id, change, count(*)::int as violations, sum(amount_minor)::bigint as amount_minor,
           (count(*) filter (where held))::int as held
    from run_changes
    where account_id = ${accountId} and run_id = ${runId} and vehicle_id = any (${vehicleIds.map(String)}::bigint[])
    group by vehicle_id, change
    order by vehicle_id, change`.execute(trx);
  return rows;
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

export async function accountSchedules(db: Executor) {
  const { rows } = await sql<{ account_id: bigint; time_zone: string; nightly_run_time: string }>`
    select account_id, time_zone, nightly_run_time::text from account_schedules()`.execute(db);
  return rows;
}
