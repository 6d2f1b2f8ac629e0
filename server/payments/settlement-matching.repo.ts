import { sql } from 'kysely';
import { copyInto } from '../db/copy.ts';
import { copyLine } from '../db/copy-text.ts';
import type { Executor } from '../db/tenant.ts';
import { isUniqueViolation } from '../db/unique-violation.ts';
import type { NewPayment, PaymentOutcome } from './payments.repo.ts';

/** One payment of a batch as staged: its place in the batch and the number its reference reads as. */
export interface StagedPayment {
  ordinal: number;
  transactionId: string;
  /** The number as read (digits only) when the reference is a well-formed number, else the text as it came. */
  reference: string;
  number: string | null;
  referenceProblem: string | null;
  amountMinor: bigint;
  feeMinor: bigint;
  currency: string;
  paidAt: Date;
  settledOn: string | null;
  channel: string | null;
}

/**
 * Stages a batch of payments (COPY into a transaction-local table), locks the numbers they name
 * in id order, and classifies every payment in one pass, in batch order per number: a transaction
 * recorded before is a repeated delivery; otherwise the outcome is what matching them one by one
 * would give — each payment sees the number as the earlier payments of the batch left it (paid
 * before, so what is due, and whether it is paid already).
 */
export async function stageAndClassifyPayments(
  trx: Executor,
  accountId: bigint,
  network: NewPayment['network'],
  payments: readonly StagedPayment[],
): Promise<void> {
  await sql`drop table if exists pay_in, pay_classified, pay_applied, pay_lines_paid`.execute(trx);
  await sql`
    create temp table pay_in (
      ordinal int not null, transaction_id text not null, reference text not null, number text,
      reference_problem text, amount_minor bigint not null, fee_minor bigint not null, currency text not null,
      paid_at timestamptz not null, paid_at_text text not null, settled_on date, channel text
    ) on commit drop`.execute(trx);
  const lines = payments.map((p) =>
    copyLine([
      p.ordinal,
      p.transactionId,
      p.reference,
      p.number,
      p.referenceProblem,
      p.amountMinor.toString(),
      p.feeMinor.toString(),
      p.currency,
      p.paidAt.toISOString(),
      // The payment time as an exception's evidence says it (as the one-by-one path writes it).
      p.paidAt.toISOString(),
      p.settledOn,
      p.channel,
    ]),
  );
  await copyInto(trx, 'copy pay_in from stdin', [lines.join('')]);
  // Statistics of the columns later statements join and filter on only: the other columns' cost
  // more to compute than the plans gain from them.
  await sql`analyze pay_in (number, transaction_id)`.execute(trx);
  await sql`
    select 1 from payment_numbers n
    where n.account_id = ${accountId} and n.number in (select number from pay_in where number is not null)
    order by n.id for update`.execute(trx);
  await sql`
    create temp table pay_classified on commit drop as
    with found as (
      select i.*, n.id as number_id, n.state as number_state, n.total_minor, n.paid_minor as number_paid_minor,
             n.expires_at, n.currency as number_currency,
             (n.id is not null and n.currency = i.currency and n.state in ('open', 'partially_paid')
              and n.expires_at > i.paid_at) as payable,
             seen.id as seen_id, seen.outcome as seen_outcome
      from pay_in i
      left join payment_numbers n on n.account_id = ${accountId} and n.number = i.number
      left join payments seen on seen.account_id = ${accountId} and seen.network = ${network}
                             and seen.transaction_id = i.transaction_id
    ), ordered as (
      select f.*,
             f.number_paid_minor + coalesce(sum(f.amount_minor) filter (where f.payable and f.seen_id is null)
               over (partition by f.number_id order by f.ordinal rows between unbounded preceding and 1 preceding), 0)
               as paid_before_minor
      from found f
    )
    select o.*,
           case
             when o.number_id is null or o.number_currency <> o.currency then 'unknown_number'
             when o.number_state = 'superseded' then 'superseded_number'
             when o.number_state = 'paid' or o.paid_before_minor >= o.total_minor then 'duplicate'
             when o.number_state = 'expired' or o.expires_at <= o.paid_at then 'expired_number'
             when o.amount_minor = o.total_minor - o.paid_before_minor then 'matched'
             when o.amount_minor < o.total_minor - o.paid_before_minor then 'short'
             else 'over'
           end as outcome,
           case
             when o.paid_before_minor >= o.total_minor then 'paid'
             when o.paid_before_minor > o.number_paid_minor then 'partially_paid'
             else o.number_state
           end as state_seen
    from ordered o`.execute(trx);
  await sql`analyze pay_classified (number_id, seen_id, outcome, transaction_id)`.execute(trx);
}

/**
 * The payments of this batch whose number shares a line with another number of the batch: paying
 * one supersedes the other, so those depend on each other's order and are matched one by one.
 */
export async function entangledOrdinals(trx: Executor, accountId: bigint): Promise<number[]> {
  const { rows } = await sql<{ ordinal: number }>`
    with batch_lines as materialized (
      select l.payment_number_id, l.ticket_number
      from payment_number_lines l
      where l.account_id = ${accountId}
        and l.payment_number_id in (select number_id from pay_classified where number_id is not null and seen_id is null)
    ), shared as (
      -- A ticket on two lines of the batch's numbers is on two of them (a number has a ticket once).
      select ticket_number from batch_lines group by ticket_number having count(*) > 1
    ), entangled as (
      select distinct payment_number_id as number_id from batch_lines
      where ticket_number in (select ticket_number from shared)
    )
    select c.ordinal from pay_classified c where c.seen_id is null and c.number_id in (select number_id from entangled)
    order by c.ordinal`.execute(trx);
  return rows.map((r) => r.ordinal);
}

/**
 * A batch's payments are inserted without an ON CONFLICT clause (its speculative insertion cost
 * every row more than the conflict it would catch): a concurrent delivery of one of them that
 * committed after the batch was classified fails the INSERT with this unique violation.
 */
export const isRecordedMeanwhile = (error: unknown) =>
  isUniqueViolation(error, 'payments_one_per_transaction');

export interface ClassifiedPayment {
  ordinal: number;
  transaction_id: string;
  outcome: PaymentOutcome;
  payment_id: bigint | null;
  seen_id: bigint | null;
  seen_outcome: PaymentOutcome | null;
}

/**
 * Records the batch's new payments (all but `leaveOut`) with the number as they found it and an
 * exception for every mismatch, applies the matched, short and over ones to their numbers (paid amount and state;
 * each line its share, oldest line first; lines paid in full become paid-pending), and supersedes
 * other open numbers asking for a line now paid. Answers every staged payment with its
 * outcome; fails with an error `isRecordedMeanwhile` recognises when a concurrent delivery
 * recorded one of them first (nothing is left half-applied: the caller rolls back).
 */
export async function recordClassifiedPayments(
  trx: Executor,
  accountId: bigint,
  network: NewPayment['network'],
  source: NewPayment['source'],
  leaveOut: readonly number[],
): Promise<ClassifiedPayment[]> {
  if (leaveOut.length > 0)
    await sql`delete from pay_classified where ordinal = any(${leaveOut}::int[])`.execute(trx);
  // The payments with the number as they found it (the rest of their evidence is their columns),
  // an exception with the whole evidence for each mismatch, and every staged payment answered with
  // its payment (a repeated delivery with the one seen).
  const { rows } = await sql<ClassifiedPayment>`
    with inserted as (
      insert into payments (account_id, network, transaction_id, source, reference, payment_number_id, amount_minor,
                            fee_minor, currency, paid_at, settled_on, channel, outcome, number_state,
                            number_total_minor, paid_before_minor, evidence)
      select ${accountId}, ${network}, c.transaction_id, ${source}, c.reference, c.number_id,
             c.amount_minor, c.fee_minor, c.currency, c.paid_at, c.settled_on, c.channel, c.outcome,
             case when c.number_currency = c.currency then c.state_seen end,
             case when c.number_currency = c.currency then c.total_minor end,
             case when c.number_currency = c.currency then c.paid_before_minor end,
             case when c.reference_problem is not null
                    then jsonb_build_object('referenceProblem', c.reference_problem)
                  when c.number_currency <> c.currency
                    then jsonb_build_object('currencyExpected', c.number_currency)
                  else '{}'::jsonb end
      from pay_classified c where c.seen_id is null
      order by c.ordinal
      returning id, transaction_id, payment_number_id, outcome
    ), opened as (
      insert into exceptions (account_id, kind, payment_id, payment_number_id, details)
      select ${accountId},
             case i.outcome when 'short' then 'amount_mismatch' when 'over' then 'amount_mismatch'
               when 'unknown_number' then 'unknown_reference' when 'superseded_number' then 'superseded_reference'
               when 'expired_number' then 'expired_reference' when 'duplicate' then 'duplicate_payment' end,
             i.id, i.payment_number_id,
             jsonb_strip_nulls(jsonb_build_object(
               'network', ${network}::text, 'source', ${source}::text, 'transactionId', c.transaction_id,
               'reference', c.reference, 'amountMinor', c.amount_minor::text, 'feeMinor', c.fee_minor::text,
               'paidAt', c.paid_at_text,
               'referenceProblem', c.reference_problem,
               'currencyExpected', case when c.number_currency <> c.currency then c.number_currency end,
               'numberState', case when c.number_currency = c.currency then c.state_seen end,
               'totalMinor', case when c.number_currency = c.currency then c.total_minor::text end,
               'paidBeforeMinor', case when c.number_currency = c.currency then c.paid_before_minor::text end,
               'dueMinor', case when c.number_currency = c.currency then (c.total_minor - c.paid_before_minor)::text end,
               'differenceMinor', case when c.outcome in ('short', 'over')
                                       then (c.amount_minor - (c.total_minor - c.paid_before_minor))::text end))
               || jsonb_build_object('channel', c.channel, 'outcome', i.outcome)
      from inserted i join pay_classified c on c.transaction_id = i.transaction_id
      where i.outcome <> 'matched'
      on conflict do nothing
    )
    select c.ordinal, c.transaction_id, c.outcome, i.id as payment_id, c.seen_id, c.seen_outcome
    from pay_classified c left join inserted i on i.transaction_id = c.transaction_id
    order by c.ordinal`.execute(trx);

  await sql`
    create temp table pay_applied on commit drop as
    select number_id, sum(amount_minor)::bigint as amount_minor, max(total_minor) as total_minor,
           max(number_paid_minor) as number_paid_minor,
           (array_agg(paid_at order by ordinal desc))[1] as last_paid_at
    from pay_classified where outcome in ('matched', 'short', 'over') and seen_id is null group by number_id`.execute(
    trx,
  );
  await sql`analyze pay_applied (number_id)`.execute(trx);
  await sql`
    update payment_numbers n
    set paid_minor = n.paid_minor + a.amount_minor,
        state = case when a.number_paid_minor + a.amount_minor >= a.total_minor then 'paid' else 'partially_paid' end,
        state_changed_at = a.last_paid_at
    from pay_applied a where n.account_id = ${accountId} and n.id = a.number_id`.execute(trx);
  // Oldest line first: each open line takes what it still needs from what is left of the money.
  // A line paid in full remembers the payment that completed it (the first whose running sum of
  // the number's payments reaches what the line and the older ones needed).
  await sql`
    create temp table pay_lines_paid on commit drop as
    with runs as (
      select number_id, ordinal, paid_at,
             sum(amount_minor) over (partition by number_id order by ordinal) as through_minor
      from pay_classified where outcome in ('matched', 'short', 'over') and seen_id is null
    ), due as (
      select l.payment_number_id, l.ticket_number, l.amount_minor - l.paid_minor as due_minor, a.amount_minor as paid,
             coalesce(sum(l.amount_minor - l.paid_minor) over (
               partition by l.payment_number_id order by l.offence_at, l.ticket_number collate "C"
               rows between unbounded preceding and 1 preceding), 0) as due_before
      from payment_number_lines l join pay_applied a on a.number_id = l.payment_number_id
      where l.account_id = ${accountId} and l.state = 'open'
    ), shares as (
      select payment_number_id, ticket_number, least(due_minor, paid - due_before) as take,
             due_before + due_minor as needed
      from due where paid > due_before
    ), updated as (
      update payment_number_lines l
      set paid_minor = l.paid_minor + s.take,
          state = case when l.paid_minor + s.take >= l.amount_minor then 'paid_pending' else 'open' end
      from shares s
      where l.account_id = ${accountId} and l.payment_number_id = s.payment_number_id
        and l.ticket_number = s.ticket_number
      returning l.payment_number_id, l.ticket_number, l.state, s.needed
    )
    select distinct on (u.payment_number_id, u.ticket_number) u.payment_number_id, u.ticket_number, r.ordinal, r.paid_at
    from updated u join runs r on r.number_id = u.payment_number_id and r.through_minor >= u.needed
    where u.state = 'paid_pending'
    order by u.payment_number_id, u.ticket_number, r.ordinal`.execute(trx);
  // Other open numbers asking for a line now paid would have it paid twice: they are superseded,
  // as of the first payment that paid such a line.
  await sql`
    update payment_numbers p set state = 'superseded', state_changed_at = hit.at
    from (
      select distinct on (other.payment_number_id) other.payment_number_id as id, pl.paid_at as at
      from pay_lines_paid pl
      join payment_number_lines other on other.account_id = ${accountId} and other.ticket_number = pl.ticket_number
                                     and other.payment_number_id <> pl.payment_number_id
      order by other.payment_number_id, pl.ordinal
    ) hit
    where p.account_id = ${accountId} and p.id = hit.id and p.state = 'open'`.execute(trx);
  return rows;
}
