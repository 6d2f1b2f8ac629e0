import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';
import type { AnsweredViolation, LookupOutcome } from './answers.ts';

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
 * pending, with what each ok answer said), stores the raw answers, and counts what it marked and
 * stored in the run's batch ledger (lookup_batches). The row locks it takes make a second delivery
 * of the batch wait, then find nothing pending and write nothing. Whether the run's lookups are
 * complete is asked after the commit (`completeLookups`).
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
): Promise<{ marked: number; failed: number }> {
  const { accountId, runId, outcomes, violations } = batch;
  if (outcomes.length === 0) return { marked: 0, failed: 0 };
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
  const { rows } = await sql<{ marked: number; failed: number }>`
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
    ), ledger as (
      insert into lookup_batches (account_id, run_id, batch_no, marked, failed, answers_counted, answers_stored,
                                  answers_minor, answers_outstanding, answers_outstanding_minor)
      -- Plainly stored rows are new rows, added up here; folded ones may replace a row another
      -- batch counted, so the run's answers are then added up at reconciliation instead.
      select ${accountId}, ${runId}, ${batch.batchNo}, c.marked, c.failed, ${storing === 'plain'}, st.stored,
             st.stored_minor, st.outstanding, st.outstanding_minor
      from counted c, stored_totals st
      where c.marked > 0
    )
    select c.marked, c.failed
    from counted c`.execute(trx);
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

/** The run's lookup counters, added up from its batch ledger. */
const ledgerTotals = (accountId: bigint, runId: bigint) => sql`
  select coalesce(sum(b.marked), 0)::int as marked, coalesce(sum(b.failed), 0)::int as failed,
         coalesce(bool_and(b.answers_counted), true) as answers_counted,
         coalesce(sum(b.answers_stored), 0)::int as answers_stored,
         coalesce(sum(b.answers_minor), 0)::bigint as answers_minor,
         coalesce(sum(b.answers_outstanding), 0)::int as answers_outstanding,
         coalesce(sum(b.answers_outstanding_minor), 0)::bigint as answers_outstanding_minor
  from lookup_batches b
  where b.account_id = ${accountId} and b.run_id = ${runId}`;

/** The run's counters as its ledger says, for an UPDATE of runs `r` joined to `ledgerTotals` as `t`. */
const countersFromLedger = sql`
  lookups_done = t.marked, lookups_failed = t.failed, answers_counted = r.answers_counted and t.answers_counted,
  answers_stored = t.answers_stored, answers_minor = t.answers_minor, answers_outstanding = t.answers_outstanding,
  answers_outstanding_minor = t.answers_outstanding_minor`;

/**
 * Whether a fetching run's ledger counts every lookup, in one statement of its own (no transaction:
 * run_lookups_complete reads as the account).
 */
export async function lookupsComplete(db: Executor, accountId: bigint, runId: bigint): Promise<boolean> {
  const { rows } = await sql<{ complete: boolean }>`
    select run_lookups_complete(${accountId}, ${runId}) as complete`.execute(db);
  return rows[0]!.complete;
}

/**
 * Moves a fetching run on to reconciliation once its ledger counts every lookup (answered or
 * failed), with its counters added up; answers the run's size and when, or undefined when it is
 * not complete (or another caller completed it). Asked after each recording commits, so the last
 * of any batches landing at once sees them all; the row lock is taken only by a run found
 * complete, and a second caller then finds it no longer fetching.
 */
export async function completeLookups(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
): Promise<{ vehicles: number; fetchedAt: Date } | undefined> {
  const { rows } = await sql<{ lookups_total: number; fetched_at: Date }>`
    update runs r set status = 'reconciling', fetched_at = now(), ${countersFromLedger}
    from (${ledgerTotals(accountId, runId)}) t
    where r.account_id = ${accountId} and r.id = ${runId} and r.status = 'fetching' and t.marked >= r.lookups_total
    returning r.lookups_total, r.fetched_at`.execute(trx);
  const row = rows[0];
  return row && { vehicles: row.lookups_total, fetchedAt: row.fetched_at };
}

/**
 * Sets a fetching run's counters from its ledger, for a run about to end before its lookups
 * completed (a run past fetching had them set when it completed).
 */
export async function settleFetchingCounters(trx: Executor, accountId: bigint, runId: bigint): Promise<void> {
  await sql`
    update runs r set ${countersFromLedger}
    from (${ledgerTotals(accountId, runId)}) t
    where r.account_id = ${accountId} and r.id = ${runId} and r.status = 'fetching'`.execute(trx);
}

/** A run's progress while it is fetching, from its ledger (`runs` is the run's row in the query). */
export const fetchingProgress = (column: 'marked' | 'failed') =>
  sql<number>`case when runs.status = 'fetching' then (
    select coalesce(sum(b.${sql.raw(column)}), 0)::int from lookup_batches b
    where b.account_id = runs.account_id and b.run_id = runs.id
  ) else runs.${sql.raw(column === 'marked' ? 'lookups_done' : 'lookups_failed')} end`;
