/**
 * Licence plates: parse what people type into a canonical `plate_key`, per jurisdiction.
 *
 * Each jurisdiction profile names a `plateScheme`; `plateSchemes` below maps it to that scheme's
 * data (limits, code tables, letter tables, noise words) and its one parse function (jordan.ts,
 * iraq.ts, egypt.ts). Shared steps — tokenising, code/number splitting — live once in scheme.ts.
 *
 * Rules (all documented in the tests too):
 * - Separators (space, dash, slash, dot, tatweel used as a dash…) only split tokens; order of
 *   tokens is free, so `13-20697`, `20697 / 13` and `١٣-٢٠٦٩٧` are one plate.
 * - Numbers are numeric values: leading zeros are dropped (spreadsheets drop them anyway).
 * - Where two digit groups could both be the short code, the first one written is the code.
 * - Jordan: numeric code 1–99 or a 1–3 letter code (Latin or Arabic, for government/diplomatic
 *   series) + number of 1–6 digits. Key `JO:13-20697`.
 * - Iraq, national plates: governorate (2-digit code, or its name) + one letter (Arabic, or its
 *   Latin counterpart, or both if they agree) + number of 1–6 digits. Key `IQ:11-ب-12345`. The
 *   Kurdistan region is a property of the governorate (Erbil 21, Sulaymaniyah 22, Duhok 23); a
 *   region word (اقليم, كوردستان, KRG) is accepted but must agree with the governorate.
 *   Pre-2003 plates: governorate name (+ optional category word) + number, no letter.
 *   Key `IQ:OLD:BAGHDAD-12345` or `IQ:OLD:BAGHDAD-TAXI-12345`.
 * - Egypt: 1–3 Arabic letters (from the 17 used on plates) + 1–4 digits, key `EG:بطر-1234`;
 *   Latin transliteration (one Latin letter per Arabic letter, see `egyptLatinLetters`) accepted.
 *   Older numbers-only plates: 1–6 digits, key `EG:OLD:123456`.
 */
import type { JurisdictionCode, JurisdictionProfile } from '../jurisdictions/profiles.ts';
import { jurisdictions } from '../jurisdictions/profiles.ts';
import { normaliseIdentifier } from '../sheets/normalise.ts';
import { egyptScheme } from './egypt.ts';
import { iraqScheme } from './iraq.ts';
import { jordanScheme } from './jordan.ts';
import { PLATE_MAX_INPUT_LENGTH, type PlateResult, type PlateScheme, refuse, tokenise } from './scheme.ts';

export { iraqGovernorates } from './iraq.ts';
export {
  type IraqRegion,
  PLATE_MAX_INPUT_LENGTH,
  type Plate,
  type PlateErrorCode,
  type PlateFields,
  type PlateResult,
} from './scheme.ts';

const plateSchemes: Record<JurisdictionProfile['plateScheme'], PlateScheme> = {
  jo: jordanScheme,
  iq: iraqScheme,
  eg: egyptScheme,
};

/** Parses one plate as typed by a person. Never throws on user input. */
export function parsePlate(jurisdiction: JurisdictionCode, raw: string): PlateResult {
  const scheme = plateSchemes[jurisdictions[jurisdiction].plateScheme];
  // Generous bound on the raw text (invisibles and spaces still in it) so normalising stays cheap.
  if (raw.length > PLATE_MAX_INPUT_LENGTH * 4) {
    return refuse('plate.too_long', 'too_long_raw');
  }
  const text = normaliseIdentifier(raw);
  if (text === '') return refuse('plate.empty', 'empty');
  if (text.length > PLATE_MAX_INPUT_LENGTH) {
    return refuse('plate.too_long', 'too_long', { length: text.length, max: PLATE_MAX_INPUT_LENGTH });
  }
  const tokens = tokenise(text);
  if (!Array.isArray(tokens)) {
    return refuse('plate.invalid_character', 'invalid_character', { character: tokens.invalid });
  }
  const meaningful = tokens.filter((token) => token.kind === 'digits' || !scheme.noiseWords.has(token.text));
  if (meaningful.length === 0) return refuse('plate.empty', 'empty');
  return scheme.parse(meaningful);
}
