/**
 * Iraqi plates: national (governorate, letter, number; the Kurdistan region is the governorate's)
 * and pre-2003 (governorate, optional category word, number).
 */
import { foldForMatching } from '../sheets/normalise.ts';
import {
  checkNumber,
  type IraqRegion,
  normalisedSet,
  numericValue,
  ok,
  type PlateResult,
  type PlateScheme,
  refuse,
  splitCodeAndNumber,
  type Token,
  unrecognised,
} from './scheme.ts';

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

export const iraqScheme: PlateScheme = {
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
        ? refuse(
            'plate.region_mismatch',
            'region_mismatch',
            { governorate: governorate.nameEn, code: String(governorate.code) },
            { governorate: governorate.nameAr, code: String(governorate.code) },
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
      return refuse('plate.letter_missing', 'letter_missing');
    }
    const fromLatin = latin === undefined ? undefined : iraqLatinLetters[latin];
    if (latin !== undefined && fromLatin === undefined) {
      return refuse('plate.letter_invalid', 'latin_letter_iraq', { letter: latin });
    }
    if (arabic !== undefined && fromLatin !== undefined && arabic !== fromLatin) {
      return refuse('plate.letter_mismatch', 'letters_disagree_iraq', { arabic, latin });
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
        return refuse('plate.code_invalid', 'governorate_code_unknown', { digits: digitGroups.join(' ') });
      }
      if (named && named !== coded) {
        return refuse(
          'plate.governorate_mismatch',
          'governorate_mismatch',
          { code: String(coded.code), coded: coded.nameEn, named: named.nameEn },
          { code: String(coded.code), coded: coded.nameAr, named: named.nameAr },
        );
      }
      governorate = coded;
      number = split.number;
    } else if (digitGroups.length === 1) {
      return refuse('plate.governorate_missing', 'governorate_missing');
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
