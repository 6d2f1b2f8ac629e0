import { describe, expect, it } from 'vitest';
import { readAnswer } from './answer.ts';
import { toAuthorityViolations, type WireViolation } from './contract.ts';

const violation: WireViolation = {
  ticketNumber: 'JO-20250110-0000000001',
  offenceAt: '2025-01-10T08:15:00+03:00',
  typeCode: 'SPD',
  descriptionAr: 'تجاوز السرعة المقررة',
  descriptionEn: 'Speeding',
  location: 'عمّان - طريق المطار',
  amountMinor: '45000',
  currency: 'JOD',
  status: 'unpaid',
  authorityPaymentRef: null,
};

function answer(results: unknown[]) {
  return { jurisdiction: 'JO', asOf: '2025-01-15T00:00:00Z', results };
}

function outcomeOf(body: unknown, plate = 'JO:13-1') {
  const reading = readAnswer('JO', [plate], body);
  if (!reading.ok) return reading;
  return reading.plates.get(plate);
}

describe('readAnswer', () => {
  it('reads ok, not_found and amounts as bigint', () => {
    const reading = readAnswer(
      'JO',
      ['JO:13-1', 'JO:13-2'],
      answer([
        { plateKey: 'JO:13-1', status: 'ok', violations: [violation] },
        { plateKey: 'JO:13-2', status: 'not_found' },
      ]),
    );
    expect(reading.ok && reading.plates.get('JO:13-1')).toEqual({
      kind: 'ok',
      violations: [{ ...violation, amountMinor: 45000n }],
    });
    expect(reading.ok && reading.plates.get('JO:13-2')).toEqual({ kind: 'not_found' });
  });

  it('marks a plate missing from a partial answer for retry, never as empty', () => {
    expect(outcomeOf(answer([]))).toEqual({ kind: 'retry', problem: 'missing from a partial answer' });
  });

  it.each([
    ['a float amount', { amountMinor: 45.5 }],
    ['a numeric amount', { amountMinor: 45000 }],
    ['a decimal string amount', { amountMinor: '45.000' }],
    ['a negative amount', { amountMinor: '-1' }],
    ['a time without offset', { offenceAt: '2025-01-10T08:15:00' }],
    ['an impossible date', { offenceAt: '2025-02-30T08:15:00+03:00' }],
    ['another currency', { currency: 'IQD' }],
    ['an unknown status', { status: 'settled' }],
    ['an extra field', { discount: '0' }],
  ])('refuses a plate whose violation has %s', (_, change) => {
    const body = answer([{ plateKey: 'JO:13-1', status: 'ok', violations: [{ ...violation, ...change }] }]);
    expect(outcomeOf(body)).toMatchObject({ kind: 'retry' });
  });

  it('refuses a ticket listed twice, and `violations` that is not a list', () => {
    expect(
      outcomeOf(answer([{ plateKey: 'JO:13-1', status: 'ok', violations: [violation, violation] }])),
    ).toMatchObject({
      kind: 'retry',
    });
    expect(outcomeOf(answer([{ plateKey: 'JO:13-1', status: 'ok', violations: null }]))).toMatchObject({
      kind: 'retry',
    });
  });

  it('turns an authority error for a plate into a retry', () => {
    const body = answer([{ plateKey: 'JO:13-1', status: 'error', code: 'busy', message: 'try later' }]);
    expect(outcomeOf(body)).toEqual({ kind: 'retry', problem: 'authority error busy: try later' });
  });

  it('refuses the whole answer when plates may be crossed or the envelope is wrong', () => {
    const ok = { plateKey: 'JO:13-1', status: 'ok', violations: [] };
    expect(outcomeOf(answer([ok, ok]))).toMatchObject({ ok: false });
    expect(outcomeOf(answer([{ ...ok, plateKey: 'JO:13-9' }]))).toMatchObject({ ok: false });
    expect(outcomeOf({ ...answer([ok]), jurisdiction: 'EG' })).toMatchObject({ ok: false });
    expect(outcomeOf({ results: [ok] })).toMatchObject({ ok: false });
    expect(outcomeOf('<html>')).toMatchObject({ ok: false });
  });

  it('reads an empty ok answer as no violations', () => {
    expect(outcomeOf(answer([{ plateKey: 'JO:13-1', status: 'ok', violations: [] }]))).toEqual({
      kind: 'ok',
      violations: [],
    });
  });
});

describe('readAnswer refuses what the database would refuse or no authority would say', () => {
  it.each([
    ['a NUL in a description', { descriptionEn: 'Speed\u0000ing' }, /descriptionEn has a control character/],
    [
      'a control character in the ticket number',
      { ticketNumber: 'JO-1\u001b' },
      /ticketNumber has a control/,
    ],
    ['a year-0 offence', { offenceAt: '0000-01-01T00:00:00Z' }, /not a plausible date/],
    ['an offence before 1980', { offenceAt: '1969-12-31T23:00:00+00:00' }, /not a plausible date/],
    ['an offence after the answer', { offenceAt: '9999-12-31T23:59:59Z' }, /after the answer's time/],
  ])('%s fails that plate (retried, then failed), not the answer', (_, over, problem) => {
    const outcome = outcomeOf(
      answer([{ plateKey: 'JO:13-1', status: 'ok', violations: [{ ...violation, ...over }] }]),
    );
    expect(outcome).toMatchObject({ kind: 'retry', problem: expect.stringMatching(problem) });
  });

  it('keeps line breaks and tabs in free text', () => {
    const outcome = outcomeOf(
      answer([
        {
          plateKey: 'JO:13-1',
          status: 'ok',
          violations: [{ ...violation, location: 'Amman\n\tAirport Rd' }],
        },
      ]),
    );
    expect(outcome).toMatchObject({ kind: 'ok' });
  });
});

describe('control characters in an answer', () => {
  const refused = (over: Partial<WireViolation>) =>
    !toAuthorityViolations('JO', [{ ...violation, ...over }], new Date('2025-01-15T00:00:00Z')).ok;

  it('are exactly Unicode Cc in identifiers, and Cc but tab and line breaks in free text', () => {
    // Every Cc code point is below U+00A0; the rest checks neighbours and look-alikes (line and
    // paragraph separators, a byte-order mark, a lone surrogate).
    const codes = [...Array.from({ length: 0x800 }, (_, c) => c), 0x2028, 0x2029, 0xfeff, 0xd800, 0xfffd];
    for (const c of codes) {
      const char = String.fromCharCode(c);
      const control = /\p{Cc}/u.test(char);
      expect(refused({ typeCode: `S${char}D` }), `U+${c.toString(16)} in typeCode`).toBe(control);
      const breaks = char === '\t' || char === '\n' || char === '\r';
      expect(refused({ location: `A${char}B` }), `U+${c.toString(16)} in location`).toBe(control && !breaks);
    }
    // An astral character (a surrogate pair) is text, not control.
    expect(refused({ descriptionEn: 'Speeding 🚗' })).toBe(false);
  });
});
