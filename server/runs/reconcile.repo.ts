import { sql } from 'kysely';
import { toJsonb } from '../db/json.ts';
import type { Executor } from '../db/tenant.ts';

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
      left join lateral (${answerFacts(accountId, runId)}) f on true
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
      cross join lateral (${answerFacts(accountId, runId)}) f
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

/**
 * An answer's descriptive facts, fetched by its physical address (`a.t_ctid` of the diff) one row
 * at a time: a TID scan of the night's partition per new or changed violation, so a night that
 * changes a tenth of the fleet reads a tenth of its answers. Joined as a set instead, the planner
 * either reads every answer of the run (hash join) or, on a fresh partition's statistics, checks
 * every answer against the whole list of addresses (quadratic). `limit 1` (an address is one row)
 * keeps the subquery from being flattened into such a join.
 */
function answerFacts(accountId: bigint, runId: bigint) {
  return sql`select offence_at, type_code, description_ar, description_en, location, currency
             from lookup_violations
             where account_id = ${accountId} and run_id = ${runId} and ctid = a.t_ctid
             limit 1`;
}

/** How many violations are held as suspect settlements since this run. */
export async function countHeldSince(trx: Executor, accountId: bigint, runId: bigint): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from violations
    where account_id = ${accountId} and suspect_since_run = ${runId}`.execute(trx);
  return rows[0]!.n;
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

/**
 * A new account's first night: with no violation known yet, every answer is `new` and nothing can
 * be settled, stale, moved or held, so the answers are written straight from the raw answers (each
 * violation, its first version, its change line) without a diff. Answers the same totals applyDiff
 * would. The caller holds lockAccountViolations and has seen the account has no violations.
 */
export async function applyFirstNight(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
): Promise<ChangeTotalRow[]> {
  const state = sql`case authority_status when 'paid' then 'settled' when 'cancelled' then 'cancelled'
                    else 'outstanding' end`;
  await sql`
    insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                            description_en, location, amount_minor, currency, authority_status,
                            authority_payment_ref, pre_acquisition, suspect_since_run, version,
                            first_seen_run, last_changed_run)
    select account_id, ticket_number, vehicle_id, ${state}, offence_at, type_code, description_ar, description_en,
           location, amount_minor, currency, authority_status, authority_payment_ref, pre_acquisition, null, 1,
           ${runId}, ${runId}
    from lookup_violations where account_id = ${accountId} and run_id = ${runId}
    -- In vehicle order, as applyDiff stores new violations.
    order by vehicle_id, ticket_number`.execute(trx);
  const { rows } = await sql<ChangeTotalRow>`
    with versions as (
      insert into violation_versions (account_id, ticket_number, version, run_id, vehicle_id, state, amount_minor,
                                      authority_status, authority_payment_ref, change)
      select account_id, ticket_number, 1, run_id, vehicle_id, ${state}, amount_minor, authority_status,
             authority_payment_ref, 'new'
      from lookup_violations where account_id = ${accountId} and run_id = ${runId}
      order by ticket_number
    ), lines as (
      insert into run_changes (account_id, run_id, ticket_number, vehicle_id, change, held, amount_minor,
                               pre_acquisition)
      select account_id, run_id, ticket_number, vehicle_id, 'new', false, amount_minor, pre_acquisition
      from lookup_violations where account_id = ${accountId} and run_id = ${runId}
      order by ticket_number
    )
    select 'new' as change, count(*)::int as violations, coalesce(sum(amount_minor), 0)::bigint as amount_minor,
           0::int as held,
           (count(*) filter (where authority_status in ('unpaid', 'under_objection')))::int as outstanding,
           coalesce(sum(amount_minor) filter (where authority_status in ('unpaid', 'under_objection')), 0)::bigint
             as outstanding_minor
    from lookup_violations where account_id = ${accountId} and run_id = ${runId}
    having count(*) > 0`.execute(trx);
  return rows;
}
