/**
 * SMS length rules: text in the GSM 03.38 7-bit alphabet takes 160 characters in one message and
 * 153 per part when split (extension characters count twice); anything else, Arabic included, goes
 * as UCS-2: 70 UTF-16 units in one message, 67 per part. A digest longer than the allowed parts is
 * cut after its last whole line (or word) and ends with its link, so the reader can always open the rest. Pure.
 */

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '^{}\\[~]|€\f';
const basic = new Set(GSM_BASIC);
const extension = new Set(GSM_EXTENSION);

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SmsSize {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

export function smsSize(text: string): SmsSize {
  let septets = 0;
  for (const ch of text) {
    if (basic.has(ch)) septets += 1;
    else if (extension.has(ch)) septets += 2;
    else return { encoding: 'ucs2', units: text.length, segments: segments(text.length, 70, 67) };
  }
  return { encoding: 'gsm7', units: septets, segments: segments(septets, 160, 153) };
}

function segments(units: number, single: number, part: number): number {
  if (units === 0) return 0;
  return units <= single ? 1 : Math.ceil(units / part);
}

/**
 * The digest's SMS: its lines and link, cut (at a word, with an ellipsis) so that the whole,
 * link included, takes at most `maxSegments` parts.
 */
export function smsText(lines: string[], link: string, maxSegments: number): { text: string; size: SmsSize } {
  const full = plain(`${lines.join('\n')}\n${link}`);
  const fullSize = smsSize(full);
  if (fullSize.segments <= maxSegments) return { text: full, size: fullSize };
  const body = Array.from(plain(lines.join('\n')));
  const fits = (n: number) => smsSize(`${cut(body, n)}...\n${link}`).segments <= maxSegments;
  // The longest prefix (in characters) that still fits, by bisection: size grows with length.
  let low = 0;
  let high = body.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  const text = `${atBreak(cut(body, low))}...\n${link}`;
  return { text, size: smsSize(text) };
}

const cut = (chars: string[], n: number) => chars.slice(0, n).join('');

/** Ends at the last whole line (lines come most urgent first), else the last whole word. */
function atBreak(prefix: string): string {
  const line = prefix.lastIndexOf('\n');
  if (line > prefix.length / 3) return prefix.slice(0, line).trimEnd();
  const space = prefix.search(/\s\S*$/);
  return (space > prefix.length / 2 ? prefix.slice(0, space) : prefix).trimEnd();
}

/**
 * What formatting adds and SMS cannot afford: no-break spaces (Intl puts one between currency
 * and number) become spaces and typographic quotes plain ones, so English stays GSM-7; bidi marks
 * are dropped (a phone lays out each line by its first strong letter).
 */
function plain(text: string): string {
  return text
    .replace(/[\u00a0\u202f]/g, ' ')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u200e\u200f\u061c]/g, '');
}
