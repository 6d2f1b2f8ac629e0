import { describe, expect, it } from 'vitest';
import { escalatedAmount, escalationDeadline } from '../jurisdictions/escalation.ts';
import { nextNightlyRun } from './dashboard.service.ts';

describe('dashboard arithmetic', () => {
  it('finds the next nightly run in the account zone, across midnight and DST', () => {
    // 01:00 in Amman (UTC+3) is before 02:00: tonight.
    expect(nextNightlyRun(new Date('2026-03-10T22:00:00Z'), 'Asia/Amman', '02:00').toISOString()).toBe(
      '2026-03-10T23:00:00.000Z',
    );
    // 03:00 in Amman is after it: tomorrow.
    expect(nextNightlyRun(new Date('2026-03-11T00:00:00Z'), 'Asia/Amman', '02:00').toISOString()).toBe(
      '2026-03-11T23:00:00.000Z',
    );
    // Cairo moves to summer time at midnight on 24 April 2026: 02:00 that night is UTC+3, not +2.
    expect(nextNightlyRun(new Date('2026-04-23T12:00:00Z'), 'Africa/Cairo', '02:00').toISOString()).toBe(
      '2026-04-23T23:00:00.000Z',
    );
  });

  it('counts escalation days from the offence’s local day', () => {
    const rule = { afterDays: 30, numerator: 2, denominator: 1 };
    // 23:30 UTC on 1 March is 2 March in Baghdad: the deadline is 1 April, local midnight.
    expect(escalationDeadline(new Date('2026-03-01T23:30:00Z'), 'Asia/Baghdad', rule).toISOString()).toBe(
      '2026-03-31T21:00:00.000Z',
    );
    expect(escalatedAmount(45_000n, rule)).toBe(90_000n);
    expect(escalatedAmount(333n, { afterDays: 60, numerator: 3, denominator: 2 })).toBe(499n);
  });
});
