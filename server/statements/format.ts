/**
 * How statements show values: words from the `statements` catalogue, amounts through the money
 * module, times in the account's zone. Pure.
 */
import { DateTime } from 'luxon';
import { type Language, type MessageValues, message } from '../i18n/messages.ts';
import { type Currency, formatMinor, minorToMajorText } from '../money/money.ts';

const words = new Map<string, string>();

/** A word of the `statements` catalogue; those without values are formatted once (tables repeat them per row). */
export function t(language: Language, key: string, values?: MessageValues): string {
  if (values) return message(language, `statements.${key}`, values);
  const cacheKey = `${language}:${key}`;
  let word = words.get(cacheKey);
  if (word === undefined) {
    word = message(language, `statements.${key}`);
    words.set(cacheKey, word);
  }
  return word;
}

/** An amount for a page: the currency's display decimals, Western digits, no symbol. */
export const amountText = (amount: bigint, currency: Currency, language: Language) =>
  formatMinor(amount, currency, { locale: language === 'ar' ? 'ar' : 'en', digits: 'latn' });

/**
 * An amount as a spreadsheet number (major units). The exact decimal text is parsed once, here at
 * the edge, because a cell holds a double; minor units ≤ 3 keep it exact far beyond any fleet's total.
 */
export const amountCellValue = (amount: bigint, currency: Currency) =>
  Number(minorToMajorText(amount, currency.minorUnits));

/** The number format showing the currency's display decimals (JOD 3, IQD 0, EGP 2). */
export const amountCellFormat = (currency: Currency) =>
  currency.displayDecimals === 0 ? '#,##0' : `#,##0.${'0'.repeat(currency.displayDecimals)}`;

/**
 * A moment as a spreadsheet date showing the account's local wall-clock time: spreadsheets have no
 * zones, so the cell holds the local time as if it were UTC.
 */
export const localCellDate = (at: Date, zone: string) =>
  DateTime.fromJSDate(at, { zone }).setZone('UTC', { keepLocalTime: true }).toJSDate();

export const localDateTimeText = (at: Date, zone: string) =>
  DateTime.fromJSDate(at, { zone }).toFormat('yyyy-MM-dd HH:mm');

export const localDateText = (at: Date, zone: string) =>
  DateTime.fromJSDate(at, { zone }).toFormat('yyyy-MM-dd');

export const DATE_TIME_FORMAT = 'yyyy-mm-dd hh:mm';
export const DATE_FORMAT = 'yyyy-mm-dd';

/** What a violation line's notes column says: held as suspect, carried forward as stale. */
export function notes(line: { held: boolean; stale: boolean }, language: Language): string {
  return [line.held ? t(language, 'note_held') : '', line.stale ? t(language, 'note_stale') : '']
    .filter(Boolean)
    .join(language === 'ar' ? '، ' : ', ');
}
