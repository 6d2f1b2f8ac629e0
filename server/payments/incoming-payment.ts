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
