/**
 * How statements show values: words from the `statements` catalogue, amounts through the money
 * module, times in the account's zone. Pure.
 */
import { Info, type Zone } from 'luxon';
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

const HOUR_MS = 3_600_000;
/** Per zone, its offset (minutes) through each hour of time; NaN for an hour with a change of offset. */
const hourOffsets = new Map<string, { zone: Zone; hours: Map<number, number> }>();

/**
 * A zone's offset from UTC at a moment, in ms. Statements convert hundreds of thousands of times,
 * and luxon asks `Intl` for every one: here it is asked twice per hour of time (at the hour's
 * first and last millisecond), and only an hour in which the offset changes is worked out per moment.
 */
export function zoneOffsetMs(zoneName: string, at: number): number {
  let known = hourOffsets.get(zoneName);
  if (!known) {
    known = { zone: Info.normalizeZone(zoneName), hours: new Map() };
    hourOffsets.set(zoneName, known);
  }
  const { zone, hours } = known;
  const hour = Math.floor(at / HOUR_MS);
  let offset = hours.get(hour);
  if (offset === undefined) {
    const first = zone.offset(hour * HOUR_MS);
    offset = first === zone.offset(hour * HOUR_MS + HOUR_MS - 1) ? first : Number.NaN;
    if (hours.size >= 100_000) hours.clear();
    hours.set(hour, offset);
  }
  return (Number.isNaN(offset) ? zone.offset(at) : offset) * 60_000;
}

/**
 * A moment as a spreadsheet date showing the account's local wall-clock time: spreadsheets have no
 * zones, so the cell holds the local time as if it were UTC.
 */
export const localCellDate = (at: Date, zone: string) =>
  new Date(at.getTime() + zoneOffsetMs(zone, at.getTime()));

const two = (n: number) => (n < 10 ? `0${n}` : String(n));
const localDate = (local: Date) =>
  `${String(local.getUTCFullYear()).padStart(4, '0')}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())}`;

/** `yyyy-MM-dd HH:mm` in the zone. */
export const localDateTimeText = (at: Date, zone: string) => {
  const local = localCellDate(at, zone);
  return `${localDate(local)} ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`;
};

/** `yyyy-MM-dd` in the zone. */
export const localDateText = (at: Date, zone: string) => localDate(localCellDate(at, zone));

export const DATE_TIME_FORMAT = 'yyyy-mm-dd hh:mm';
export const DATE_FORMAT = 'yyyy-mm-dd';

/** What a violation line's notes column says: held as suspect, carried forward as stale. */
export function notes(line: { held: boolean; stale: boolean }, language: Language): string {
  return [line.held ? t(language, 'note_held') : '', line.stale ? t(language, 'note_stale') : '']
    .filter(Boolean)
    .join(language === 'ar' ? '، ' : ', ');
}
