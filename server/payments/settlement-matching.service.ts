import { withoutNestedLoops } from '../db/planner.ts';
import type { Tx } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { bilingual } from '../i18n/messages.ts';
import { readPaymentNumber } from './payment-number.ts';
import type { NewPayment } from './payments.repo.ts';
import { type IncomingPayment, type RecordedPayment, recordPayments } from './payments.service.ts';
import {
  entangledOrdinals,
  isRecordedMeanwhile,
  recordClassifiedPayments,
  stageAndClassifyPayments,
} from './settlement-matching.repo.ts';

/**
 * Records and matches a whole batch of payments (a settlement file) set-based, in the caller's
 * transaction, with the outcomes matching them one by one in batch order would give (see
 * `recordPayments`): staged with COPY, classified in one pass, written and applied with a few
 * statements. Payments whose numbers share lines with another number of the batch depend on each
 * other's order and go through `recordPayments` one by one; so does a batch that repeats a
 * transaction id (a settlement file never does: its validation refuses it).
 */
export async function recordPaymentBatch(
  trx: Tx,
  accountId: bigint,
  network: NewPayment['network'],
  source: NewPayment['source'],
  payments: readonly IncomingPayment[],
): Promise<RecordedPayment[]> {
  if (new Set(payments.map((p) => p.transactionId)).size !== payments.length)
    return recordPayments(trx, accountId, network, source, payments);
  await withoutNestedLoops(trx, () =>
    stageAndClassifyPayments(
      trx,
      accountId,
      network,
      payments.map((p, ordinal) => {
        const reading = readPaymentNumber(p.reference);
        return {
          ordinal,
          transactionId: p.transactionId,
          reference: reading.ok ? reading.number : p.reference,
          number: reading.ok ? reading.number : null,
          referenceProblem: reading.ok ? null : reading.problem,
          amountMinor: p.amountMinor,
          feeMinor: p.feeMinor,
          currency: p.currency,
          paidAt: p.paidAt,
          settledOn: p.settledOn,
          channel: p.channel,
        };
      }),
    ),
  );
  // Batch-sized joins of freshly staged rows: nested loops over them would be quadratic.
  const { entangled, classified } = await withoutNestedLoops(trx, async () => {
    const entangled = await entangledOrdinals(trx, accountId);
    return {
      entangled,
      classified: await recordClassifiedPayments(trx, accountId, network, source, entangled),
    };
  }).catch((error: unknown) => {
    if (!isRecordedMeanwhile(error)) throw error;
    throw new DomainError(
      'payments.concurrent_delivery',
      bilingual('payments.settlement_concurrent_delivery'),
      { status: 409, cause: error },
    );
  });
  const results: RecordedPayment[] = new Array(payments.length);
  for (const row of classified) {
    results[row.ordinal] =
      row.seen_id !== null
        ? {
            transactionId: row.transaction_id,
            status: 'duplicate_delivery',
            paymentId: row.seen_id.toString(),
            outcome: row.seen_outcome!,
          }
        : {
            transactionId: row.transaction_id,
            status: 'recorded',
            paymentId: row.payment_id!.toString(),
            outcome: row.outcome,
          };
  }
  if (entangled.length > 0) {
    const oneByOne = await recordPayments(
      trx,
      accountId,
      network,
      source,
      entangled.map((ordinal) => payments[ordinal]!),
    );
    entangled.forEach((ordinal, i) => {
      results[ordinal] = oneByOne[i]!;
    });
  }
  return results;
}
