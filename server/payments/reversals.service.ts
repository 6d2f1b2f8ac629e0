import type { Tx } from '../db/tenant.ts';
import type { IncomingReversal, RecordedReversal } from './incoming-payment.ts';
import {
  lockPaymentForReversal,
  markReversed,
  openReversalException,
  unapplyPayment,
} from './reversals.repo.ts';

const APPLIED = ['matched', 'short', 'over'];

/**
 * Reversals from a network, in the caller's transaction: each un-pays the payment it names (its
 * number and lines, when the payment was applied to one) and opens or updates the payment's
 * `payment_reversed` exception for an accountant. Once per payment, however often delivered.
 */
export async function recordReversals(
  trx: Tx,
  accountId: bigint,
  network: string,
  reversals: readonly IncomingReversal[],
): Promise<RecordedReversal[]> {
  const results: RecordedReversal[] = [];
  for (const reversal of reversals) {
    const payment = await lockPaymentForReversal(trx, accountId, network, reversal.reversesTransactionId);
    if (!payment) {
      results.push({ transactionId: reversal.transactionId, status: 'unknown_payment', paymentId: null });
      continue;
    }
    if (payment.reversed_at) {
      results.push({
        transactionId: reversal.transactionId,
        status: 'duplicate_delivery',
        paymentId: payment.id.toString(),
      });
      continue;
    }
    await markReversed(trx, accountId, payment.id, reversal);
    const applied = payment.payment_number_id !== null && APPLIED.includes(payment.outcome);
    if (applied)
      await unapplyPayment(trx, accountId, payment.payment_number_id!, payment.amount_minor, reversal.at);
    await openReversalException(trx, accountId, {
      paymentId: payment.id,
      paymentNumberId: payment.payment_number_id,
      details: {
        network,
        transactionId: reversal.transactionId,
        reversesTransactionId: reversal.reversesTransactionId,
        reversedAt: reversal.at.toISOString(),
        amountMinor: payment.amount_minor.toString(),
        outcome: payment.outcome,
        unpaid: applied,
      },
    });
    results.push({
      transactionId: reversal.transactionId,
      status: 'reversed',
      paymentId: payment.id.toString(),
    });
  }
  return results;
}
