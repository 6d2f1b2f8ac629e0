import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jurisdictions } from '../jurisdictions/profiles.ts';
import { allocateOldestFirst, channelCosts, lineDue, maxValidityEnd } from './due.ts';

const seed = 19;

describe('what to pay by when', () => {
  it('shows the escalation ahead of a Jordanian fine: double from the 30th local day', () => {
    const offence = new Date('2026-03-01T10:00:00+03:00');
    const due = lineDue(jurisdictions.JO, offence, 20_000n, new Date('2026-03-10T00:00:00Z'));
    expect(due.amountAfterDeadlineMinor).toBe(40_000n);
    expect(due.nextDeadlineAt?.toISOString()).toBe('2026-03-30T21:00:00.000Z'); // 31 March, Amman midnight
    // Past the deadline the authority's amount already includes it: nothing is ahead.
    const later = lineDue(jurisdictions.JO, offence, 40_000n, new Date('2026-04-02T00:00:00Z'));
    expect(later).toEqual({ amountMinor: 40_000n, nextDeadlineAt: null, amountAfterDeadlineMinor: 40_000n });
  });

  it("rounds Egypt's ×1.5 down to the piastre", () => {
    const due = lineDue(
      jurisdictions.EG,
      new Date('2026-03-01T10:00:00+02:00'),
      10_001n,
      new Date('2026-03-02'),
    );
    expect(due.amountAfterDeadlineMinor).toBe(15_001n);
  });

  it("charges Egypt's 5% on cash, rounded up, and nothing electronically", () => {
    expect(channelCosts(jurisdictions.EG, 10_001n)).toEqual([
      { channel: 'fawry', surchargeMinor: 0n, totalMinor: 10_001n },
      { channel: 'cash', surchargeMinor: 501n, totalMinor: 10_502n },
    ]);
  });

  it('expires a number with no deadline ahead after the maximum validity', () => {
    const issued = new Date('2026-03-10T00:00:00Z');
    expect(maxValidityEnd(jurisdictions.JO, issued).toISOString()).toBe('2026-04-09T00:00:00.000Z');
  });

  it('allocates a payment oldest line first and loses nothing', () => {
    const line = fc.record({
      offenceAt: fc.date({ min: new Date('2025-01-01'), max: new Date('2026-01-01'), noInvalidDate: true }),
      ticketNumber: fc.string({ minLength: 1, maxLength: 6 }),
      dueMinor: fc.bigInt({ min: 1n, max: 1_000_000n }),
    });
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 8 }),
        fc.bigInt({ min: 0n, max: 9_000_000n }),
        (lines, paid) => {
          const { allocations, excessMinor } = allocateOldestFirst(lines, paid);
          const given = allocations.reduce((s, a) => s + a.paidMinor, 0n);
          expect(given + excessMinor).toBe(paid);
          // A younger line gets money only when every older one is paid in full.
          const firstShort = allocations.findIndex((a) => a.paidMinor < a.line.dueMinor);
          if (firstShort >= 0)
            expect(allocations.slice(firstShort + 1).every((a) => a.paidMinor === 0n)).toBe(true);
        },
      ),
      { seed },
    );
  });
});
