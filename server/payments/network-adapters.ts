/**
 * Inbound payment networks, one adapter each: how a delivery is authenticated, how its
 * transactions read as payments, and how the network expects to be answered.
 *   generic       HMAC-SHA256 over "<timestamp>.<raw body>" (x-payment-timestamp, x-payment-signature)
 *   efawateercom  the eFAWATEERcom / Iraqi e-bill biller message (JO, IQ): transactions with the
 *                 network's JOEBPPSTrx id, due/paid/fee amounts in 3 decimals, process and
 *                 settlement dates, channel; signed like the generic adapter; answered per transaction
 *   fawry         Fawry's status callback (EG): one reference per charge, every status change,
 *                 signed with SHA-256 over named fields plus the secret; deduplicated on
 *                 reference + status; PAID becomes a payment, REFUNDED reverses it
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { amountMinorSchema } from '../authority/contract.ts';
import { DomainError } from '../errors.ts';
import { issueDetails, schemaMessage } from '../i18n/issues.ts';
import { type Currency, currencies, minorToMajorText, parseMajor } from '../money/money.ts';
import type {
  IncomingPayment,
  IncomingReversal,
  RecordedPayment,
  RecordedReversal,
} from './incoming-payment.ts';

export const notificationNetworks = ['generic', 'efawateercom', 'fawry'] as const;
export type NotificationNetwork = (typeof notificationNetworks)[number];

/** A network taking back a payment it reported (a refund): which one, by which event, when. */
export interface ReadDelivery {
  /** Payments to record (a Fawry status other than PAID has none). */
  payments: IncomingPayment[];
  /** Payments reported earlier that the network takes back (Fawry: REFUNDED). */
  reversals?: IncomingReversal[];
  answer(results: RecordedPayment[], reversals: RecordedReversal[]): unknown;
}

const invalid = (error: z.ZodError) =>
  new DomainError('invalid_request', 'the notification does not have the network’s shape', {
    status: 400,
    details: issueDetails(error.issues),
  });

const genericSchema = z.strictObject({
  transactions: z
    .array(
      z.strictObject({
        transactionId: z.string().min(1).max(128),
        number: z.string().min(1).max(64),
        amountMinor: amountMinorSchema.refine((v) => v !== '0', schemaMessage('requests.payment_above_zero')),
        feeMinor: amountMinorSchema.default('0'),
        currency: z.enum(['JOD', 'IQD', 'EGP']),
        paidAt: z.iso.datetime({ offset: true }),
        settledOn: z.iso.date().optional(),
        channel: z.string().min(1).max(64).optional(),
      }),
    )
    .min(1)
    .max(500),
});

export function readGeneric(body: unknown): ReadDelivery {
  const parsed = genericSchema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  return {
    payments: parsed.data.transactions.map((t) => ({
      transactionId: t.transactionId,
      reference: t.number,
      amountMinor: BigInt(t.amountMinor),
      feeMinor: BigInt(t.feeMinor),
      currency: t.currency,
      paidAt: new Date(t.paidAt),
      settledOn: t.settledOn ?? null,
      channel: t.channel ?? null,
    })),
    answer: (results) => ({ results }),
  };
}

const threeDecimals = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,14})\.[0-9]{3}$/, schemaMessage('requests.three_decimals'));
const efawateerSchema = z.strictObject({
  Transactions: z
    .array(
      z.strictObject({
        JOEBPPSTrx: z.string().min(1).max(64),
        BillingNo: z.string().min(1).max(64),
        DueAmt: threeDecimals,
        PaidAmt: threeDecimals,
        FeesAmt: threeDecimals,
        ProcessDate: z.iso.datetime({ offset: true }),
        STMTDate: z.iso.date(),
        AccessChannel: z.string().min(1).max(32),
      }),
    )
    .min(1)
    .max(500),
});

/** The biller message of eFAWATEERcom and the Iraqi e-bill system: amounts in 3 decimals of the account's currency. */
export function readEfawateer(body: unknown, currency: Currency['code']): ReadDelivery {
  const parsed = efawateerSchema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  const minorUnits = currencies[currency].minorUnits;
  const payments = parsed.data.Transactions.map((t) => {
    const paid = parseMajor(t.PaidAmt, minorUnits);
    const fee = parseMajor(t.FeesAmt, minorUnits);
    if (paid === undefined || paid === 0n || fee === undefined) {
      throw new DomainError(
        'invalid_request',
        `transaction ${t.JOEBPPSTrx}: amounts must be in ${currency}`,
        {
          status: 400,
        },
      );
    }
    return {
      transactionId: t.JOEBPPSTrx,
      reference: t.BillingNo,
      amountMinor: paid,
      feeMinor: fee,
      currency,
      paidAt: new Date(t.ProcessDate),
      settledOn: t.STMTDate,
      channel: t.AccessChannel,
    };
  });
  const dates = new Map(parsed.data.Transactions.map((t) => [t.JOEBPPSTrx, t]));
  return {
    payments,
    // Answered per transaction, as the network expects: error code 0 means the biller took it.
    answer: (results) => ({
      Transactions: results.map((r) => ({
        JOEBPPSTrx: r.transactionId,
        ProcessDate: dates.get(r.transactionId)!.ProcessDate,
        STMTDate: dates.get(r.transactionId)!.STMTDate,
        Result: {
          ErrorCode: 0,
          Severity: 'Info',
          Description:
            r.status === 'duplicate_delivery' ? 'duplicate transaction, already recorded' : r.outcome,
        },
      })),
    }),
  };
}

const fawrySchema = z.strictObject({
  requestId: z.string().min(1).max(128),
  fawryRefNumber: z.string().min(1).max(64),
  merchantRefNumber: z.string().min(1).max(64),
  paymentAmount: z.string().regex(/^[0-9]{1,15}\.[0-9]{2}$/),
  orderAmount: z.string().regex(/^[0-9]{1,15}\.[0-9]{2}$/),
  orderStatus: z.enum(['NEW', 'UNPAID', 'PAID', 'EXPIRED', 'CANCELED', 'REFUNDED', 'FAILED']),
  paymentMethod: z.string().min(1).max(32),
  paymentTime: z.number().int().positive().optional(),
  paymentRefrenceNumber: z.string().max(64).optional(),
  messageSignature: z.string().regex(/^[0-9a-f]{64}$/),
});
export type FawryNotification = z.infer<typeof fawrySchema>;

/** Fawry's signature: SHA-256 (hex) of the named fields in order, then the secret. */
export function fawrySignature(
  n: Omit<FawryNotification, 'messageSignature' | 'requestId'>,
  secret: string,
): string {
  return createHash('sha256')
    .update(
      `${n.fawryRefNumber}${n.merchantRefNumber}${n.paymentAmount}${n.orderAmount}${n.orderStatus}${n.paymentMethod}${n.paymentRefrenceNumber ?? ''}${secret}`,
    )
    .digest('hex');
}

/** Checks a Fawry callback against the account's secrets; throws the refusal. */
export function readFawry(
  body: unknown,
  secrets: readonly string[],
  currency: Currency['code'],
): ReadDelivery {
  const parsed = fawrySchema.safeParse(body);
  if (!parsed.success) {
    const unsigned = typeof body !== 'object' || body === null || !('messageSignature' in body);
    if (unsigned)
      throw new DomainError('payments.unsigned', 'a Fawry callback carries messageSignature', {
        status: 401,
      });
    throw invalid(parsed.error);
  }
  const n = parsed.data;
  const given = Buffer.from(n.messageSignature);
  const signedBy = secrets.some((secret) => {
    const expected = Buffer.from(fawrySignature(n, secret));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!signedBy) {
    throw new DomainError(
      'payments.bad_signature',
      'the messageSignature matches no current secret of this account',
      {
        status: 401,
      },
    );
  }
  const minorUnits = currencies[currency].minorUnits;
  const amount = parseMajor(n.paymentAmount, minorUnits);
  const payments: IncomingPayment[] =
    n.orderStatus === 'PAID' && amount !== undefined && amount > 0n
      ? [
          {
            // Fawry notifies every status change of a reference: reference + status is one event.
            transactionId: `${n.fawryRefNumber}:${n.orderStatus}`,
            reference: n.merchantRefNumber,
            amountMinor: amount,
            feeMinor: 0n,
            currency,
            paidAt: n.paymentTime ? new Date(n.paymentTime) : new Date(),
            settledOn: null,
            channel: n.paymentMethod,
          },
        ]
      : [];
  // A refund takes back the payment this reference's PAID event made.
  const reversals =
    n.orderStatus === 'REFUNDED'
      ? [
          {
            transactionId: `${n.fawryRefNumber}:${n.orderStatus}`,
            reversesTransactionId: `${n.fawryRefNumber}:PAID`,
            at: n.paymentTime ? new Date(n.paymentTime) : new Date(),
          },
        ]
      : [];
  return {
    payments,
    reversals,
    answer: (results, reversed) => ({
      requestId: n.requestId,
      statusCode: 200,
      // Other statuses (unpaid, expired, canceled …) are acknowledged; they move no money here.
      recorded: results[0] ?? reversed[0] ?? { status: 'acknowledged', orderStatus: n.orderStatus },
    }),
  };
}

/** Major units with the currency's minor digits, as networks write them. */
export function majorText(amountMinor: bigint, currency: Currency['code']): string {
  return minorToMajorText(amountMinor, currencies[currency].minorUnits);
}
