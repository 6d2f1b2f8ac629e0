/**
 * Payment numbers as payers key them: numeric, a fixed length per kind, the kind in the first
 * digit, ending in two ISO 7064 MOD 97-10 check digits (the IBAN scheme: the whole number is
 * 1 modulo 97), which catch every single-digit error and every swap of two adjacent digits.
 * The second digit says who issued it: 0–8 the authority, 9 the product's own payment order.
 */
import { toAsciiDigits } from '../sheets/normalise.ts';

export const paymentNumberKinds = ['violation', 'vehicle', 'consolidated'] as const;
export type PaymentNumberKind = (typeof paymentNumberKinds)[number];

/** Length (check digits included) and leading digit of each kind. */
export const paymentNumberShape: Record<PaymentNumberKind, { length: number; lead: string }> = {
  violation: { length: 12, lead: '1' },
  vehicle: { length: 14, lead: '2' },
  consolidated: { length: 16, lead: '3' },
};

/** The second digit of the product's own payment-order references. */
export const PRODUCT_ISSUER_DIGIT = '9';

/** The remainder of a decimal string modulo 97, in chunks so no number grows past 2^53. */
export function mod97(digits: string): number {
  let remainder = 0;
  for (let i = 0; i < digits.length; i += 7) {
    remainder = Number(`${remainder}${digits.slice(i, i + 7)}`) % 97;
  }
  return remainder;
}

/** The two check digits for a body of digits (ISO 7064 MOD 97-10). */
export function checkDigits(body: string): string {
  if (!/^[0-9]+$/.test(body)) throw new Error(`check digits need digits, got ${JSON.stringify(body)}`);
  return String(98 - mod97(`${body}00`)).padStart(2, '0');
}

export function withCheckDigits(body: string): string {
  return `${body}${checkDigits(body)}`;
}

export function hasValidCheckDigits(number: string): boolean {
  return /^[0-9]{3,}$/.test(number) && mod97(number) === 1;
}

export type PaymentNumberReading =
  | { ok: true; number: string; kind: PaymentNumberKind; issuer: 'authority' | 'product' }
  | { ok: false; problem: 'not_digits' | 'kind' | 'length' | 'check_digits' };

/**
 * Reads a payment number as it comes in (typed, pasted, from a file or a network): spaces and
 * dashes dropped, Arabic-Indic digits read as digits, then kind, length and check digits checked.
 */
export function readPaymentNumber(text: string): PaymentNumberReading {
  const number = toAsciiDigits(text.trim()).replace(/[\s-]/g, '');
  if (!/^[0-9]+$/.test(number)) return { ok: false, problem: 'not_digits' };
  const kind = paymentNumberKinds.find((k) => paymentNumberShape[k].lead === number[0]);
  if (!kind) return { ok: false, problem: 'kind' };
  if (number.length !== paymentNumberShape[kind].length) return { ok: false, problem: 'length' };
  if (!hasValidCheckDigits(number)) return { ok: false, problem: 'check_digits' };
  return { ok: true, number, kind, issuer: number[1] === PRODUCT_ISSUER_DIGIT ? 'product' : 'authority' };
}

/**
 * A number of the kind's shape from a serial: lead digit, issuer digit, the serial zero-padded,
 * check digits. The serial must fit the kind's length.
 */
export function composePaymentNumber(kind: PaymentNumberKind, issuerDigit: string, serial: bigint): string {
  const { length, lead } = paymentNumberShape[kind];
  const width = length - 4;
  const text = serial.toString();
  if (serial < 0n || text.length > width) throw new Error(`serial ${serial} does not fit a ${kind} number`);
  if (!/^[0-9]$/.test(issuerDigit)) throw new Error(`issuer digit must be one digit, got ${issuerDigit}`);
  return withCheckDigits(`${lead}${issuerDigit}${text.padStart(width, '0')}`);
}
