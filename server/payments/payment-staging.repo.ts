import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';
import type { PaymentNumberKind } from './payment-number.ts';
import { groupHasLine, groupKey, type Selection } from './payment-numbers.repo.ts';

function selectionFilter(selection: Selection) {
  switch (selection.scope) {
    case 'account':
      return sql``;
    case 'vehicle':
      return sql`and v.vehicle_id = ${BigInt(selection.vehicleId)}`;
    case 'vehicles':
      return sql`and v.vehicle_id = any(${selection.vehicleIds.map(BigInt)}::bigint[])`;
    case 'tickets':
      return sql`and v.ticket_number = any(${selection.ticketNumbers}::text[])`;
    case 'cost_centre':
      return sql`and exists (select 1 from vehicles ve where ve.account_id = v.account_id and ve.id = v.vehicle_id
                             and ve.cost_centre = ${selection.costCentre})`;
  }
}

/** The escalation rules of a profile and the longest validity, as the staging computes what is due. */
export interface DueRules {
  timeZone: string;
  /** Sorted by `afterDays`: the first deadline still ahead is the next one. */
  escalation: ReadonlyArray<{ afterDays: number; numerator: number; denominator: number }>;
  /** When a number with no deadline among its lines expires. */
  validUntil: Date;
}

function payableLines(accountId: bigint, selection: Selection) {
  return sql`
    select v.ticket_number, v.vehicle_id, v.offence_at, v.amount_minor
    from violations v
    where v.account_id = ${accountId} and v.state = 'outstanding' and v.amount_minor > 0
      and not exists (select 1 from payment_number_lines l
                      where l.account_id = v.account_id and l.ticket_number = v.ticket_number
                        and l.state = 'paid_pending')
      ${selectionFilter(selection)}`;
}

/** Of the tickets asked for, those with no payable line (not outstanding here, or paid already), in the order asked. */
export async function ticketsNotPayable(trx: Executor, accountId: bigint, ticketNumbers: string[]) {
  const { rows } = await sql<{ ticket: string }>`
    select t.ticket from unnest(${ticketNumbers}::text[]) with ordinality as t(ticket, i)
    where t.ticket not in (select p.ticket_number from (${payableLines(accountId, { scope: 'tickets', ticketNumbers })}) p)
    order by t.i`.execute(trx);
  return rows.map((r) => r.ticket);
}

/**
 * A line's next deadline and the amount from it on, in SQL, as `lineDue` states them: a rule's
 * deadline is the first instant of the local day `afterDays` after the offence's local day; the
 * first still ahead of `now` is the next. The amount after it is `amount × numerator ÷
 * denominator` in integers, rounded down (amounts are positive, so integer division is the floor).
 *
 * Whether a rule's deadline is still ahead is read from the offence's local time alone (against
 * deadlinesAhead, worked out once per statement), so each line is turned into local time once and
 * back only for the deadline it gets.
 */
function dueColumns(rules: DueRules) {
  if (rules.escalation.length === 0)
    return sql`null::timestamptz as next_deadline_at, p.amount_minor as amount_after_deadline_minor`;
  const whenAhead = (then: (r: DueRules['escalation'][number]) => ReturnType<typeof sql>) =>
    sql.join(
      rules.escalation.map((r, i) => sql`when o.local_at >= t.${sql.ref(`ahead_${i}`)} then ${then(r)}`),
      sql` `,
    );
  const deadline = (afterDays: number) =>
    firstInstant(
      sql`date_trunc('day', o.local_at) + make_interval(days => ${afterDays}::int)`,
      rules.timeZone,
    );
  return sql`
    case ${whenAhead((r) => deadline(r.afterDays))} end as next_deadline_at,
    case ${whenAhead((r) => sql`p.amount_minor * ${r.numerator}::bigint / ${r.denominator}::bigint`)}
      else p.amount_minor end as amount_after_deadline_minor`;
}

/**
 * The first instant of a local day (its midnight, a timestamp without time zone). `at time zone`
 * reads a midnight that a clock turned back made happen twice as the later one, so the day is
 * reached from an hour before its midnight instead: in the profiles' zones no clock changes
 * between 23:00 and midnight but at midnight itself, so this is the first instant of every day
 * (checked for 1990–2035 in Amman, Baghdad and Cairo, where 25 of Amman's midnights came twice).
 */
function firstInstant(midnight: ReturnType<typeof sql>, timeZone: string) {
  return sql`(((${midnight}) - interval '1 hour') at time zone ${timeZone}::text) + interval '1 hour'`;
}

/**
 * One row: for each escalation rule (`ahead_<i>`), the local midnight from which an offence's
 * deadline under that rule is still ahead of `now`. A local day has not begun at `now` exactly
 * when it is after now's local day (local days only go forward in the profiles' zones); a deadline
 * `afterDays` after the offence's day is ahead when that day is at least that far before the day
 * after now's.
 */
function deadlinesAhead(rules: DueRules, now: Date) {
  const columns = sql.join(
    rules.escalation.map(
      (r, i) =>
        sql`date_trunc('day', ${now}::timestamptz at time zone ${rules.timeZone}::text)
              + make_interval(days => ${1 - r.afterDays}::int) as ${sql.ref(`ahead_${i}`)}`,
    ),
  );
  return sql`select ${columns}`;
}

/** The payable lines of a selection with what each is due. */
function stagedLines(accountId: bigint, selection: Selection, rules: DueRules, now: Date) {
  return sql`
    select p.*, ${dueColumns(rules)}
    from (${payableLines(accountId, selection)}) p
    ${rules.escalation.length > 0 ? sql`cross join (${deadlinesAhead(rules, now)}) t` : sql``}
    cross join lateral (select p.offence_at at time zone ${rules.timeZone}::text as local_at) o`;
}

/** A line's offence time in microseconds since the epoch (decimal text), as the process orders lines by it. */
const offenceMicros = sql`(extract(epoch from offence_at) * 1000000)::bigint::text`;

/**
 * The groups of the staged lines (read as `pay_lines`): each group's exact line set named by the
 * SHA-256 of its sorted "ticket:amount" lines, its totals and expiry, how many numbers that set had
 * before (the authority's key changes with it) and its open number if it has one. With `tickets`,
 * each group's tickets (a JSON array), amounts and offence times (comma-separated) too, null
 * without: in no order but the same one in all three; the authority's order is put on them in the
 * process (an ordered aggregate would sort every group once more, and arrays are slow to read).
 */
function groupsOfStagedLines(accountId: bigint, kind: PaymentNumberKind, validUntil: Date, tickets = false) {
  return sql`
    select g.*, n.generation, n.open_id
    from (
      select ${kind}::text as kind, ${groupKey(kind)} as group_key, min(vehicle_id) as vehicle_id, count(*)::int as line_count,
             sum(amount_minor)::bigint as total_minor,
             sum(amount_after_deadline_minor)::bigint as total_after_deadline_minor,
             min(next_deadline_at) as next_deadline_at,
             least(min(next_deadline_at), ${validUntil}::timestamptz) as expires_at,
             encode(sha256(convert_to(string_agg(ticket_number || ':' || amount_minor, ',' order by ticket_number collate "C"),
                                      'UTF8')), 'hex') as line_hash
             ${
               tickets
                 ? sql`, json_agg(ticket_number) as tickets, string_agg(amount_minor::text, ',') as amounts,
                        string_agg(${offenceMicros}, ',') as offences`
                 : sql`, null::json as tickets, null::text as amounts, null::text as offences`
             }
      -- Grouped by the kind's key; a vehicle's lines by the integer id, which sorts faster than its key's text.
      from pay_lines group by ${kind === 'vehicle' ? sql`vehicle_id` : sql`group_key`}
    ) g
    -- One index probe per set (payment_numbers_by_set): the account's numbers have just been
    -- written by the night before, so their statistics may still say the table is empty.
    cross join lateral (
      select count(*)::int as generation, max(p.id) filter (where p.state = 'open') as open_id
      from payment_numbers p
      where p.account_id = ${accountId} and p.kind = ${kind} and p.line_hash = g.line_hash
    ) n`;
}

/**
 * Stages the payable lines of a selection (outstanding, not already paid through one of our
 * numbers) with what each is due after its next deadline, and groups them as each kind groups
 * them: per vehicle, per violation or all in one (groupsOfStagedLines), every kind's groups in
 * one table with their kind. Each group of a vehicle or a violation keeps its tickets, as the
 * authority is asked for them; the consolidated set (every line) does not (stagedLinesWithoutNumber
 * reads them where the authority numbers it). The tables are the session's: the caller keeps the
 * connection from staging to recording and drops them. For selections too big to carry in a
 * statement (see stageInline).
 */
export async function stagePayableGroups(
  trx: Executor,
  accountId: bigint,
  kinds: readonly PaymentNumberKind[],
  selection: Selection,
  rules: DueRules,
  now: Date,
): Promise<void> {
  await dropStaging(trx);
  await sql`create temp table pay_lines as ${stagedLines(accountId, selection, rules, now)}`.execute(trx);
  // The fresh tables' statistics, so the plans built on them fit their size.
  await sql`analyze pay_lines`.execute(trx);
  for (const [i, kind] of kinds.entries()) {
    const groups = groupsOfStagedLines(accountId, kind, rules.validUntil, kind !== 'consolidated');
    if (i === 0) await sql`create temp table pay_groups as ${groups}`.execute(trx);
    else await sql`insert into pay_groups ${groups}`.execute(trx);
  }
  await sql`create unique index on pay_groups (kind, group_key)`.execute(trx);
  await sql`create index on pay_groups (line_hash)`.execute(trx);
  await sql`create index on pay_groups (vehicle_id)`.execute(trx);
  // The columns later statements join and filter on: statistics of the ticket arrays would cost
  // more than the rest together.
  await sql`analyze pay_groups (kind, group_key, line_hash, vehicle_id, open_id)`.execute(trx);
}

/**
 * Memory for the sorts and hashes of a big selection's statements, for the transaction: a
 * fleet's lines (hundreds of thousands) are sorted to hash and order each set and hashed to join
 * the staged lines with the payable ones, which in the server's default work_mem spill to disk
 * (external merges, hash joins in batches).
 */
export async function bulkWorkMem(trx: Executor): Promise<void> {
  await sql`select set_config('work_mem', '64MB', true)`.execute(trx);
}

export async function dropStaging(trx: Executor): Promise<void> {
  await sql`drop table if exists pay_lines, pay_groups`.execute(trx);
}

/**
 * Before recording: drops the staged groups whose payable set is no longer what was staged (a
 * line settled, cancelled, changed amount or vehicle, was paid, or a new one came in), comparing
 * the staged lines with the selection's payable lines now in one pass for every kind staged.
 * Those sets get no number this time; the next request stages them afresh. Answers how many
 * groups were dropped.
 */
export async function dropChangedGroups(
  trx: Executor,
  accountId: bigint,
  kinds: readonly PaymentNumberKind[],
  selection: Selection,
): Promise<number> {
  const keys = sql.join(
    kinds.flatMap((kind) => [
      sql`(${kind}::text, ${groupKey(kind, sql`l.`)})`,
      sql`(${kind}::text, ${groupKey(kind, sql`c.`)})`,
    ]),
  );
  const result = await sql`
    delete from pay_groups g where (g.kind, g.group_key) in (
      select k.kind, k.group_key
      from pay_lines l full join (${payableLines(accountId, selection)}) c on c.ticket_number = l.ticket_number
      cross join lateral (values ${keys}) k(kind, group_key)
      where (l.ticket_number is null or c.ticket_number is null or l.vehicle_id <> c.vehicle_id
             or l.amount_minor <> c.amount_minor)
        and k.group_key is not null)`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

export interface StagedGroup {
  group_key: string;
  vehicle_id: bigint;
  line_hash: string;
  line_count: number;
  total_minor: bigint;
  generation: number;
  /**
   * The group's tickets, and its amounts and offence times (offenceMicros) separated by commas, in
   * no order but the same one in all three; null where not staged with them.
   */
  tickets: string[] | null;
  amounts: string | null;
  offences: string | null;
}

/** The kind's staged groups without an open number, with their tickets where staged: what the authority is asked for. */
export async function stagedGroupsWithoutNumber(trx: Executor, kind: PaymentNumberKind) {
  const { rows } = await sql<StagedGroup>`
    select group_key, vehicle_id, line_hash, line_count, total_minor, generation, tickets, amounts, offences
    from pay_groups where kind = ${kind} and open_id is null order by group_key`.execute(trx);
  return rows;
}

export async function stagedGroupCount(trx: Executor, kind: PaymentNumberKind): Promise<number> {
  const { rows } = await sql<{
    n: number;
  }>`select count(*)::int as n from pay_groups where kind = ${kind}`.execute(trx);
  return rows[0]!.n;
}

export interface StagedLine {
  group_key: string;
  ticket_number: string;
  amount_minor: bigint;
  /** offenceMicros */
  offence: string;
}

/** The lines of the kind's staged groups without an open number, in no order. */
export async function stagedLinesWithoutNumber(trx: Executor, kind: PaymentNumberKind) {
  const { rows } = await sql<StagedLine>`
    select g.group_key, l.ticket_number, l.amount_minor, ${offenceMicros} as offence
    from pay_lines l join pay_groups g on ${groupHasLine(kind)}
    where g.kind = ${kind} and g.open_id is null`.execute(trx);
  return rows;
}

/**
 * Up to this many payable lines, a selection is staged inline (stageInline, recordInline): no
 * session tables, so none of their creation, statistics and dropping, which cost a small fleet's
 * nightly stage more than its numbers do.
 */
export const INLINE_STAGING_LINES = 500;

/** How many lines a selection has to pay, counted only up to `limit + 1`. */
export async function payableLineCount(
  trx: Executor,
  accountId: bigint,
  selection: Selection,
  limit: number,
): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from (${payableLines(accountId, selection)} limit ${limit + 1}) p`.execute(trx);
  return rows[0]!.n;
}

export interface InlineGroup extends StagedGroup {
  open_id: bigint | null;
  tickets: string[];
  amounts: string;
  offences: string;
}

/**
 * Stages a small selection in one statement that answers its groups (groupsOfStagedLines) with
 * their tickets, ordered by group as stagedGroupsWithoutNumber orders them. Nothing is kept in the
 * database: recordInline works the lines out again under the lock and keeps the groups whose set
 * is still the one staged.
 */
export async function stageInline(
  trx: Executor,
  accountId: bigint,
  kind: PaymentNumberKind,
  selection: Selection,
  rules: DueRules,
  now: Date,
): Promise<InlineGroup[]> {
  const { rows } = await sql<InlineGroup>`
    with pay_lines as materialized (${stagedLines(accountId, selection, rules, now)})
    ${groupsOfStagedLines(accountId, kind, rules.validUntil, true)}
    order by g.group_key`.execute(trx);
  return rows;
}

/**
 * Records what stageInline staged, in one statement: the selection's lines are worked out again
 * (the same `now`, so the same due amounts) and a staged group is kept only if its set is still
 * the one staged, under the same key (as dropChangedGroups keeps it; a line that moved to another
 * vehicle changes both vehicles' sets). Then, as the staged path does in three statements,
 * incomplete numbers are superseded and the issued numbers recorded with their lines
 * (`recordIssued`, given the kept groups and their lines). Answers how many numbers were
 * recorded, the sets kept and how many of them have an open number now: those open before (the
 * supersession spares the kept sets, and a recorded number is never one of theirs) and those
 * recorded.
 */
export async function recordInline(
  trx: Executor,
  staged: ReadonlyArray<{ group_key: string; line_hash: string }>,
  rules: DueRules,
  statements: { supersede: ReturnType<typeof sql> | null; record: ReturnType<typeof sql> | null },
  meta: { accountId: bigint; kind: PaymentNumberKind; selection: Selection; now: Date },
): Promise<{ recorded: number; kept: string[]; open: number }> {
  const { accountId, kind, selection, now } = meta;
  const { supersede, record } = statements;
  const { rows } = await sql<{ recorded: number; kept: string[]; open: number }>`
    with staged as (
      select * from unnest(${staged.map((g) => g.group_key)}::text[], ${staged.map((g) => g.line_hash)}::text[])
        as s(group_key, line_hash)
    ), pay_lines as materialized (${stagedLines(accountId, selection, rules, now)}),
    pay_groups as materialized (
      select g.* from (${groupsOfStagedLines(accountId, kind, rules.validUntil)}) g
      join staged s on s.group_key = g.group_key and s.line_hash = g.line_hash
    )
    ${supersede ? sql`, superseded as (${supersede} returning 1)` : sql``},
    ${record ?? sql`inserted as (select null::bigint as id where false)`}
    select (select count(*)::int from inserted) as recorded, array(select line_hash from pay_groups) as kept,
           (select count(*)::int from pay_groups where open_id is not null)
             + (select count(*)::int from inserted) as open`.execute(trx);
  return rows[0]!;
}
