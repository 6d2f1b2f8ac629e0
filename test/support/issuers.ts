import type { AuthorityIssuer } from '../../server/authority/issuance-client.ts';
import { composePaymentNumber } from '../../server/payments/payment-number.ts';

/**
 * An authority that issues at once: numbers composed in sequence, the same number for the same
 * key (the real call is idempotent per key), each expiring at `expiresAt()` (far off by default,
 * so the lines' deadlines decide).
 */
export function instantIssuer(
  expiresAt: () => Date = () => new Date('2099-01-01T00:00:00Z'),
): AuthorityIssuer {
  const byKey = new Map<string, string>();
  let serial = 0n;
  return {
    async issue(_jurisdiction, items) {
      return new Map(
        items.map((item) => {
          let number = byKey.get(item.key);
          if (!number) {
            serial += 1n;
            number = composePaymentNumber(item.kind, '1', serial);
            byKey.set(item.key, number);
          }
          const amountMinor = item.tickets.reduce((s, t) => s + t.amountMinor, 0n);
          return [item.key, { status: 'issued' as const, number, amountMinor, expiresAt: expiresAt() }];
        }),
      );
    },
  };
}
