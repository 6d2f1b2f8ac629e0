/**
 * What every plate scheme shares: the parsed plate and its errors, tokenising (separators only
 * split tokens, so their order is free), numeric values, and the code/number split.
 */
import { type MessageValues, message } from '../i18n/messages.ts';
import { ARABIC_LETTER, normaliseIdentifier } from '../sheets/normalise.ts';

export type PlateErrorCode =
  | 'plate.empty'
  | 'plate.too_long'
  | 'plate.invalid_character'
  | 'plate.unrecognised'
  | 'plate.code_missing'
  | 'plate.code_invalid'
  | 'plate.number_invalid'
  | 'plate.number_too_long'
  | 'plate.letter_missing'
  | 'plate.letter_invalid'
  | 'plate.letters_too_many'
  | 'plate.letter_mismatch'
  | 'plate.governorate_missing'
  | 'plate.governorate_mismatch'
  | 'plate.region_mismatch'
  | 'plate.type_unknown'
  | 'plate.type_mismatch';

export type IraqRegion = 'federal' | 'kurdistan';

export type PlateFields =
  | { scheme: 'jo'; code: string; number: string }
  | {
      scheme: 'iq';
      form: 'national';
      governorateCode: number;
      governorate: string;
      region: IraqRegion;
      letter: string;
      number: string;
    }
  | {
      scheme: 'iq';
      form: 'legacy';
      governorate: string;
      region: IraqRegion;
      category: string | null;
      number: string;
    }
  | { scheme: 'eg'; form: 'letters'; letters: string; number: string }
  | { scheme: 'eg'; form: 'numeric'; number: string };

export interface Plate {
  /** Canonical identity, unique per jurisdiction: what duplicates and lookups compare. */
  key: string;
  fields: PlateFields;
  /** How to show the plate to people. */
  display: string;
}

export type PlateResult =
  | { ok: true; plate: Plate }
  | { ok: false; code: PlateErrorCode; message: string; messageAr: string };

/** Longer input is not a plate (it is a pasted note or a whole row); refuse before tokenising. */
export const PLATE_MAX_INPUT_LENGTH = 64;

export type Token = { kind: 'digits' | 'arabic' | 'latin'; text: string };

export interface PlateScheme {
  /** Country names and codes people write next to the plate (normalised); dropped before parsing. */
  noiseWords: Set<string>;
  parse(tokens: Token[]): PlateResult;
}

export function fail(code: PlateErrorCode, message: string, messageAr: string): PlateResult {
  return { ok: false, code, message, messageAr };
}

/** A refusal in the plates catalogue's words; `valuesAr` where an argument is itself words. */
export function refuse(
  code: PlateErrorCode,
  key: string,
  values: MessageValues = {},
  valuesAr: MessageValues = values,
): PlateResult {
  return fail(code, message('en', `plates.${key}`, values), message('ar', `plates.${key}`, valuesAr));
}

export function ok(key: string, fields: PlateFields, display: string): PlateResult {
  return { ok: true, plate: { key, fields, display } };
}

export const normalisedSet = (words: string[]) => new Set(words.map((word) => normaliseIdentifier(word)));

const SEPARATOR = /^[ \-/.,_|:#()]$/;

function charKind(char: string): Token['kind'] | null {
  const code = char.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return 'digits';
  if (code >= 0x41 && code <= 0x5a) return 'latin';
  return code >= 0x0600 && ARABIC_LETTER.test(char) ? 'arabic' : null;
}

export function tokenise(text: string): Token[] | { invalid: string } {
  const tokens: Token[] = [];
  let last: Token | undefined;
  for (const char of text) {
    const kind = charKind(char);
    if (kind === null) {
      if (SEPARATOR.test(char)) {
        last = undefined;
        continue;
      }
      return { invalid: char };
    }
    if (last && last.kind === kind) last.text += char;
    else {
      last = { kind, text: char };
      tokens.push(last);
    }
  }
  return tokens;
}

/** Digit group without leading zeros ("0" stays "0"). */
export function numericValue(digits: string): string {
  return digits.replace(/^0+(?=\d)/, '');
}

export function checkNumber(number: string, maxDigits: number): PlateResult | null {
  if (/^0+$/.test(number)) {
    return refuse('plate.number_invalid', 'number_zero');
  }
  if (number.length > maxDigits) {
    return refuse('plate.number_too_long', 'number_too_long', {
      number,
      length: number.length,
      max: maxDigits,
    });
  }
  return null;
}

/**
 * Two digit groups: the code is the one with at most `codeMaxDigits` digits; if both are that
 * short, the first written. Returns null when neither can be a code.
 */
export function splitCodeAndNumber(
  first: string,
  second: string,
  codeMaxDigits: number,
): { code: string; number: string } | null {
  if (first.length <= codeMaxDigits) return { code: first, number: second };
  if (second.length <= codeMaxDigits) return { code: second, number: first };
  return null;
}

export const unrecognised = (expected: string, expectedAr: string): PlateResult =>
  refuse('plate.unrecognised', 'unrecognised', { expected }, { expected: expectedAr });
