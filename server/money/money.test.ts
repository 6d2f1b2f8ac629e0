import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyRate, currencies, formatMinor, minorToMajorText, parseMajor, sumMinor } from './money.ts';

const amounts = fc.bigInt({ min: 0n, max: 10n ** 18n });
const minorUnits = fc.constantFrom(0, 2, 3);

describe('parseMajor', () => {
  it('reads major units exactly', () => {
    expect(parseMajor('45.000', 3)).toBe(45_000n);
    expect(parseMajor('45', 3)).toBe(45_000n);
    expect(parseMajor('0.5', 2)).toBe(50n);
    expect(parseMajor(' 250000 ', 3)).toBe(250_000_000n);
    expect(parseMajor('٤٥٫٥', 3)).toBe(45_500n);
    expect(parseMajor('۱۲.۰۵', 2)).toBe(1_205n);
  });

  it('refuses what is not plainly an amount', () => {
    for (const bad of ['', '-1', '+1', '1,000', '1.0001', '1e3', '01', '.5', '5.', 'NaN', '4 5', '0x10']) {
      expect(parseMajor(bad, 3), bad).toBeUndefined();
    }
  });

  it('round-trips with minorToMajorText', () => {
    fc.assert(
      fc.property(amounts, minorUnits, (amount, units) => {
        expect(parseMajor(minorToMajorText(amount, units), units)).toBe(amount);
      }),
    );
  });
});

describe('formatMinor', () => {
  it('shows each currency with its display decimals', () => {
    expect(formatMinor(1_234_500n, currencies.JOD, { locale: 'en' })).toBe('1,234.500');
    expect(formatMinor(25_000_000n, currencies.IQD, { locale: 'en' })).toBe('25,000');
    expect(formatMinor(12_050n, currencies.EGP, { locale: 'en' })).toBe('120.50');
    expect(formatMinor(12_050n, currencies.EGP, { locale: 'ar', digits: 'arab' })).toBe('١٢٠٫٥٠');
    expect(formatMinor(45_000n, currencies.JOD, { locale: 'en', withCurrency: true })).toBe(
      'JOD\u00a045.000',
    );
  });

  it('is exact beyond the range of a float', () => {
    expect(formatMinor(123_456_789_012_345_678_901n, currencies.JOD, { locale: 'en' })).toBe(
      '123,456,789,012,345,678.901',
    );
  });

  it('rounds IQD fils to whole dinars half away from zero', () => {
    expect(formatMinor(1_500n, currencies.IQD, { locale: 'en' })).toBe('2');
    expect(formatMinor(1_499n, currencies.IQD, { locale: 'en' })).toBe('1');
  });

  it('shows the same digits in Arabic-Indic as in Western form', () => {
    fc.assert(
      fc.property(
        amounts,
        fc.constantFrom(currencies.JOD, currencies.IQD, currencies.EGP),
        (amount, currency) => {
          const western = formatMinor(amount, currency, { locale: 'en' }).replaceAll(',', '');
          const eastern = formatMinor(amount, currency, { locale: 'ar', digits: 'arab' })
            .replaceAll('٬', '')
            .replace('٫', '.');
          expect(parseMajor(eastern, currency.displayDecimals)).toBe(
            parseMajor(western, currency.displayDecimals),
          );
        },
      ),
    );
  });
});

describe('applyRate', () => {
  it('rounds as stated', () => {
    expect(applyRate(1_001n, { numerator: 3, denominator: 2 }, 'floor')).toBe(1_501n);
    expect(applyRate(1_001n, { numerator: 1, denominator: 2 }, 'floor')).toBe(500n);
    expect(applyRate(1_001n, { numerator: 1, denominator: 2 }, 'ceil')).toBe(501n);
    expect(applyRate(1_001n, { numerator: 1, denominator: 2 }, 'halfUp')).toBe(501n);
    expect(applyRate(1_001n, { numerator: 1, denominator: 2 }, 'halfEven')).toBe(500n);
    expect(applyRate(1_003n, { numerator: 1, denominator: 2 }, 'halfEven')).toBe(502n);
    expect(applyRate(100n, { numerator: 105, denominator: 100 }, 'halfUp')).toBe(105n);
  });

  it('stays within one unit of the exact product, on the side its rule says', () => {
    const rates = fc.record({
      numerator: fc.integer({ min: 0, max: 1_000 }),
      denominator: fc.integer({ min: 1, max: 1_000 }),
    });
    fc.assert(
      fc.property(amounts, rates, (amount, rate) => {
        const n = amount * BigInt(rate.numerator);
        const d = BigInt(rate.denominator);
        const floor = applyRate(amount, rate, 'floor');
        const ceil = applyRate(amount, rate, 'ceil');
        expect(floor * d <= n && n < (floor + 1n) * d).toBe(true);
        expect(ceil - floor).toBe(n % d === 0n ? 0n : 1n);
        for (const rounding of ['halfUp', 'halfEven'] as const) {
          const r = applyRate(amount, rate, rounding);
          // |r − n/d| ≤ 1/2, i.e. |2·r·d − 2·n| ≤ d
          const distance = 2n * r * d - 2n * n;
          expect(distance <= d && -distance <= d).toBe(true);
        }
      }),
    );
  });

  it('refuses a rate that is not a ratio of integers', () => {
    expect(() => applyRate(1n, { numerator: 1.5, denominator: 1 }, 'floor')).toThrow(/numerator/);
    expect(() => applyRate(1n, { numerator: 1, denominator: 0 }, 'floor')).toThrow(/denominator/);
  });
});

describe('sumMinor', () => {
  it('adds up lines without loss', () => {
    fc.assert(
      fc.property(fc.array(amounts), (lines) => {
        const total = sumMinor(lines);
        expect(total - sumMinor(lines.slice(1))).toBe(lines[0] ?? 0n);
      }),
    );
  });
});
