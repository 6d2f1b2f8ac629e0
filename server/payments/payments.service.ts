import { randomBytes } from 'node:crypto';
import { findAccount } from '../accounts/accounts.repo.ts';
import type { Tx } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import type { Currency } from '../money/money.ts';
import { allocateOldestFirst } from './due.ts';
import type { IncomingPayment, RecordedPayment } from './incoming-payment.ts';
import {
  type NotificationNetwork,
  type ReadDelivery,
  readEfawateer,
  readFawry,
  readGeneric,
} from './network-adapters.ts';
import { readPaymentNumber } from './payment-number.ts';
import {
  applyPaymentToNumber,
  currentSecrets,
  findPaymentByTransaction,
  insertPayment,
  insertPaymentException,
  lockNumberForPayment,
  type NewPayment,
  type PaymentOutcome,
  type PaymentRow,
  rememberSignature,
  resealSecret,
  rotateSecret,
  unpaidLines,
} from './payments.repo.ts';
import { recordReversals } from './reversals.service.ts';
import { isSealed, openSecret, sealSecret } from './secret-sealing.ts';
import { checkSignature } from './signature.ts';

export type { IncomingPayment, RecordedPayment } from './incoming-payment.ts';

const exceptionKind: Record<PaymentOutcome, string | null> = {
  matched: null,
  short: 'amount_mismatch',
  over: 'amount_mismatch',
  unknown_number: 'unknown_reference',
  superseded_number: 'superseded_reference',
  expired_number: 'expired_reference',
  duplicate: 'duplicate_payment',
};

/**
 * Records payments and matches each to its number, in the caller's transaction. A transaction id
 * seen before changes nothing. An exact match marks the number paid and its lines paid-pending
 * (a later run that sees them settled confirms them); a short payment is spread over the lines
 * oldest first; every mismatch (short, over, unknown, superseded or expired number, a number paid
 * twice) is recorded with its evidence and becomes an exception for an accountant.
 */
export async function recordPayments(
  trx: Tx,
  accountId: bigint,
  network: NewPayment['network'],
  source: NewPayment['source'],
  payments: readonly IncomingPayment[],
): Promise<RecordedPayment[]> {
  const results: RecordedPayment[] = [];
  for (const incoming of payments) {
    const seen = await findPaymentByTransaction(trx, accountId, network, incoming.transactionId);
    if (seen) {
      results.push(duplicateDelivery(incoming, seen));
      continue;
    }
    const reading = readPaymentNumber(incoming.reference);
    const number = reading.ok ? await lockNumberForPayment(trx, accountId, reading.number) : undefined;
    const evidence: Record<string, unknown> = {
      network,
      source,
      transactionId: incoming.transactionId,
      reference: incoming.reference,
      amountMinor: incoming.amountMinor.toString(),
      feeMinor: incoming.feeMinor.toString(),
      paidAt: incoming.paidAt.toISOString(),
      channel: incoming.channel,
      ...(reading.ok ? {} : { referenceProblem: reading.problem }),
    };
    let outcome: PaymentOutcome;
    let applied: { state: 'paid' | 'partially_paid' } | undefined;
    if (!number || number.currency !== incoming.currency) {
      outcome = 'unknown_number';
      if (number) evidence.currencyExpected = number.currency;
    } else {
      const due = number.total_minor - number.paid_minor;
      Object.assign(evidence, {
        numberState: number.state,
        totalMinor: number.total_minor.toString(),
        paidBeforeMinor: number.paid_minor.toString(),
        dueMinor: due.toString(),
      });
      if (number.state === 'superseded') outcome = 'superseded_number';
      else if (number.state === 'paid') outcome = 'duplicate';
      else if (number.state === 'expired' || number.expires_at <= incoming.paidAt) outcome = 'expired_number';
      else {
        outcome = incoming.amountMinor === due ? 'matched' : incoming.amountMinor < due ? 'short' : 'over';
        applied = { state: incoming.amountMinor >= due ? 'paid' : 'partially_paid' };
        if (outcome !== 'matched') evidence.differenceMinor = (incoming.amountMinor - due).toString();
      }
    }
    const reference = reading.ok ? reading.number : incoming.reference;
    const paymentId = await insertPayment(trx, accountId, {
      network,
      source,
      transactionId: incoming.transactionId,
      reference,
      paymentNumberId: number?.id ?? null,
      amountMinor: incoming.amountMinor,
      feeMinor: incoming.feeMinor,
      currency: incoming.currency,
      paidAt: incoming.paidAt,
      settledOn: incoming.settledOn,
      channel: incoming.channel,
      outcome,
      numberSeen:
        number && number.currency === incoming.currency
          ? { state: number.state, totalMinor: number.total_minor, paidBeforeMinor: number.paid_minor }
          : null,
      // The rest of the evidence is the payment's columns (payment_evidence(), sql/0151).
      evidence: {
        ...(incoming.reference === reference ? {} : { reference: incoming.reference }),
        ...(reading.ok ? {} : { referenceProblem: reading.problem }),
        ...(number && number.currency !== incoming.currency ? { currencyExpected: number.currency } : {}),
      },
    });
    if (paymentId === undefined) {
      // Recorded by a concurrent delivery of the same transaction since we looked.
      results.push(
        duplicateDelivery(
          incoming,
          (await findPaymentByTransaction(trx, accountId, network, incoming.transactionId))!,
        ),
      );
      continue;
    }
    if (applied && number) {
      const lines = await unpaidLines(trx, accountId, number.id);
      const { allocations } = allocateOldestFirst(
        lines.map((l) => ({
          ticketNumber: l.ticket_number,
          offenceAt: l.offence_at,
          dueMinor: l.amount_minor - l.paid_minor,
        })),
        incoming.amountMinor,
      );
      await applyPaymentToNumber(
        trx,
        accountId,
        number.id,
        { amountMinor: incoming.amountMinor, state: applied.state, at: incoming.paidAt },
        allocations.map((a) => ({ ticketNumber: a.line.ticketNumber, paidMinor: a.paidMinor })),
      );
    }
    const kind = exceptionKind[outcome];
    if (kind) {
      await insertPaymentException(trx, accountId, {
        kind,
        paymentId,
        paymentNumberId: number?.id ?? null,
        details: { outcome, ...evidence },
      });
    }
    results.push({
      transactionId: incoming.transactionId,
      status: 'recorded',
      paymentId: paymentId.toString(),
      outcome,
    });
  }
  return results;
}

function duplicateDelivery(incoming: IncomingPayment, seen: PaymentRow): RecordedPayment {
  return {
    transactionId: incoming.transactionId,
    status: 'duplicate_delivery',
    paymentId: seen.id.toString(),
    outcome: seen.outcome,
  };
}

/**
 * Checks a signed notification against the account's current secrets and remembers its
 * signature, in the caller's transaction (so a refused call, or one whose recording fails,
 * leaves no trace). Throws the refusal: unsigned, stale, forged or replayed.
 */
export async function authenticateNotification(
  trx: Tx,
  secretsKey: Buffer | undefined,
  accountId: bigint,
  network: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: Buffer,
  now: Date,
): Promise<void> {
  const secrets = await networkSecrets(trx, secretsKey, accountId, network, now);
  const check = checkSignature(secrets, headers, rawBody, now);
  if (!check.ok) {
    throw new DomainError(`payments.${check.problem}`, signatureMessages[check.problem], { status: 401 });
  }
  if (!(await rememberSignature(trx, accountId, network, check.signature))) {
    throw new DomainError(
      'payments.replayed',
      'this signed notification was received before; it is not applied again',
      {
        status: 409,
      },
    );
  }
}

function requireSecretsKey(secretsKey: Buffer | undefined): Buffer {
  if (secretsKey) return secretsKey;
  throw new DomainError(
    'payments.secrets_key_missing',
    'payment-network secrets are sealed with SECRETS_KEY, which this server is not given',
    { status: 503 },
  );
}

/**
 * The network's secrets in force for the account, opened; one still stored in plain text (from
 * before secrets were sealed) is sealed on the way.
 */
async function networkSecrets(
  trx: Tx,
  secretsKey: Buffer | undefined,
  accountId: bigint,
  network: string,
  now: Date,
): Promise<string[]> {
  const rows = await currentSecrets(trx, accountId, network, now);
  if (rows.length === 0) return [];
  const key = requireSecretsKey(secretsKey);
  const boundTo = `${accountId}:${network}`;
  const secrets: string[] = [];
  for (const row of rows) {
    if (!isSealed(row.secret))
      await resealSecret(trx, accountId, row.id, sealSecret(key, row.secret, boundTo));
    secrets.push(openSecret(key, row.secret, boundTo));
  }
  return secrets;
}

const signatureMessages = {
  unsigned:
    'send x-payment-timestamp and x-payment-signature (v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">)',
  stale: 'x-payment-timestamp is missing, unreadable or more than 5 minutes from now',
  bad_signature: 'the signature matches no current secret of this account for this network',
} as const;

/**
 * One delivery from a payment network, in the caller's tenant transaction: authenticated as that
 * network does, read by its adapter, recorded, and answered the way it expects. A refusal throws
 * before anything is written (and the transaction takes the replay guard's row with it).
 */
export async function receiveNotification(
  trx: Tx,
  secretsKey: Buffer | undefined,
  accountId: bigint,
  network: NotificationNetwork,
  delivery: {
    headers: { timestamp: string | undefined; signature: string | undefined };
    rawBody: Buffer;
    body: unknown;
    now: Date;
  },
) {
  const account = await findAccount(trx, accountId);
  const currency = (account?.currency ?? 'JOD') as Currency['code'];
  let read: ReadDelivery;
  if (network === 'fawry') {
    read = readFawry(
      delivery.body,
      await networkSecrets(trx, secretsKey, accountId, network, delivery.now),
      currency,
    );
  } else {
    await authenticateNotification(
      trx,
      secretsKey,
      accountId,
      network,
      delivery.headers,
      delivery.rawBody,
      delivery.now,
    );
    read = network === 'generic' ? readGeneric(delivery.body) : readEfawateer(delivery.body, currency);
  }
  const recorded = await recordPayments(trx, accountId, network, 'notification', read.payments);
  const reversed = await recordReversals(trx, accountId, network, read.reversals ?? []);
  return read.answer(recorded, reversed);
}

/** A new signing secret for a network; the previous ones keep working for the overlap. */
export async function rotateNetworkSecret(
  trx: Tx,
  secretsKey: Buffer | undefined,
  accountId: bigint,
  network: string,
  now: Date,
  overlapSeconds: number,
) {
  const key = requireSecretsKey(secretsKey);
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  await rotateSecret(
    trx,
    accountId,
    network,
    sealSecret(key, secret, `${accountId}:${network}`),
    now,
    overlapSeconds,
  );
  return { network, secret, previousValidForSeconds: overlapSeconds };
}

export function presentPayment(row: PaymentRow) {
  return {
    id: row.id.toString(),
    network: row.network,
    transactionId: row.transaction_id,
    source: row.source,
    reference: row.reference,
    number: row.number,
    amountMinor: row.amount_minor.toString(),
    feeMinor: row.fee_minor.toString(),
    currency: row.currency,
    paidAt: row.paid_at,
    settledOn: row.settled_on,
    channel: row.channel,
    outcome: row.outcome,
    receivedAt: row.received_at,
    reversedAt: row.reversed_at,
    evidence: row.evidence,
  };
}
