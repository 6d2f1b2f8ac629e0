/**
 * Money for people, from minor-unit strings, never through a float: the same rules as
 * server/money/money.ts's formatMinor (which imports node:assert and so cannot ship to browsers);
 * test/web/money.test.ts checks both give the same text.
 */
import { toAsciiDigits } from '../../server/sheets/normalise.ts';

export type CurrencyCode = 'JOD' | 'IQD' | 'EGP';

export const currencies: Record<CurrencyCode, { minorUnits: number; displayDecimals: number }> = {
  JOD: { minorUnits: 3, displayDecimals: 3 },
  IQD: { minorUnits: 3, displayDecimals: 0 },
  EGP: { minorUnits: 2, displayDecimals: 2 },
};

export function minorToMajorText(amount: bigint, minorUnits: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(minorUnits + 1, '0');
  const whole = digits.slice(0, digits.length - minorUnits);
  const fraction = digits.slice(digits.length - minorUnits);
  return `${negative ? '-' : ''}${whole}${minorUnits > 0 ? `.${fraction}` : ''}`;
}

const formatters = new Map<string, Intl.NumberFormat>();

export function formatMinor(
  amountMinor: string | bigint,
  code: CurrencyCode,
  options: { locale: 'ar' | 'en'; digits?: 'latn' | 'arab'; withCurrency?: boolean },
): string {
  const currency = currencies[code];
  const key = `${code}|${options.locale}|${options.digits ?? 'latn'}|${options.withCurrency ?? false}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(options.locale, {
      ...(options.withCurrency ? { style: 'currency', currency: code } : {}),
      minimumFractionDigits: currency.displayDecimals,
      maximumFractionDigits: currency.displayDecimals,
      roundingMode: 'halfExpand',
      numberingSystem: options.digits ?? 'latn',
    } as Intl.NumberFormatOptions);
    formatters.set(key, formatter);
  }
  const amount = typeof amountMinor === 'bigint' ? amountMinor : BigInt(amountMinor);
  // Intl takes a decimal string as an exact value (ECMA-402 "Intl.NumberFormat v3").
  return formatter.format(minorToMajorText(amount, currency.minorUnits) as unknown as number);
}

/** Sum of minor-unit strings, exactly. */
export function sumMinor(values: Array<string | bigint>): bigint {
  return values.reduce<bigint>((sum, v) => sum + (typeof v === 'bigint' ? v : BigInt(v)), 0n);
}

/** Major-unit text as people type it ("45.5", "٤٥٫٥") to minor units, exactly; undefined if not an amount. */
export function parseMajor(text: string, code: CurrencyCode): bigint | undefined {
  const { minorUnits } = currencies[code];
  const normal = toAsciiDigits(text.trim()).replace('\u066B', '.');
  const match = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(normal);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > minorUnits) return undefined;
  return BigInt(match[1]! + fraction.padEnd(minorUnits, '0'));
}
