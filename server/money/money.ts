/**
 * Money in ISO 4217 minor units, as bigint: parse what people and files write, format for people,
 * scale by a rational rate, add up lines. Pure; no float ever holds an amount.
 */
import assert from 'node:assert/strict';

export interface Currency {
  code: 'JOD' | 'IQD' | 'EGP';
  /** ISO 4217 minor units (JOD 3, IQD 3, EGP 2). */
  minorUnits: number;
  /** Decimals shown to people (IQD is kept in fils but shown as whole dinars). */
  displayDecimals: number;
}

export const currencies: Record<Currency['code'], Currency> = {
  JOD: { code: 'JOD', minorUnits: 3, displayDecimals: 3 },
  IQD: { code: 'IQD', minorUnits: 3, displayDecimals: 0 },
  EGP: { code: 'EGP', minorUnits: 2, displayDecimals: 2 },
};

/** Arabic-Indic (U+0660…) and Eastern Arabic-Indic (U+06F0…) digits, read as 0–9. */
function westernDigits(text: string): string {
  return text.replace(/[\u0660-\u0669\u06F0-\u06F9]/g, (d) => String((d.codePointAt(0)! - 0x0660) % 0x90));
}

/**
 * Major-unit text as written ("45.000", "45", "٤٥٫٥") to minor units, exactly. Undefined for
 * anything else: a sign, thousands separators, more decimals than the currency has, exponents.
 */
export function parseMajor(text: string, minorUnits: number): bigint | undefined {
  const normal = westernDigits(text.trim()).replace('\u066B', '.');
  const match = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(normal);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > minorUnits) return undefined;
  return BigInt(match[1]! + fraction.padEnd(minorUnits, '0'));
}

/** Minor units as exact major-unit text with all the currency's minor digits: 45000n → "45.000". */
export function minorToMajorText(amount: bigint, minorUnits: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(minorUnits + 1, '0');
  const whole = digits.slice(0, digits.length - minorUnits);
  const fraction = digits.slice(digits.length - minorUnits);
  return `${negative ? '-' : ''}${whole}${minorUnits > 0 ? `.${fraction}` : ''}`;
}

export interface FormatOptions {
  locale: 'ar' | 'en';
  /** `arab` for Arabic-Indic digits; Western digits otherwise. */
  digits?: 'latn' | 'arab';
  /** Append the currency (symbol per locale); the bare number otherwise. */
  withCurrency?: boolean;
}

const formatters = new Map<string, Intl.NumberFormat>();

/**
 * An amount for people, with the currency's display decimals. Intl formats the exact decimal
 * string (never a float); where display decimals are fewer than minor units (IQD) the shown
 * value is rounded half away from zero.
 */
export function formatMinor(amount: bigint, currency: Currency, options: FormatOptions): string {
  const key = `${currency.code}|${options.locale}|${options.digits ?? 'latn'}|${options.withCurrency ?? false}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(options.locale === 'ar' ? 'ar' : 'en', {
      ...(options.withCurrency ? { style: 'currency', currency: currency.code } : {}),
      minimumFractionDigits: currency.displayDecimals,
      maximumFractionDigits: currency.displayDecimals,
      roundingMode: 'halfExpand',
      numberingSystem: options.digits ?? 'latn',
    });
    formatters.set(key, formatter);
  }
  // Intl takes a decimal string as an exact value (ECMA-402 "Intl.NumberFormat v3").
  return formatter.format(minorToMajorText(amount, currency.minorUnits) as unknown as number);
}

export type Rounding = 'floor' | 'ceil' | 'halfUp' | 'halfEven';

export interface Rate {
  numerator: number;
  denominator: number;
}

/**
 * `amount × numerator / denominator` in integers, rounded as stated. For non-negative amounts
 * `floor` truncates, `halfUp` rounds .5 up, `halfEven` rounds .5 to the even neighbour.
 */
export function applyRate(amount: bigint, rate: Rate, rounding: Rounding): bigint {
  assert(
    Number.isSafeInteger(rate.numerator) && rate.numerator >= 0,
    `rate numerator ${rate.numerator} must be a non-negative integer`,
  );
  assert(
    Number.isSafeInteger(rate.denominator) && rate.denominator > 0,
    `rate denominator ${rate.denominator} must be a positive integer`,
  );
  const n = amount * BigInt(rate.numerator);
  const d = BigInt(rate.denominator);
  // BigInt division truncates toward zero; work out floor and the remainder from it.
  let q = n / d;
  let r = n % d;
  if (r < 0n) {
    q -= 1n;
    r += d;
  }
  if (r === 0n) return q;
  switch (rounding) {
    case 'floor':
      return q;
    case 'ceil':
      return q + 1n;
    case 'halfUp':
      return 2n * r >= d ? q + 1n : q;
    case 'halfEven':
      if (2n * r > d) return q + 1n;
      if (2n * r < d) return q;
      return q % 2n === 0n ? q : q + 1n;
  }
}

/** The total of a set of lines. */
export function sumMinor(lines: Iterable<bigint>): bigint {
  let total = 0n;
  for (const line of lines) total += line;
  return total;
}
