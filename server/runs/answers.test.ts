import { describe, expect, it } from 'vitest';
import type { AuthorityViolation, PlateLookup } from '../authority/contract.ts';
import { foldBatchAnswers, outsideMembership, type PendingLookup } from './answers.ts';

const joined = new Date('2026-03-01T00:00:00+03:00');
const lookup = (vehicleId: bigint, plateKey: string): PendingLookup => ({
  vehicleId,
  plateKey,
  activeFrom: joined,
  earlierPeriods: [],
});
const fine = (ticketNumber: string, over: Partial<AuthorityViolation> = {}): AuthorityViolation => ({
  ticketNumber,
  offenceAt: '2026-04-02T08:15:00+03:00',
  typeCode: 'SPD',
  descriptionAr: 'تجاوز السرعة',
  descriptionEn: 'Speeding',
  location: 'Amman',
  amountMinor: 20_000n,
  currency: 'JOD',
  status: 'unpaid',
  authorityPaymentRef: null,
  ...over,
});
const ok = (...violations: AuthorityViolation[]): PlateLookup => ({ status: 'ok', violations });

describe('foldBatchAnswers', () => {
  it('counts what each ok answer said: violations listed, outstanding ones and their amount', () => {
    const { outcomes, violations } = foldBatchAnswers(
      [lookup(1n, 'JO:1-1')],
      new Map([
        [
          'JO:1-1',
          ok(
            fine('A', { amountMinor: 20_000n }),
            fine('B', { amountMinor: 35_500n, status: 'under_objection' }),
            fine('C', { amountMinor: 10_000n, status: 'paid' }),
            fine('D', { amountMinor: 5_000n, status: 'cancelled' }),
          ),
        ],
      ]),
    );
    expect(outcomes).toEqual([
      {
        vehicleId: 1n,
        status: 'ok',
        attempts: 1,
        lastError: null,
        answered: { violations: 4, outstanding: 2, outstandingMinor: 55_500n },
      },
    ]);
    expect(violations.map((v) => v.ticketNumber)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('fails a plate the client gave no answer for, and keeps failures and not-found apart', () => {
    const { outcomes, violations } = foldBatchAnswers(
      [lookup(3n, 'JO:1-3'), lookup(1n, 'JO:1-1'), lookup(2n, 'JO:1-2')],
      new Map<string, PlateLookup>([
        ['JO:1-1', { status: 'failed', attempts: 4, lastError: 'HTTP 503' }],
        ['JO:1-2', { status: 'not_found' }],
      ]),
    );
    expect(outcomes).toEqual([
      { vehicleId: 1n, status: 'failed', attempts: 4, lastError: 'HTTP 503', answered: null },
      { vehicleId: 2n, status: 'not_found', attempts: 1, lastError: null, answered: null },
      {
        vehicleId: 3n,
        status: 'failed',
        attempts: 0,
        lastError: 'the authority client gave no answer for this plate',
        answered: null,
      },
    ]);
    expect(violations).toEqual([]);
  });

  it('keeps a ticket listed for two plates once, by the lowest vehicle id, and names the other', () => {
    const answers = new Map([
      ['JO:1-9', ok(fine('X', { amountMinor: 1n }), fine('Y'))],
      ['JO:1-4', ok(fine('X', { amountMinor: 2n }))],
      ['JO:1-7', ok(fine('X', { amountMinor: 3n }))],
    ]);
    const { outcomes, violations } = foldBatchAnswers(
      [lookup(9n, 'JO:1-9'), lookup(4n, 'JO:1-4'), lookup(7n, 'JO:1-7')],
      answers,
    );
    const x = violations.find((v) => v.ticketNumber === 'X')!;
    expect(x).toMatchObject({ vehicleId: 4n, otherVehicleIds: [7n, 9n], amountMinor: 2n });
    expect(violations.find((v) => v.ticketNumber === 'Y')).toMatchObject({
      vehicleId: 9n,
      otherVehicleIds: [],
    });
    // Each plate's own answer still counts the ticket: that is what the authority said for it.
    expect(outcomes.map((o) => o.answered?.violations)).toEqual([1, 1, 2]);
  });

  it('flags a fine dated before its vehicle joined the fleet as pre-acquisition', () => {
    const { violations } = foldBatchAnswers(
      [lookup(1n, 'JO:1-1')],
      new Map([
        [
          'JO:1-1',
          ok(
            fine('OLD', { offenceAt: '2026-02-28T23:59:59+03:00' }),
            fine('NEW', { offenceAt: '2026-03-01T00:00:00+03:00' }),
          ),
        ],
      ]),
    );
    expect(Object.fromEntries(violations.map((v) => [v.ticketNumber, v.preAcquisition]))).toEqual({
      OLD: true,
      NEW: false,
    });
  });
});

describe('outsideMembership', () => {
  const readded: PendingLookup = {
    ...lookup(1n, 'JO:1-1'),
    earlierPeriods: [{ from: new Date('2025-01-01T00:00:00Z'), until: new Date('2025-06-01T00:00:00Z') }],
  };
  const at = (iso: string) => Date.parse(iso);
  it('flags a fine from before the vehicle first joined, or from a gap between its periods', () => {
    expect(outsideMembership(readded, at('2024-12-31T23:00:00Z'))).toBe(true);
    expect(outsideMembership(readded, at('2025-09-01T00:00:00Z'))).toBe(true);
  });
  it('does not flag a fine from an earlier period of a re-added vehicle, nor from the current one', () => {
    expect(outsideMembership(readded, at('2025-03-01T00:00:00Z'))).toBe(false);
    expect(outsideMembership(readded, at('2026-04-01T00:00:00Z'))).toBe(false);
  });
});
