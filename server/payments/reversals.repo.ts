import { sql } from 'kysely';
import { toJsonb } from '../db/json.ts';
import type { Executor } from '../db/tenant.ts';

export interface ReversiblePayment {
  id: bigint;
  payment_number_id: bigint | null;
  amount_minor: bigint;
  outcome: string;
  reversed_at: Date | null;
  reversal_transaction_id: string | null;
}

/** The payment a reversal names, locked (with its number) until the reversal is recorded. */
export async function lockPaymentForReversal(
  trx: Executor,
  accountId: bigint,
  network: string,
  transactionId: string,
) {
  const { rows } = await sql<ReversiblePayment>`
    select id, payment_number_id, amount_minor, outcome, reversed_at, reversal_transaction_id from payments
    where account_id = ${accountId} and network = ${network} and transaction_id = ${transactionId}
    for update`.execute(trx);
  return rows[0];
}

export async function markReversed(
  trx: Executor,
  accountId: bigint,
  paymentId: bigint,
  reversal: { transactionId: string; at: Date },
): Promise<void> {
  await sql`
    update payments set reversed_at = ${reversal.at}, reversal_transaction_id = ${reversal.transactionId}
    where account_id = ${accountId} and id = ${paymentId}`.execute(trx);
}

/**
 * Takes a reversed payment back off its number: the number's paid amount drops by it and its
 * state follows (partly paid, or open again unless it has expired or its set has another open
 * number meanwhile, then superseded); its lines not yet confirmed by a run are paid again oldest
 * first from what is left, so those no longer covered are open (payable) again.
 */
export async function unapplyPayment(
  trx: Executor,
  accountId: bigint,
  numberId: bigint,
  amountMinor: bigint,
  at: Date,
): Promise<void> {
  await sql`
    update payment_numbers p
    set paid_minor = greatest(p.paid_minor - ${amountMinor}, 0),
        state = case
          when p.paid_minor - ${amountMinor} > 0 then 'partially_paid'
          when p.expires_at <= ${at}::timestamptz then 'expired'
          when exists (select 1 from payment_numbers o
                       where o.account_id = p.account_id and o.kind = p.kind and o.line_hash = p.line_hash
                         and o.state = 'open' and o.id <> p.id) then 'superseded'
          else 'open' end,
        state_changed_at = ${at}
    where p.account_id = ${accountId} and p.id = ${numberId}`.execute(trx);
  await sql`
    with budget as (
      select p.paid_minor - coalesce((select sum(c.paid_minor) from payment_number_lines c
                                      where c.account_id = p.account_id and c.payment_number_id = p.id
                                        and c.state = 'confirmed'), 0) as left_minor
      from payment_numbers p where p.account_id = ${accountId} and p.id = ${numberId}
    ), due as (
      select l.ticket_number, l.amount_minor,
             coalesce(sum(l.amount_minor) over (order by l.offence_at, l.ticket_number collate "C"
                                                rows between unbounded preceding and 1 preceding), 0) as before_minor
      from payment_number_lines l
      where l.account_id = ${accountId} and l.payment_number_id = ${numberId} and l.state <> 'confirmed'
    )
    update payment_number_lines l
    set paid_minor = greatest(least(d.amount_minor, b.left_minor - d.before_minor), 0),
        state = case when b.left_minor - d.before_minor >= d.amount_minor then 'paid_pending' else 'open' end
    from due d, budget b
    where l.account_id = ${accountId} and l.payment_number_id = ${numberId} and l.ticket_number = d.ticket_number`.execute(
    trx,
  );
}

/**
 * Opens the reversal's exception for the payment (or adds to it when one is there), and notes the
 * reversal on the payment's other exceptions (a short payment reversed is no longer short).
 */
export async function openReversalException(
  trx: Executor,
  accountId: bigint,
  e: { paymentId: bigint; paymentNumberId: bigint | null; details: Record<string, unknown> },
): Promise<void> {
  await sql`
    update exceptions set details = details || jsonb_build_object('reversal', ${toJsonb(e.details)}::jsonb)
    where account_id = ${accountId} and payment_id = ${e.paymentId} and kind <> 'payment_reversed'`.execute(
    trx,
  );
  await sql`
    insert into exceptions (account_id, kind, payment_id, payment_number_id, details)
    values (${accountId}, 'payment_reversed', ${e.paymentId}, ${e.paymentNumberId}, ${toJsonb(e.details)})
    on conflict (account_id, payment_id, kind) where payment_id is not null
    do update set details = exceptions.details || excluded.details, status = 'open', resolved_at = null,
                  resolved_by = null, resolution = null, resolution_note = null`.execute(trx);
}
