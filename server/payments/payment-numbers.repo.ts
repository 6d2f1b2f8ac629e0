import { sql } from 'kysely';
import { toJsonb } from '../db/json.ts';
import type { Executor } from '../db/tenant.ts';
import { isUniqueViolation } from '../db/unique-violation.ts';
import type { PaymentNumberKind } from './payment-number.ts';

/** Which outstanding violations a request covers. */
export type Selection =
  | { scope: 'account' }
  | { scope: 'vehicle'; vehicleId: string }
  | { scope: 'vehicles'; vehicleIds: string[] }
  | { scope: 'tickets'; ticketNumbers: string[] }
  | { scope: 'cost_centre'; costCentre: string };

/**
 * The key a line (of the staged lines, or the payable ones) is grouped by for the kind: its
 * vehicle, its ticket, or one group for all. Worked out from the line's columns wherever groups
 * meet lines, so the same staged lines serve every kind.
 */
export function groupKey(kind: PaymentNumberKind, of = sql``) {
  if (kind === 'vehicle') return sql`${of}vehicle_id::text`;
  if (kind === 'violation') return sql`${of}ticket_number`;
  return sql`''::text`;
}

/**
 * The condition joining a kind's groups (`g`) with their lines (`l`): by the vehicle's id for a
 * vehicle's group, an integer join cheaper than its key's text.
 */
export function groupHasLine(kind: PaymentNumberKind) {
  if (kind === 'vehicle') return sql`l.vehicle_id = g.vehicle_id`;
  return sql`${groupKey(kind, sql`l.`)} = g.group_key`;
}

/** Open numbers whose expiry has come become `expired`. */
export async function expireNumbers(trx: Executor, accountId: bigint, now: Date): Promise<number> {
  const result = await sql`
    update payment_numbers set state = 'expired', state_changed_at = ${now}
    where account_id = ${accountId} and state = 'open' and expires_at <= ${now}`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Before anything is looked up, in one pass over the open numbers: those whose expiry has come
 * become `expired`; the others with a line the authority no longer asks for as frozen (settled,
 * cancelled, escalated or reduced, moved to another vehicle) become `superseded`. Answers how
 * many numbers changed state.
 */
export async function refreshOpenNumbers(trx: Executor, accountId: bigint, now: Date): Promise<number> {
  const result = await sql`
    update payment_numbers p
    set state = case when p.expires_at <= ${now} then 'expired' else 'superseded' end, state_changed_at = ${now}
    where p.account_id = ${accountId} and p.state = 'open'
      and (p.expires_at <= ${now}
           or exists (select 1 from payment_number_lines l
                      join violations v on v.account_id = l.account_id and v.ticket_number = l.ticket_number
                      where l.account_id = p.account_id and l.payment_number_id = p.id
                        and (v.state <> 'outstanding' or v.amount_minor <> l.amount_minor
                             or v.vehicle_id <> l.vehicle_id)))`.execute(trx);
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
  const update = supersedeIncomplete(accountId, kind, selection, now);
  if (!update) return 0;
  const result = await update.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * The UPDATE of supersedeIncompleteNumbers, reading the staged groups as `pay_groups` (each with
 * its kind: one request stages several); none for kinds it leaves alone.
 */
export function supersedeIncomplete(
  accountId: bigint,
  kind: PaymentNumberKind,
  selection: Selection,
  now: Date,
) {
  if (kind === 'vehicle') {
    return sql`
      update payment_numbers p set state = 'superseded', state_changed_at = ${now}
      where p.account_id = ${accountId} and p.state = 'open' and p.kind = 'vehicle'
        and p.vehicle_id in (select vehicle_id from pay_groups where kind = 'vehicle')
        and not exists (select 1 from pay_groups g where g.kind = 'vehicle' and g.line_hash = p.line_hash)`;
  }
  if (kind === 'consolidated' && selection.scope === 'account') {
    return sql`
      update payment_numbers p set state = 'superseded', state_changed_at = ${now}
      where p.account_id = ${accountId} and p.state = 'open' and p.kind = 'consolidated'
        and p.selection ->> 'scope' = 'account'
        and not exists (select 1 from pay_groups g where g.kind = 'consolidated' and g.line_hash = p.line_hash)`;
  }
  return null;
}

export interface IssuedNumber {
  /** The staged group (set) the number was issued for. */
  groupKey: string;
  number: string;
  issuer: 'authority' | 'product';
  /** The authority's own expiry: it wins when sooner than the lines' (and still ahead). */
  authorityExpiresAt: Date | null;
}

/**
 * Records issued numbers and their frozen lines in one statement from the staged groups and
 * lines (totals, due amounts and expiry already worked out there), for the groups still staged.
 * A set that has an open number now keeps it and records none (see recordIssued). Answers how
 * many numbers were recorded and how many of the kind's staged sets have an open number after.
 */
export async function insertIssuedNumbers(
  trx: Executor,
  meta: RecordingMeta,
  issued: readonly IssuedNumber[],
): Promise<{ recorded: number; open: number }> {
  const { rows } = await sql<{ recorded: number; open: number }>`
    with ${recordIssued(meta, issued)}
    select (select count(*)::int from inserted) as recorded,
           (select count(*)::int from pay_groups g where g.kind = ${meta.kind} and ${hasOpenNumber(meta)})
             + (select count(*)::int from inserted) as open`.execute(trx);
  return rows[0]!;
}

export interface RecordingMeta {
  accountId: bigint;
  kind: PaymentNumberKind;
  selection: Selection;
  currency: string;
  now: Date;
  runId: bigint | null;
  requestedBy: bigint | null;
}

/** Whether the staged group `g` has an open number of the kind now. */
function hasOpenNumber(meta: RecordingMeta) {
  return sql`exists (select from payment_numbers p
                     where p.account_id = ${meta.accountId} and p.kind = ${meta.kind}
                       and p.line_hash = g.line_hash and p.state = 'open')`;
}

/**
 * The common table expressions of insertIssuedNumbers, reading the staged groups and lines as
 * `pay_groups` and `pay_lines`: `inserted` holds the numbers recorded.
 *
 * Every recording holds the account's lock (lockAccountViolations), so an open number found here
 * cannot appear or go before the statement ends: a set that has one records no other, with a plain
 * INSERT (speculative insertion, ON CONFLICT, cost every number ~70% more buffer work). The unique
 * indexes still stand behind it: a second open number for a set, or the authority answering a
 * number the account already has, fails the statement (isNumberReused) instead of being skipped.
 */
export function recordIssued(meta: RecordingMeta, issued: readonly IssuedNumber[]) {
  return sql`
    issued as (
      select * from unnest(${issued.map((i) => i.groupKey)}::text[], ${issued.map((i) => i.number)}::text[],
                           ${issued.map((i) => i.issuer)}::text[],
                           ${issued.map((i) => i.authorityExpiresAt)}::timestamptz[])
        as i(group_key, number, issuer, authority_expires_at)
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
      from issued i join pay_groups g on g.kind = ${meta.kind} and g.group_key = i.group_key
      where not ${hasOpenNumber(meta)}
      returning id, line_hash
    ), line_rows as (
      insert into payment_number_lines (account_id, payment_number_id, ticket_number, vehicle_id, offence_at, amount_minor,
                                        amount_after_deadline_minor, next_deadline_at)
      select ${meta.accountId}, n.id, l.ticket_number, l.vehicle_id, l.offence_at, l.amount_minor,
             l.amount_after_deadline_minor, l.next_deadline_at
      from inserted n
      join pay_groups g on g.kind = ${meta.kind} and g.line_hash = n.line_hash
      join pay_lines l on ${groupHasLine(meta.kind)}
    )`;
}

/** The unique violation of a number the account already has: the authority answered a number twice. */
export const isNumberReused = (error: unknown) => isUniqueViolation(error, 'payment_numbers_number');

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

/**
 * The open numbers of the staged groups (after recording): what a request for them answers; only
 * how many with `count` (the nightly stage answers no more).
 */
export async function openNumbersOfStagedGroups(
  trx: Executor,
  accountId: bigint,
  kind: PaymentNumberKind,
  count = false,
): Promise<NumberRow[] | number> {
  return openNumbers(
    trx,
    sql`join pay_groups g on g.kind = ${kind} and g.line_hash = p.line_hash`,
    accountId,
    kind,
    sql``,
    count,
  );
}

/** The open numbers of the kind for the given sets: what a request staged inline answers (openNumbersOfStagedGroups). */
export async function openNumbersOfSets(
  trx: Executor,
  accountId: bigint,
  kind: PaymentNumberKind,
  lineHashes: readonly string[],
  count = false,
): Promise<NumberRow[] | number> {
  return openNumbers(trx, sql``, accountId, kind, sql`and p.line_hash = any(${lineHashes}::text[])`, count);
}

async function openNumbers(
  trx: Executor,
  join: ReturnType<typeof sql>,
  accountId: bigint,
  kind: PaymentNumberKind,
  where: ReturnType<typeof sql>,
  count: boolean,
): Promise<NumberRow[] | number> {
  const from = sql`from payment_numbers p ${join} where p.account_id = ${accountId} and p.kind = ${kind} and p.state = 'open' ${where}`;
  if (count) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n ${from}`.execute(trx);
    return rows[0]!.n;
  }
  const { rows } = await sql<NumberRow>`select ${numberColumns} ${from} order by p.id`.execute(trx);
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
