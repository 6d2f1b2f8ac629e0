import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  currencies as serverCurrencies,
  formatMinor as serverFormat,
  parseMajor as serverParse,
} from '../../server/money/money.ts';
import { type CurrencyCode, formatMinor, parseMajor, sumMinor } from '../../web/src/money.ts';

// The browser's money formatting mirrors the server's (which cannot ship to browsers): the same
// text for every amount, currency, language and digits.
describe('web money formatting', () => {
  it('says every amount exactly as the server does', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.constantFrom<CurrencyCode>('JOD', 'IQD', 'EGP'),
        fc.constantFrom<'ar' | 'en'>('ar', 'en'),
        fc.constantFrom<'latn' | 'arab'>('latn', 'arab'),
        fc.boolean(),
        (amount, code, locale, digits, withCurrency) => {
          expect(formatMinor(amount.toString(), code, { locale, digits, withCurrency })).toBe(
            serverFormat(amount, serverCurrencies[code], { locale, digits, withCurrency }),
          );
        },
      ),
    );
  });

  it('shows each currency with its display decimals, from minor units, never a float', () => {
    expect(formatMinor('9007199254740993123', 'JOD', { locale: 'en' })).toBe('9,007,199,254,740,993.123');
    expect(formatMinor('45500', 'IQD', { locale: 'en', withCurrency: true })).toMatch(/^IQD\s46$/);
    expect(formatMinor('1250', 'EGP', { locale: 'ar', digits: 'arab' })).toBe('١٢٫٥٠');
    expect(sumMinor(['9007199254740993', '1'])).toBe(9007199254740994n);
  });

  it('reads typed amounts as the server does', () => {
    for (const text of ['45', '45.5', '٤٥٫٥', '0.001', '1,000', '-1', '45.0001', '']) {
      for (const code of ['JOD', 'IQD', 'EGP'] as const) {
        expect(parseMajor(text, code), `${text} ${code}`).toBe(
          serverParse(text, serverCurrencies[code].minorUnits),
        );
      }
    }
  });
});
