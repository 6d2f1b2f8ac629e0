import { sql } from 'kysely';
import { toJsonb } from '../db/json.ts';
import type { Executor } from '../db/tenant.ts';

/** How a payment matched its number: the column's values, the API's filter and its answers. */
export const paymentOutcomes = [
  'matched',
  'short',
  'over',
  'unknown_number',
  'superseded_number',
  'expired_number',
  'duplicate',
] as const;
export type PaymentOutcome = (typeof paymentOutcomes)[number];

export interface NewPayment {
  network: 'generic' | 'efawateercom' | 'fawry' | 'settlement_file';
  transactionId: string;
  source: 'notification' | 'settlement_file';
  reference: string;
  paymentNumberId: bigint | null;
  amountMinor: bigint;
  feeMinor: bigint;
  currency: string;
  paidAt: Date;
  settledOn: string | null;
  channel: string | null;
  outcome: PaymentOutcome;
  /** The number as the payment found it, when it names one in its currency. */
  numberSeen: { state: string; totalMinor: bigint; paidBeforeMinor: bigint } | null;
  /** What of the evidence no column says (see payment_evidence(), sql/0151). */
  evidence: Record<string, unknown>;
}

/** Records a payment once per network transaction id; undefined when that transaction is already recorded. */
export async function insertPayment(trx: Executor, accountId: bigint, p: NewPayment) {
  const { rows } = await sql<{ id: bigint }>`
    insert into payments (account_id, network, transaction_id, source, reference, payment_number_id, amount_minor,
                          fee_minor, currency, paid_at, settled_on, channel, outcome, number_state,
                          number_total_minor, paid_before_minor, evidence)
    values (${accountId}, ${p.network}, ${p.transactionId}, ${p.source}, ${p.reference}, ${p.paymentNumberId},
            ${p.amountMinor}, ${p.feeMinor}, ${p.currency}, ${p.paidAt}, ${p.settledOn}, ${p.channel}, ${p.outcome},
            ${p.numberSeen?.state ?? null}, ${p.numberSeen?.totalMinor ?? null}, ${p.numberSeen?.paidBeforeMinor ?? null},
            ${toJsonb(p.evidence)})
    on conflict (account_id, network, transaction_id) do nothing
    returning id`.execute(trx);
  return rows[0]?.id;
}

export const paymentColumns = sql`p.id, p.network, p.transaction_id, p.source, p.reference, p.amount_minor, p.fee_minor,
  p.currency, p.paid_at, p.settled_on, p.channel, p.outcome, p.received_at, payment_evidence(p) as evidence, p.reversed_at,
  (select n.number from payment_numbers n where n.account_id = p.account_id and n.id = p.payment_number_id) as number`;

export interface PaymentRow {
  id: bigint;
  network: string;
  transaction_id: string;
  source: string;
  reference: string;
  amount_minor: bigint;
  fee_minor: bigint;
  currency: string;
  paid_at: Date;
  settled_on: Date | null;
  channel: string | null;
  outcome: PaymentOutcome;
  received_at: Date;
  evidence: unknown;
  reversed_at: Date | null;
  number: string | null;
}

export async function findPaymentByTransaction(
  trx: Executor,
  accountId: bigint,
  network: string,
  transactionId: string,
) {
  const { rows } = await sql<PaymentRow>`
    select ${paymentColumns} from payments p
    where p.account_id = ${accountId} and p.network = ${network} and p.transaction_id = ${transactionId}`.execute(
    trx,
  );
  return rows[0];
}

export async function listPayments(
  trx: Executor,
  accountId: bigint,
  filter: { outcome?: string; number?: string; after?: bigint; limit: number },
) {
  const { rows } = await sql<PaymentRow>`
    select ${paymentColumns} from payments p
    where p.account_id = ${accountId}
      ${filter.outcome ? sql`and p.outcome = ${filter.outcome}` : sql``}
      ${filter.number ? sql`and p.reference = ${filter.number}` : sql``}
      ${filter.after !== undefined ? sql`and p.id < ${filter.after}` : sql``}
    order by p.id desc limit ${filter.limit + 1}`.execute(trx);
  return rows;
}

/** A number as a payment finds it, locked until the payment is recorded. */
export async function lockNumberForPayment(trx: Executor, accountId: bigint, number: string) {
  const { rows } = await sql<{
    id: bigint;
    state: string;
    total_minor: bigint;
    paid_minor: bigint;
    expires_at: Date;
    currency: string;
  }>`
    select id, state, total_minor, paid_minor, expires_at, currency from payment_numbers
    where account_id = ${accountId} and number = ${number} for update`.execute(trx);
  return rows[0];
}

export async function unpaidLines(trx: Executor, accountId: bigint, numberId: bigint) {
  const { rows } = await sql<{
    ticket_number: string;
    offence_at: Date;
    amount_minor: bigint;
    paid_minor: bigint;
  }>`
    select ticket_number, offence_at, amount_minor, paid_minor from payment_number_lines
    where account_id = ${accountId} and payment_number_id = ${numberId} and state = 'open'`.execute(trx);
  return rows;
}

/** Adds a payment to a number: its paid amount and state, and each line's share (paid in full → paid_pending). */
export async function applyPaymentToNumber(
  trx: Executor,
  accountId: bigint,
  numberId: bigint,
  payment: { amountMinor: bigint; state: 'paid' | 'partially_paid'; at: Date },
  allocations: ReadonlyArray<{ ticketNumber: string; paidMinor: bigint }>,
): Promise<void> {
  await sql`
    update payment_numbers set paid_minor = paid_minor + ${payment.amountMinor}, state = ${payment.state},
                               state_changed_at = ${payment.at}
    where account_id = ${accountId} and id = ${numberId}`.execute(trx);
  const given = allocations.filter((a) => a.paidMinor > 0n);
  if (given.length === 0) return;
  const { rows: lines } = await sql<{ ticket_number: string; state: string }>`
    update payment_number_lines l
    set paid_minor = l.paid_minor + a.paid,
        state = case when l.paid_minor + a.paid >= l.amount_minor then 'paid_pending' else 'open' end
    from unnest(${given.map((a) => a.ticketNumber)}::text[], ${given.map((a) => a.paidMinor)}::bigint[]) as a(ticket, paid)
    where l.account_id = ${accountId} and l.payment_number_id = ${numberId} and l.ticket_number = a.ticket
    returning l.ticket_number, l.state`.execute(trx);
  // Other open numbers asking for a line now paid would have it paid twice: they are superseded.
  // They are found from the tickets this payment paid (a line paid before superseded its others
  // then, and no number is issued for a paid line), through the lines' ticket index.
  const paid = lines.filter((l) => l.state === 'paid_pending').map((l) => l.ticket_number);
  if (paid.length === 0) return;
  await sql`
    update payment_numbers p set state = 'superseded', state_changed_at = ${payment.at}
    where p.account_id = ${accountId} and p.state = 'open' and p.id <> ${numberId}
      and p.id in (select other.payment_number_id from payment_number_lines other
                   where other.account_id = ${accountId} and other.ticket_number = any(${paid}::text[]))`.execute(
    trx,
  );
}

export async function insertPaymentException(
  trx: Executor,
  accountId: bigint,
  e: { kind: string; paymentId: bigint; paymentNumberId: bigint | null; details: Record<string, unknown> },
): Promise<void> {
  await sql`
    insert into exceptions (account_id, kind, payment_id, payment_number_id, details)
    values (${accountId}, ${e.kind}, ${e.paymentId}, ${e.paymentNumberId}, ${toJsonb(e.details)})
    on conflict do nothing`.execute(trx);
}

/** Lines paid through us that a run has now seen settled at the authority are confirmed. */
export async function confirmSettledLines(trx: Executor, accountId: bigint): Promise<number> {
  const result = await sql`
    update payment_number_lines l set state = 'confirmed'
    from violations v
    where l.account_id = ${accountId} and l.state = 'paid_pending'
      and v.account_id = l.account_id and v.ticket_number = l.ticket_number and v.state = 'settled'`.execute(
    trx,
  );
  return Number(result.numAffectedRows ?? 0n);
}

/** Numbers paid more than `days` ago with a line still outstanding at the authority: one exception each. */
export async function flagPaidStillOutstanding(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  now: Date,
  days: number,
): Promise<number> {
  const result = await sql`
    insert into exceptions (account_id, kind, run_id, payment_number_id, details)
    select ${accountId}, 'paid_still_outstanding', ${runId}, p.id,
           jsonb_build_object('number', p.number, 'paidAt', p.state_changed_at, 'days', ${days}::int,
                              'tickets', array_agg(l.ticket_number order by l.ticket_number))
    from payment_numbers p
    join payment_number_lines l on l.account_id = p.account_id and l.payment_number_id = p.id and l.state = 'paid_pending'
    join violations v on v.account_id = l.account_id and v.ticket_number = l.ticket_number and v.state = 'outstanding'
    where p.account_id = ${accountId} and p.state in ('paid', 'partially_paid')
      and p.state_changed_at <= ${now}::timestamptz - make_interval(days => ${days}::int)
    group by p.id, p.number, p.state_changed_at
    on conflict do nothing`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

/** Violations this run saw settled that no payment of ours covered: one exception for the run, listing them. */
export async function flagSettledWithoutPayment(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with unpaid as (
      select c.ticket_number, c.amount_minor from run_changes c
      where c.account_id = ${accountId} and c.run_id = ${runId} and c.change = 'settled' and not c.held
        and not exists (select 1 from payment_number_lines l
                        where l.account_id = c.account_id and l.ticket_number = c.ticket_number
                          and l.state in ('paid_pending', 'confirmed'))
    ), flagged as (
      insert into exceptions (account_id, kind, run_id, details)
      select ${accountId}, 'settled_without_payment', ${runId},
             jsonb_build_object('violations', count(*), 'amountMinor', sum(amount_minor)::text,
                                'tickets', (array_agg(ticket_number order by ticket_number))[1:1000])
      from unpaid having count(*) > 0
      on conflict do nothing
      returning 1
    )
    select count(*)::int as n from flagged`.execute(trx);
  return rows[0]!.n;
}

export async function currentSecrets(trx: Executor, accountId: bigint, network: string, now: Date) {
  const { rows } = await sql<{ id: bigint; secret: string }>`
    select id, secret from payment_network_secrets
    where account_id = ${accountId} and network = ${network} and (valid_until is null or valid_until > ${now})
    order by id desc`.execute(trx);
  return rows;
}

/** A secret stored in plain text (before sealing) replaced by its sealed form. */
export async function resealSecret(trx: Executor, accountId: bigint, id: bigint, sealed: string) {
  await sql`update payment_network_secrets set secret = ${sealed}
            where account_id = ${accountId} and id = ${id}`.execute(trx);
}

/** A new secret for a network; the ones in use stay valid for `overlapSeconds` more. */
export async function rotateSecret(
  trx: Executor,
  accountId: bigint,
  network: string,
  secret: string,
  now: Date,
  overlapSeconds: number,
) {
  await sql`
    update payment_network_secrets set valid_until = ${now}::timestamptz + make_interval(secs => ${overlapSeconds}::int)
    where account_id = ${accountId} and network = ${network} and (valid_until is null or valid_until > ${now})`.execute(
    trx,
  );
  await sql`insert into payment_network_secrets (account_id, network, secret, created_at)
            values (${accountId}, ${network}, ${secret}, ${now})`.execute(trx);
}

/** Remembers a signature; false when it was seen before (a replay). */
export async function rememberSignature(
  trx: Executor,
  accountId: bigint,
  network: string,
  signature: string,
) {
  const { rows } = await sql<{ ok: number }>`
    insert into payment_notifications_seen (account_id, network, signature) values (${accountId}, ${network}, ${signature})
    on conflict do nothing returning 1 as ok`.execute(trx);
  return rows.length > 0;
}
