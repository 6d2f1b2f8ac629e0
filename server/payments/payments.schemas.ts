import { z } from 'zod';
import { id, isoDate, minorUnits, nextCursor, timestamp } from '../http/answers.ts';
import { paymentNumberKinds } from './payment-number.ts';
import { paymentOutcomes } from './payments.repo.ts';

const outcome = z.enum(paymentOutcomes);

const paymentNumber = z.object({
  number: z.string(),
  kind: z.enum(paymentNumberKinds),
  issuer: z.enum(['authority', 'product']),
  state: z.enum(['open', 'paid', 'partially_paid', 'superseded', 'expired']),
  selection: z
    .record(z.string(), z.unknown())
    .describe('what the number pays: its scope and vehicle or tickets'),
  vehicleId: id.nullable(),
  currency: z.string(),
  lineCount: z.number().int(),
  totalMinor: minorUnits,
  paidMinor: minorUnits,
  dueNowMinor: minorUnits,
  nextDeadlineAt: timestamp.nullable(),
  totalAfterDeadlineMinor: minorUnits,
  channels: z.array(z.object({ channel: z.string(), surchargeMinor: minorUnits, totalMinor: minorUnits })),
  issuedAt: timestamp,
  expiresAt: timestamp,
  stateChangedAt: timestamp.nullable(),
  runId: id.nullable(),
});

export const issuedNumbersAnswer = z.object({
  paymentNumbers: z.array(paymentNumber),
  issued: z.number().int(),
  notPayable: z
    .array(z.string())
    .optional()
    .describe(
      'for a selection of tickets: those no number covers (not outstanding in this account, or paid already)',
    ),
  refused: z.array(
    z.object({
      lines: z.number().int(),
      code: z.string(),
      message: z
        .string()
        .describe("why the authority's number was refused (English, or the authority's own words)"),
      messageAr: z
        .string()
        .describe('the reason in Arabic, from the catalogue (as given where none words it)'),
    }),
  ),
});

export const paymentNumbersAnswer = z.object({ paymentNumbers: z.array(paymentNumber), nextCursor });

export const paymentNumberAnswer = paymentNumber.extend({
  lines: z.array(
    z.object({
      ticketNumber: z.string(),
      vehicleId: id,
      offenceAt: timestamp,
      amountMinor: minorUnits,
      nextDeadlineAt: timestamp.nullable(),
      amountAfterDeadlineMinor: minorUnits,
      state: z.string(),
      paidMinor: minorUnits,
    }),
  ),
});

export const paymentsAnswer = z.object({
  payments: z.array(
    z.object({
      id,
      network: z.string(),
      transactionId: z.string(),
      source: z.enum(['notification', 'settlement_file']),
      reference: z.string(),
      number: z.string().nullable(),
      amountMinor: minorUnits,
      feeMinor: minorUnits,
      currency: z.string(),
      paidAt: timestamp,
      settledOn: isoDate.nullable(),
      channel: z.string().nullable(),
      outcome,
      receivedAt: timestamp,
      reversedAt: timestamp.nullable(),
      evidence: z.record(z.string(), z.unknown()).describe('how the payment matched: amounts due and paid'),
    }),
  ),
  nextCursor,
});

const recorded = z.object({
  transactionId: z.string(),
  status: z.enum(['recorded', 'duplicate_delivery']),
  paymentId: id,
  outcome,
});

/** Answered per transaction, in each network's own shape. */
export const notificationAnswer = z.union([
  z.object({ results: z.array(recorded) }).describe('generic'),
  z
    .object({
      Transactions: z.array(
        z.object({
          JOEBPPSTrx: z.string(),
          ProcessDate: z.string(),
          STMTDate: z.string(),
          Result: z.object({ ErrorCode: z.number().int(), Severity: z.string(), Description: z.string() }),
        }),
      ),
    })
    .describe('efawateercom'),
  z
    .object({
      requestId: z.string(),
      statusCode: z.number().int(),
      recorded: z.union([
        recorded,
        z.object({
          transactionId: z.string(),
          status: z.enum(['reversed', 'duplicate_delivery', 'unknown_payment']),
          paymentId: id.nullable(),
        }),
        z.object({ status: z.literal('acknowledged'), orderStatus: z.string() }),
      ]),
    })
    .describe('fawry'),
]);

export const networkSecretAnswer = z.object({
  network: z.string(),
  secret: z.string().describe('shown only here'),
  previousValidForSeconds: z.number().int(),
});

export const settlementFileAnswer = z.object({
  fileName: z.string(),
  sha256: z.string(),
  rows: z.number().int(),
  recorded: z.number().int(),
  alreadyRecorded: z.number().int(),
  outcomes: z.record(z.string(), z.number().int()).describe('payments recorded, per matching outcome'),
  results: z.array(recorded),
});
