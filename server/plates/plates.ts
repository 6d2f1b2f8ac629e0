/**
 * Licence plates: parse what people type into a canonical `plate_key`, per jurisdiction.
 *
 * Each jurisdiction profile names a `plateScheme`; `plateSchemes` below holds that scheme's data
 * (limits, code tables, letter tables, noise words) and its one parse function. Shared steps —
 * normalisation, tokenising, noise removal, code/number splitting — live once, here.
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
import { ARABIC_LETTER, foldForMatching, normaliseIdentifier } from '../sheets/normalise.ts';

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

type Token = { kind: 'digits' | 'arabic' | 'latin'; text: string };

interface PlateScheme {
  /** Country names and codes people write next to the plate (normalised); dropped before parsing. */
  noiseWords: Set<string>;
  parse(tokens: Token[]): PlateResult;
}

function fail(code: PlateErrorCode, message: string, messageAr: string): PlateResult {
  return { ok: false, code, message, messageAr };
}

function ok(key: string, fields: PlateFields, display: string): PlateResult {
  return { ok: true, plate: { key, fields, display } };
}

const normalisedSet = (words: string[]) => new Set(words.map((word) => normaliseIdentifier(word)));

const SEPARATOR = /^[ \-/.,_|:#()]$/;

function charKind(char: string): Token['kind'] | null {
  const code = char.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return 'digits';
  if (code >= 0x41 && code <= 0x5a) return 'latin';
  return code >= 0x0600 && ARABIC_LETTER.test(char) ? 'arabic' : null;
}

function tokenise(text: string): Token[] | { invalid: string } {
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
function numericValue(digits: string): string {
  return digits.replace(/^0+(?=\d)/, '');
}

function checkNumber(number: string, maxDigits: number): PlateResult | null {
  if (/^0+$/.test(number)) {
    return fail(
      'plate.number_invalid',
      'The plate number cannot be zero.',
      'رقم اللوحة لا يمكن أن يكون صفراً.',
    );
  }
  if (number.length > maxDigits) {
    return fail(
      'plate.number_too_long',
      `The plate number ${number} has ${number.length} digits; at most ${maxDigits} are allowed.`,
      `رقم اللوحة ${number} فيه ${number.length} أرقام، والحد الأقصى ${maxDigits}.`,
    );
  }
  return null;
}

/**
 * Two digit groups: the code is the one with at most `codeMaxDigits` digits; if both are that
 * short, the first written. Returns null when neither can be a code.
 */
function splitCodeAndNumber(
  first: string,
  second: string,
  codeMaxDigits: number,
): { code: string; number: string } | null {
  if (first.length <= codeMaxDigits) return { code: first, number: second };
  if (second.length <= codeMaxDigits) return { code: second, number: first };
  return null;
}

const unrecognised = (expected: string, expectedAr: string): PlateResult =>
  fail(
    'plate.unrecognised',
    `Not a plate this system recognises: expected ${expected}.`,
    `صيغة اللوحة غير معروفة: المتوقع ${expectedAr}.`,
  );

/* ------------------------------------------------------------------ Jordan */

const jordan = {
  codeMaxDigits: 2,
  letterCodeMaxLength: 3,
  numberMaxDigits: 6,
};

const jordanScheme: PlateScheme = {
  noiseWords: normalisedSet(['JORDAN', 'JO', 'HKJ', 'الأردن', 'اردن']),
  parse(tokens) {
    const expected = 'a code and a number, e.g. 13-20697';
    const expectedAr = 'رمز ورقم، مثل 13-20697';
    const digitGroups = tokens
      .filter((token) => token.kind === 'digits')
      .map((token) => numericValue(token.text));
    const letterTokens = tokens.filter((token) => token.kind !== 'digits');
    if (digitGroups.length === 1 && letterTokens.length === 0) {
      return fail(
        'plate.code_missing',
        `The plate ${digitGroups[0]} has no code; write it as code-number, e.g. 13-20697.`,
        `اللوحة ${digitGroups[0]} بلا رمز؛ اكتبها بالشكل رمز-رقم، مثل 13-20697.`,
      );
    }
    let code: string;
    let number: string;
    if (digitGroups.length === 2 && letterTokens.length === 0) {
      const split = splitCodeAndNumber(digitGroups[0]!, digitGroups[1]!, jordan.codeMaxDigits);
      if (!split || split.code === '0') {
        return fail(
          'plate.code_invalid',
          `No valid plate code in ${digitGroups.join('-')}: the code is 1–2 digits (1–99).`,
          `لا يوجد رمز لوحة صحيح في ${digitGroups.join('-')}: الرمز من 1 إلى 2 رقم (1–99).`,
        );
      }
      ({ code, number } = split);
    } else if (digitGroups.length === 1 && letterTokens.length === 1 && tokens.length === 2) {
      code = letterTokens[0]!.text;
      number = digitGroups[0]!;
      if (code.length > jordan.letterCodeMaxLength) {
        return fail(
          'plate.code_invalid',
          `The letter code ${code} is too long: at most ${jordan.letterCodeMaxLength} letters.`,
          `رمز الحروف ${code} طويل: الحد الأقصى ${jordan.letterCodeMaxLength} حروف.`,
        );
      }
    } else {
      return unrecognised(expected, expectedAr);
    }
    const numberError = checkNumber(number, jordan.numberMaxDigits);
    if (numberError) return numberError;
    return ok(`JO:${code}-${number}`, { scheme: 'jo', code, number }, `${code}-${number}`);
  },
};

/* -------------------------------------------------------------------- Iraq */

interface IraqGovernorate {
  /** Stable ASCII id, used in legacy plate keys. */
  id: string;
  nameEn: string;
  nameAr: string;
  /** Two-digit code on national plates. */
  code: number;
  region: IraqRegion;
  /** Other ways people write it (Arabic or English); `nameEn`/`nameAr` are matched anyway. */
  aliases: string[];
}

/**
 * Governorate codes on national plates. Working table: confirm against the General Traffic
 * Directorate's list before going live — it is data, so a correction is a one-line change.
 */
export const iraqGovernorates: IraqGovernorate[] = [
  { id: 'BAGHDAD', nameEn: 'Baghdad', nameAr: 'بغداد', code: 11, region: 'federal', aliases: [] },
  {
    id: 'NINEVEH',
    nameEn: 'Nineveh',
    nameAr: 'نينوى',
    code: 12,
    region: 'federal',
    aliases: ['الموصل', 'Mosul', 'Ninawa'],
  },
  {
    id: 'MAYSAN',
    nameEn: 'Maysan',
    nameAr: 'ميسان',
    code: 13,
    region: 'federal',
    aliases: ['العمارة', 'Amarah'],
  },
  {
    id: 'BASRA',
    nameEn: 'Basra',
    nameAr: 'البصرة',
    code: 14,
    region: 'federal',
    aliases: ['بصرة', 'Basrah'],
  },
  {
    id: 'ANBAR',
    nameEn: 'Anbar',
    nameAr: 'الأنبار',
    code: 15,
    region: 'federal',
    aliases: ['انبار', 'الرمادي'],
  },
  {
    id: 'QADISIYYAH',
    nameEn: 'Qadisiyyah',
    nameAr: 'القادسية',
    code: 16,
    region: 'federal',
    aliases: ['الديوانية', 'Diwaniyah', 'Qadisiyah'],
  },
  { id: 'MUTHANNA', nameEn: 'Muthanna', nameAr: 'المثنى', code: 17, region: 'federal', aliases: ['السماوة'] },
  {
    id: 'BABIL',
    nameEn: 'Babil',
    nameAr: 'بابل',
    code: 18,
    region: 'federal',
    aliases: ['الحلة', 'Hillah', 'Babylon'],
  },
  { id: 'KARBALA', nameEn: 'Karbala', nameAr: 'كربلاء', code: 19, region: 'federal', aliases: ['كربلا'] },
  { id: 'DIYALA', nameEn: 'Diyala', nameAr: 'ديالى', code: 20, region: 'federal', aliases: ['بعقوبة'] },
  {
    id: 'ERBIL',
    nameEn: 'Erbil',
    nameAr: 'أربيل',
    code: 21,
    region: 'kurdistan',
    aliases: ['هولير', 'Hawler', 'Arbil'],
  },
  {
    id: 'SULAYMANIYAH',
    nameEn: 'Sulaymaniyah',
    nameAr: 'السليمانية',
    code: 22,
    region: 'kurdistan',
    aliases: ['سليمانية', 'Sulaimani', 'Slemani'],
  },
  { id: 'DUHOK', nameEn: 'Duhok', nameAr: 'دهوك', code: 23, region: 'kurdistan', aliases: ['Dohuk'] },
  { id: 'KIRKUK', nameEn: 'Kirkuk', nameAr: 'كركوك', code: 24, region: 'federal', aliases: [] },
  {
    id: 'SALAHADDIN',
    nameEn: 'Salah al-Din',
    nameAr: 'صلاح الدين',
    code: 25,
    region: 'federal',
    aliases: ['تكريت', 'Salahaddin'],
  },
  {
    id: 'DHIQAR',
    nameEn: 'Dhi Qar',
    nameAr: 'ذي قار',
    code: 26,
    region: 'federal',
    aliases: ['الناصرية', 'Nasiriyah'],
  },
  { id: 'NAJAF', nameEn: 'Najaf', nameAr: 'النجف', code: 27, region: 'federal', aliases: ['نجف'] },
  { id: 'WASIT', nameEn: 'Wasit', nameAr: 'واسط', code: 28, region: 'federal', aliases: ['الكوت', 'Kut'] },
];

/** Words that mark a Kurdistan-region plate (Arabic, Kurdish, English). */
const kurdistanMarkers = [
  'اقليم',
  'إقليم',
  'كوردستان',
  'كردستان',
  'هەرێمی',
  'KRG',
  'KRI',
  'KURDISTAN',
  'REGION',
];

/** Pre-2003 category words, mapped to a stable id used in the key. */
const iraqLegacyCategories: Record<string, string> = {
  خصوصي: 'PRIVATE',
  خاص: 'PRIVATE',
  اجرة: 'TAXI',
  تاكسي: 'TAXI',
  حمل: 'TRUCK',
  نقل: 'TRUCK',
  حكومي: 'GOVERNMENT',
  حكومة: 'GOVERNMENT',
};

/** Latin letters printed beside the Arabic one on national plates (unambiguous ones only). */
const iraqLatinLetters: Record<string, string> = {
  A: 'ا',
  B: 'ب',
  J: 'ج',
  D: 'د',
  R: 'ر',
  Z: 'ز',
  S: 'س',
  F: 'ف',
  Q: 'ق',
  K: 'ك',
  L: 'ل',
  M: 'م',
  N: 'ن',
  H: 'ه',
  W: 'و',
  Y: 'ي',
};

/** Token-sequence matchers, longest first, so "صلاح الدين" wins over a one-word alias. */
function phraseTable<T>(entries: [phrase: string, value: T][]): { words: string[]; value: T }[] {
  return entries
    .map(([phrase, value]) => ({ words: foldForMatching(phrase).toUpperCase().split(' '), value }))
    .sort((a, b) => b.words.length - a.words.length);
}

const governoratePhrases = phraseTable(
  iraqGovernorates.flatMap((governorate) =>
    [governorate.nameAr, governorate.nameEn, ...governorate.aliases].map(
      (phrase): [string, IraqGovernorate] => [phrase, governorate],
    ),
  ),
);
const categoryPhrases = phraseTable(Object.entries(iraqLegacyCategories));
const kurdistanPhrases = phraseTable(kurdistanMarkers.map((marker): [string, true] => [marker, true]));

/** Removes every occurrence of the table's phrases from `tokens`; returns the distinct values found. */
function extractPhrases<T>(
  tokens: Token[],
  table: { words: string[]; value: T }[],
): { rest: Token[]; found: T[] } {
  const rest: Token[] = [];
  const found: T[] = [];
  let index = 0;
  while (index < tokens.length) {
    const match = table.find(({ words }) =>
      words.every(
        (word, offset) => tokens[index + offset]?.kind !== 'digits' && tokens[index + offset]?.text === word,
      ),
    );
    if (match) {
      if (!found.includes(match.value)) found.push(match.value);
      index += match.words.length;
    } else {
      rest.push(tokens[index]!);
      index += 1;
    }
  }
  return { rest, found };
}

const iraq = { codeMaxDigits: 2, numberMaxDigits: 6 };

const iraqScheme: PlateScheme = {
  noiseWords: normalisedSet(['IRAQ', 'IQ', 'العراق', 'عراق']),
  parse(tokens) {
    const markers = extractPhrases(tokens, kurdistanPhrases);
    const governorates = extractPhrases(markers.rest, governoratePhrases);
    const categories = extractPhrases(governorates.rest, categoryPhrases);
    const rest = categories.rest;
    const kurdistanMarked = markers.found.length > 0;
    const digitGroups = rest
      .filter((token) => token.kind === 'digits')
      .map((token) => numericValue(token.text));
    const arabicLetters = rest.filter((token) => token.kind === 'arabic').map((token) => token.text);
    const latinLetters = rest.filter((token) => token.kind === 'latin').map((token) => token.text);
    if (governorates.found.length > 1 || categories.found.length > 1) {
      return unrecognised('one governorate, one letter and a number', 'محافظة واحدة وحرف ورقم');
    }
    const named = governorates.found[0];

    const regionCheck = (governorate: IraqGovernorate): PlateResult | null =>
      kurdistanMarked && governorate.region !== 'kurdistan'
        ? fail(
            'plate.region_mismatch',
            `The plate is marked Kurdistan region but ${governorate.nameEn} (${governorate.code}) is not in the region.`,
            `اللوحة معلّمة بإقليم كوردستان لكن ${governorate.nameAr} (${governorate.code}) ليست من الإقليم.`,
          )
        : null;

    // Pre-2003: a governorate name and a number, no letter.
    if (named && arabicLetters.length === 0 && latinLetters.length === 0) {
      if (digitGroups.length !== 1)
        return unrecognised('a governorate name and a number', 'اسم المحافظة ورقم');
      const number = digitGroups[0]!;
      const error = regionCheck(named) ?? checkNumber(number, iraq.numberMaxDigits);
      if (error) return error;
      const category = categories.found[0] ?? null;
      const key = `IQ:OLD:${named.id}-${category ? `${category}-` : ''}${number}`;
      const categoryWord = Object.entries(iraqLegacyCategories).find(([, id]) => id === category)?.[0];
      const display = [named.nameAr, categoryWord, number].filter(Boolean).join(' ');
      return ok(
        key,
        { scheme: 'iq', form: 'legacy', governorate: named.nameEn, region: named.region, category, number },
        display,
      );
    }
    if (categories.found.length > 0) {
      return unrecognised(
        'a category word only with a governorate name (old plates)',
        'كلمة الفئة مع اسم المحافظة فقط (اللوحات القديمة)',
      );
    }

    // National plates: one letter, given in Arabic, Latin, or both.
    if (
      arabicLetters.length > 1 ||
      latinLetters.length > 1 ||
      [...arabicLetters, ...latinLetters].some((l) => l.length > 1)
    ) {
      return unrecognised('a single letter, e.g. 11 ب 12345', 'حرف واحد، مثل 11 ب 12345');
    }
    const arabic = arabicLetters[0];
    const latin = latinLetters[0];
    if (!arabic && !latin) {
      return fail(
        'plate.letter_missing',
        'The plate has no letter: national plates are governorate code, letter, number, e.g. 11 ب 12345.',
        'اللوحة بلا حرف: اللوحات الوطنية رمز المحافظة وحرف ورقم، مثل 11 ب 12345.',
      );
    }
    const fromLatin = latin === undefined ? undefined : iraqLatinLetters[latin];
    if (latin !== undefined && fromLatin === undefined) {
      return fail(
        'plate.letter_invalid',
        `The Latin letter ${latin} is not used on Iraqi plates; write the Arabic letter.`,
        `الحرف اللاتيني ${latin} غير مستخدم في اللوحات العراقية؛ اكتب الحرف العربي.`,
      );
    }
    if (arabic !== undefined && fromLatin !== undefined && arabic !== fromLatin) {
      return fail(
        'plate.letter_mismatch',
        `The letters ${arabic} and ${latin} disagree.`,
        `الحرفان ${arabic} و${latin} غير متطابقين.`,
      );
    }
    const letter = (arabic ?? fromLatin)!;

    let governorate: IraqGovernorate | undefined = named;
    let number: string;
    if (named && digitGroups.length === 1) {
      number = digitGroups[0]!;
    } else if (digitGroups.length === 2) {
      const split = splitCodeAndNumber(digitGroups[0]!, digitGroups[1]!, iraq.codeMaxDigits);
      const coded = split && iraqGovernorates.find((candidate) => String(candidate.code) === split.code);
      if (!split || !coded) {
        return fail(
          'plate.code_invalid',
          `No known governorate code in ${digitGroups.join(' ')}.`,
          `لا يوجد رمز محافظة معروف في ${digitGroups.join(' ')}.`,
        );
      }
      if (named && named !== coded) {
        return fail(
          'plate.governorate_mismatch',
          `The code ${coded.code} is ${coded.nameEn}, but the plate also says ${named.nameEn}.`,
          `الرمز ${coded.code} هو ${coded.nameAr} لكن اللوحة تذكر ${named.nameAr}.`,
        );
      }
      governorate = coded;
      number = split.number;
    } else if (digitGroups.length === 1) {
      return fail(
        'plate.governorate_missing',
        'The plate has no governorate: write its code or name, e.g. 11 ب 12345.',
        'اللوحة بلا محافظة: اكتب رمزها أو اسمها، مثل 11 ب 12345.',
      );
    } else {
      return unrecognised(
        'governorate code, letter and number, e.g. 11 ب 12345',
        'رمز المحافظة وحرف ورقم، مثل 11 ب 12345',
      );
    }
    const resolved = governorate!;
    const error = regionCheck(resolved) ?? checkNumber(number, iraq.numberMaxDigits);
    if (error) return error;
    return ok(
      `IQ:${resolved.code}-${letter}-${number}`,
      {
        scheme: 'iq',
        form: 'national',
        governorateCode: resolved.code,
        governorate: resolved.nameEn,
        region: resolved.region,
        letter,
        number,
      },
      `${resolved.code} ${letter} ${number}`,
    );
  },
};

/* ------------------------------------------------------------------- Egypt */

/** The 17 letters used on Egyptian plates, after letter folding (ى → ي, أ → ا). */
const egyptPlateLetters = new Set([...'ابجدرسصطعفقلمنهوي']);

/** One common Latin spelling per plate letter (ص has none in common use and must be typed in Arabic). */
const egyptLatinLetters: Record<string, string> = {
  A: 'ا',
  B: 'ب',
  G: 'ج',
  J: 'ج',
  D: 'د',
  R: 'ر',
  S: 'س',
  T: 'ط',
  E: 'ع',
  F: 'ف',
  Q: 'ق',
  L: 'ل',
  M: 'م',
  N: 'ن',
  H: 'ه',
  W: 'و',
  Y: 'ي',
};

const egypt = { lettersMax: 3, lettersNumberMaxDigits: 4, numericMaxDigits: 6 };

const egyptScheme: PlateScheme = {
  // ملاكي (private) is printed on old plates; the numbers alone identify them in one fleet.
  noiseWords: normalisedSet(['EGYPT', 'EG', 'مصر', 'ملاكي']),
  parse(tokens) {
    const digitGroups = tokens
      .filter((token) => token.kind === 'digits')
      .map((token) => numericValue(token.text));
    const arabic = tokens.filter((token) => token.kind === 'arabic').flatMap((token) => [...token.text]);
    const latinRaw = tokens.filter((token) => token.kind === 'latin').flatMap((token) => [...token.text]);
    if (digitGroups.length !== 1) {
      return unrecognised('letters and a number, e.g. ب ط ر 1234', 'حروف ورقم، مثل ب ط ر 1234');
    }
    const number = digitGroups[0]!;
    if (arabic.length === 0 && latinRaw.length === 0) {
      const error = checkNumber(number, egypt.numericMaxDigits);
      return error ?? ok(`EG:OLD:${number}`, { scheme: 'eg', form: 'numeric', number }, number);
    }
    const latinUnknown = latinRaw.find((letter) => egyptLatinLetters[letter] === undefined);
    if (latinUnknown !== undefined) {
      return fail(
        'plate.letter_invalid',
        `The Latin letter ${latinUnknown} has no Egyptian plate letter; write the Arabic letters.`,
        `الحرف اللاتيني ${latinUnknown} لا يقابله حرف في اللوحات المصرية؛ اكتب الحروف العربية.`,
      );
    }
    const latin = latinRaw.map((letter) => egyptLatinLetters[letter]!);
    if (arabic.length > 0 && latin.length > 0 && arabic.join('') !== latin.join('')) {
      return fail(
        'plate.letter_mismatch',
        `The Arabic letters ${arabic.join(' ')} and the Latin letters ${latinRaw.join('')} disagree.`,
        `الحروف العربية ${arabic.join(' ')} والحروف اللاتينية ${latinRaw.join('')} غير متطابقة.`,
      );
    }
    const letters = arabic.length > 0 ? arabic : latin;
    const invalid = letters.find((letter) => !egyptPlateLetters.has(letter));
    if (invalid !== undefined) {
      return fail(
        'plate.letter_invalid',
        `The letter ${invalid} is not used on Egyptian plates.`,
        `الحرف ${invalid} غير مستخدم في اللوحات المصرية.`,
      );
    }
    if (letters.length > egypt.lettersMax) {
      return fail(
        'plate.letters_too_many',
        `The plate has ${letters.length} letters; Egyptian plates have at most ${egypt.lettersMax}.`,
        `اللوحة فيها ${letters.length} حروف، واللوحات المصرية فيها ${egypt.lettersMax} حروف على الأكثر.`,
      );
    }
    const error = checkNumber(number, egypt.lettersNumberMaxDigits);
    if (error) return error;
    return ok(
      `EG:${letters.join('')}-${number}`,
      { scheme: 'eg', form: 'letters', letters: letters.join(''), number },
      `${letters.join(' ')} ${number}`,
    );
  },
};

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
    return fail('plate.too_long', 'This is too long to be a plate.', 'هذا أطول من أن يكون رقم لوحة.');
  }
  const text = normaliseIdentifier(raw);
  if (text === '') return fail('plate.empty', 'The plate is empty.', 'رقم اللوحة فارغ.');
  if (text.length > PLATE_MAX_INPUT_LENGTH) {
    return fail(
      'plate.too_long',
      `This is too long to be a plate (${text.length} characters; at most ${PLATE_MAX_INPUT_LENGTH}).`,
      `هذا أطول من أن يكون رقم لوحة (${text.length} حرفاً؛ الحد ${PLATE_MAX_INPUT_LENGTH}).`,
    );
  }
  const tokens = tokenise(text);
  if (!Array.isArray(tokens)) {
    return fail(
      'plate.invalid_character',
      `The character "${tokens.invalid}" cannot be part of a plate.`,
      `الرمز "${tokens.invalid}" لا يمكن أن يكون جزءاً من رقم لوحة.`,
    );
  }
  const meaningful = tokens.filter((token) => token.kind === 'digits' || !scheme.noiseWords.has(token.text));
  if (meaningful.length === 0) return fail('plate.empty', 'The plate is empty.', 'رقم اللوحة فارغ.');
  return scheme.parse(meaningful);
}
