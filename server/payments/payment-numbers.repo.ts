import { sql } from 'kysely';
import { toJsonb } from '../db/json.ts';
import type { Executor } from '../db/tenant.ts';
import type { PaymentNumberKind } from './payment-number.ts';

/** Which outstanding violations a request covers. */
export type Selection =
  | { scope: 'account' }
  | { scope: 'vehicle'; vehicleId: string }
  | { scope: 'vehicles'; vehicleIds: string[] }
  | { scope: 'tickets'; ticketNumbers: string[] }
  | { scope: 'cost_centre'; costCentre: string };

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

function payableLines(accountId: bigint, kind: PaymentNumberKind, selection: Selection) {
  return sql`
    select v.ticket_number, v.vehicle_id, v.offence_at, v.amount_minor,
           case ${kind}::text when 'vehicle' then v.vehicle_id::text when 'violation' then v.ticket_number else '' end
             as group_key
    from violations v
    where v.account_id = ${accountId} and v.state = 'outstanding' and v.amount_minor > 0
      and not exists (select 1 from payment_number_lines l
                      where l.account_id = v.account_id and l.ticket_number = v.ticket_number
                        and l.state = 'paid_pending')
      ${selectionFilter(selection)}`;
}

/**
 * A line's next deadline and the amount from it on, in SQL: a rule's deadline is the local
 * midnight starting the day `afterDays` after the offence's local day; the first still ahead of
 * `now` is the next. The amount after it is `amount × numerator ÷ denominator` in integers,
 * rounded down (amounts are positive, so integer division is the floor).
 */
function dueColumns(rules: DueRules, now: Date) {
  const deadline = (afterDays: number) =>
    sql`((o.local_day + make_interval(days => ${afterDays}::int)) at time zone ${rules.timeZone}::text)`;
  if (rules.escalation.length === 0)
    return sql`null::timestamptz as next_deadline_at, p.amount_minor as amount_after_deadline_minor`;
  const whenAhead = (then: (r: DueRules['escalation'][number]) => ReturnType<typeof sql>) =>
    sql.join(
      rules.escalation.map((r) => sql`when ${deadline(r.afterDays)} > ${now}::timestamptz then ${then(r)}`),
      sql` `,
    );
  return sql`
    case ${whenAhead((r) => deadline(r.afterDays))} end as next_deadline_at,
    case ${whenAhead((r) => sql`p.amount_minor * ${r.numerator}::bigint / ${r.denominator}::bigint`)}
      else p.amount_minor end as amount_after_deadline_minor`;
}

/**
 * Stages the payable lines of a selection (outstanding, not already paid through one of our
 * numbers) with what each is due after its next deadline, grouped as the kind groups them: per
 * vehicle, per violation or all in one. Each group's exact line set is named by the SHA-256 of
 * its sorted "ticket:amount" lines, carries its totals and expiry, how many numbers that set had
 * before (the authority's key changes with it) and its open number if it has one. The tables are
 * the session's: the caller keeps the connection from staging to recording and drops them.
 */
export async function stagePayableGroups(
  trx: Executor,
  accountId: bigint,
  kind: PaymentNumberKind,
  selection: Selection,
  rules: DueRules,
  now: Date,
): Promise<void> {
  await dropStaging(trx);
  await sql`
    create temp table pay_lines as
    select p.*, ${dueColumns(rules, now)}
    from (${payableLines(accountId, kind, selection)}) p
    cross join lateral (select date_trunc('day', p.offence_at at time zone ${rules.timeZone}::text) as local_day) o`.execute(
    trx,
  );
  // The fresh table's statistics, so the plans built on it fit its size.
  await sql`analyze pay_lines`.execute(trx);
  await sql`
    create temp table pay_groups as
    with g as (
      select group_key, min(vehicle_id) as vehicle_id, count(*)::int as line_count,
             sum(amount_minor)::bigint as total_minor,
             sum(amount_after_deadline_minor)::bigint as total_after_deadline_minor,
             min(next_deadline_at) as next_deadline_at,
             least(min(next_deadline_at), ${rules.validUntil}::timestamptz) as expires_at,
             encode(sha256(convert_to(string_agg(ticket_number || ':' || amount_minor, ',' order by ticket_number collate "C"),
                                      'UTF8')), 'hex') as line_hash
      from pay_lines group by group_key
    )
    -- One index probe per set (payment_numbers_by_set): the account's numbers have just been
    -- written by the night before, so their statistics may still say the table is empty.
    select g.*, n.generation, n.open_id
    from g cross join lateral (
      select count(*)::int as generation, max(p.id) filter (where p.state = 'open') as open_id
      from payment_numbers p
      where p.account_id = ${accountId} and p.kind = ${kind} and p.line_hash = g.line_hash
    ) n`.execute(trx);
  await sql`create index on pay_lines (group_key)`.execute(trx);
  await sql`create unique index on pay_groups (group_key)`.execute(trx);
  await sql`create index on pay_groups (line_hash)`.execute(trx);
  await sql`create index on pay_groups (vehicle_id)`.execute(trx);
  await sql`analyze pay_groups`.execute(trx);
}

export async function dropStaging(trx: Executor): Promise<void> {
  await sql`drop table if exists pay_lines, pay_groups`.execute(trx);
}

/**
 * Before recording: drops the staged groups whose payable set is no longer what was staged (a
 * line settled, cancelled, changed amount or vehicle, was paid, or a new one came in), comparing
 * the staged lines with the selection's payable lines now in one pass. Those sets get no number
 * this time; the next request stages them afresh. Answers how many groups were dropped.
 */
export async function dropChangedGroups(
  trx: Executor,
  accountId: bigint,
  kind: PaymentNumberKind,
  selection: Selection,
): Promise<number> {
  const result = await sql`
    delete from pay_groups g where g.group_key in (
      select k.group_key
      from pay_lines l full join (${payableLines(accountId, kind, selection)}) c on c.ticket_number = l.ticket_number
      cross join lateral (values (l.group_key), (c.group_key)) k(group_key)
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
}

/** The staged groups without an open number: what the authority is asked for. */
export async function stagedGroupsWithoutNumber(trx: Executor) {
  const { rows } = await sql<StagedGroup>`
    select group_key, vehicle_id, line_hash, line_count, total_minor, generation
    from pay_groups where open_id is null order by group_key`.execute(trx);
  return rows;
}

export async function stagedGroupCount(trx: Executor): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pay_groups`.execute(trx);
  return rows[0]!.n;
}

export interface StagedLine {
  group_key: string;
  ticket_number: string;
  amount_minor: bigint;
}

/** The lines of the groups without an open number, oldest first within each group. */
export async function stagedLinesWithoutNumber(trx: Executor) {
  const { rows } = await sql<StagedLine>`
    select l.group_key, l.ticket_number, l.amount_minor
    from pay_lines l join pay_groups g on g.group_key = l.group_key
    where g.open_id is null
    order by l.group_key, l.offence_at, l.ticket_number collate "C"`.execute(trx);
  return rows;
}

/** Open numbers whose expiry has come become `expired`. */
export async function expireNumbers(trx: Executor, accountId: bigint, now: Date): Promise<number> {
  const result = await sql`
    update payment_numbers set state = 'expired', state_changed_at = ${now}
    where account_id = ${accountId} and state = 'open' and expires_at <= ${now}`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Open numbers with a line the authority no longer asks for as frozen (settled, cancelled,
 * escalated or reduced, moved to another vehicle) become `superseded`.
 */
export async function supersedeChangedNumbers(trx: Executor, accountId: bigint, now: Date): Promise<number> {
  const result = await sql`
    update payment_numbers p set state = 'superseded', state_changed_at = ${now}
    where p.account_id = ${accountId} and p.state = 'open'
      and exists (select 1 from payment_number_lines l
                  join violations v on v.account_id = l.account_id and v.ticket_number = l.ticket_number
                  where l.account_id = p.account_id and l.payment_number_id = p.id
                    and (v.state <> 'outstanding' or v.amount_minor <> l.amount_minor or v.vehicle_id <> l.vehicle_id))`.execute(
    trx,
  );
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Open numbers that no longer cover the whole of what they stand for become `superseded`: a
 * vehicle's number once the vehicle has another payable set, the account's consolidated number
 * once the account's set changed. Needs the staged groups of that kind and selection.
 */
export async function supersedeIncompleteNumbers(
  trx: Executor,
  accountId: bigint,
  kind: PaymentNumberKind,
  selection: Selection,
  now: Date,
): Promise<number> {
  if (kind === 'vehicle') {
    const result = await sql`
      update payment_numbers p set state = 'superseded', state_changed_at = ${now}
      where p.account_id = ${accountId} and p.state = 'open' and p.kind = 'vehicle'
        and p.vehicle_id in (select vehicle_id from pay_groups)
        and not exists (select 1 from pay_groups g where g.line_hash = p.line_hash)`.execute(trx);
    return Number(result.numAffectedRows ?? 0n);
  }
  if (kind === 'consolidated' && selection.scope === 'account') {
    const result = await sql`
      update payment_numbers p set state = 'superseded', state_changed_at = ${now}
      where p.account_id = ${accountId} and p.state = 'open' and p.kind = 'consolidated'
        and p.selection ->> 'scope' = 'account'
        and not exists (select 1 from pay_groups g where g.line_hash = p.line_hash)`.execute(trx);
    return Number(result.numAffectedRows ?? 0n);
  }
  return 0;
}

export interface IssuedNumber {
  lineHash: string;
  number: string;
  issuer: 'authority' | 'product';
  /** The authority's own expiry: it wins when sooner than the lines' (and still ahead). */
  authorityExpiresAt: Date | null;
}

/**
 * Records issued numbers and their frozen lines in one statement from the staged groups and
 * lines (totals, due amounts and expiry already worked out there), for the groups still staged.
 * A number already open for the same set wins (the constraint decides between concurrent
 * issuers). Answers how many numbers were recorded.
 */
export async function insertIssuedNumbers(
  trx: Executor,
  meta: {
    accountId: bigint;
    kind: PaymentNumberKind;
    selection: Selection;
    currency: string;
    now: Date;
    runId: bigint | null;
    requestedBy: bigint | null;
  },
  issued: readonly IssuedNumber[],
): Promise<number> {
  if (issued.length === 0) return 0;
  const { rows } = await sql<{ n: number }>`
    with issued as (
      select * from unnest(${issued.map((i) => i.lineHash)}::text[], ${issued.map((i) => i.number)}::text[],
                           ${issued.map((i) => i.issuer)}::text[],
                           ${issued.map((i) => i.authorityExpiresAt)}::timestamptz[])
        as i(line_hash, number, issuer, authority_expires_at)
    ), inserted as (
      insert into payment_numbers (account_id, number, kind, issuer, selection, vehicle_id, line_hash, line_count,
                                   total_minor, total_after_deadline_minor, next_deadline_at, currency, issued_at,
                                   expires_at, issued_by_run, requested_by)
      select ${meta.accountId}, i.number, ${meta.kind}, i.issuer,
             case ${meta.kind}::text
               when 'vehicle' then jsonb_build_object('scope', 'vehicle', 'vehicleId', g.vehicle_id::text)
               when 'violation' then jsonb_build_object('scope', 'tickets', 'ticketNumbers', jsonb_build_array(g.group_key))
               else ${toJsonb(meta.selection)}::jsonb end,
             case when ${meta.kind}::text = 'vehicle' then g.vehicle_id end, g.line_hash, g.line_count, g.total_minor,
             g.total_after_deadline_minor, g.next_deadline_at, ${meta.currency}, ${meta.now},
             case when i.authority_expires_at > ${meta.now}::timestamptz and i.authority_expires_at < g.expires_at
                  then i.authority_expires_at else g.expires_at end,
             ${meta.runId}, ${meta.requestedBy}
      from issued i join pay_groups g on g.line_hash = i.line_hash
      on conflict do nothing
      returning id, line_hash
    ), line_rows as (
      insert into payment_number_lines (account_id, payment_number_id, ticket_number, vehicle_id, offence_at, amount_minor,
                                        amount_after_deadline_minor, next_deadline_at)
      select ${meta.accountId}, n.id, l.ticket_number, l.vehicle_id, l.offence_at, l.amount_minor,
             l.amount_after_deadline_minor, l.next_deadline_at
      from inserted n
      join pay_groups g on g.line_hash = n.line_hash
      join pay_lines l on l.group_key = g.group_key
    )
    select count(*)::int as n from inserted`.execute(trx);
  return rows[0]!.n;
}

export const numberColumns = sql`p.id, p.number, p.kind, p.issuer, p.selection, p.vehicle_id, p.line_count, p.total_minor,
  p.total_after_deadline_minor, p.next_deadline_at, p.currency, p.issued_at, p.expires_at, p.state, p.paid_minor,
  p.state_changed_at, p.issued_by_run`;

export interface NumberRow {
  id: bigint;
  number: string;
  kind: PaymentNumberKind;
  issuer: 'authority' | 'product';
  selection: unknown;
  vehicle_id: bigint | null;
  line_count: number;
  total_minor: bigint;
  total_after_deadline_minor: bigint;
  next_deadline_at: Date | null;
  currency: 'JOD' | 'IQD' | 'EGP';
  issued_at: Date;
  expires_at: Date;
  state: string;
  paid_minor: bigint;
  state_changed_at: Date | null;
  issued_by_run: bigint | null;
}

/** The open numbers of the staged groups (after recording): what a request for them answers. */
export async function openNumbersOfStagedGroups(trx: Executor, accountId: bigint, kind: PaymentNumberKind) {
  const { rows } = await sql<NumberRow>`
    select ${numberColumns} from payment_numbers p join pay_groups g on g.line_hash = p.line_hash
    where p.account_id = ${accountId} and p.kind = ${kind} and p.state = 'open'
    order by p.id`.execute(trx);
  return rows;
}

export async function nextPaymentOrderSerials(trx: Executor, count: number): Promise<bigint[]> {
  const { rows } = await sql<{ serial: string }>`
    select nextval('payment_order_seq')::text as serial from generate_series(1, ${count}::int)`.execute(trx);
  return rows.map((r) => BigInt(r.serial));
}

export async function listNumbers(
  trx: Executor,
  accountId: bigint,
  filter: { state?: string; kind?: string; vehicleId?: bigint; after?: bigint; limit: number },
) {
  const { rows } = await sql<NumberRow>`
    select ${numberColumns} from payment_numbers p
    where p.account_id = ${accountId}
      ${filter.state ? sql`and p.state = ${filter.state}` : sql``}
      ${filter.kind ? sql`and p.kind = ${filter.kind}` : sql``}
      ${filter.vehicleId !== undefined ? sql`and p.vehicle_id = ${filter.vehicleId}` : sql``}
      ${filter.after !== undefined ? sql`and p.id < ${filter.after}` : sql``}
    order by p.id desc limit ${filter.limit + 1}`.execute(trx);
  return rows;
}

export async function findNumber(trx: Executor, accountId: bigint, number: string) {
  const { rows } = await sql<NumberRow>`
    select ${numberColumns} from payment_numbers p where p.account_id = ${accountId} and p.number = ${number}`.execute(
    trx,
  );
  return rows[0];
}

export interface LineRow {
  ticket_number: string;
  vehicle_id: bigint;
  offence_at: Date;
  amount_minor: bigint;
  amount_after_deadline_minor: bigint;
  next_deadline_at: Date | null;
  state: string;
  paid_minor: bigint;
}

export async function numberLines(trx: Executor, accountId: bigint, numberId: bigint) {
  const { rows } = await sql<LineRow>`
    select ticket_number, vehicle_id, offence_at, amount_minor, amount_after_deadline_minor, next_deadline_at, state,
           paid_minor
    from payment_number_lines where account_id = ${accountId} and payment_number_id = ${numberId}
    order by offence_at, ticket_number collate "C"`.execute(trx);
  return rows;
}
