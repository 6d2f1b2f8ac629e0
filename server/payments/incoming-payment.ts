/** A payment as it comes in (from a network's notification or a settlement file's row), and as recorded. */
import type { PaymentOutcome } from './payments.repo.ts';

/** One transaction as a network (or a settlement file row) reports it, already validated. */
export interface IncomingPayment {
  transactionId: string;
  reference: string;
  amountMinor: bigint;
  feeMinor: bigint;
  currency: string;
  paidAt: Date;
  settledOn: string | null;
  channel: string | null;
}

export interface RecordedPayment {
  transactionId: string;
  /** `duplicate_delivery`: this transaction id was recorded before; nothing changed. */
  status: 'recorded' | 'duplicate_delivery';
  paymentId: string;
  outcome: PaymentOutcome;
}

/** A payment reported earlier that the network takes back (Fawry: REFUNDED). */
export interface IncomingReversal {
  transactionId: string;
  reversesTransactionId: string;
  at: Date;
}

export interface RecordedReversal {
  transactionId: string;
  /**
   * `reversed`: the payment is taken back; `duplicate_delivery`: it was already;
   * `unknown_payment`: no such payment of this network was recorded, nothing changed.
   */
  status: 'reversed' | 'duplicate_delivery' | 'unknown_payment';
  paymentId: string | null;
}
