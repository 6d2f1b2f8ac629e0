/**
 * Plate types: the words people write in a "plate type" column (نوع اللوحة / Type), per plate
 * scheme, and what they choose among a jurisdiction's plate forms. A list that gives the plate in
 * parts may give its type too; the type then decides how the parts are read where they could be
 * read two ways, and a row whose parts make another form than its type says is reported.
 */
import { bilingual } from '../i18n/messages.ts';
import type { JurisdictionCode, JurisdictionProfile } from '../jurisdictions/profiles.ts';
import { jurisdictions } from '../jurisdictions/profiles.ts';
import type { PlateFields, PlateResult } from '../plates/plates.ts';
import { iraqGovernorates, parsePlate } from '../plates/plates.ts';
import { refuse } from '../plates/scheme.ts';
import { foldForMatching, toAsciiDigits } from '../sheets/normalise.ts';

export type PlateForm =
  | 'jo.numeric'
  | 'jo.letters'
  | 'iq.national'
  | 'iq.kurdistan'
  | 'iq.legacy'
  | 'eg.letters'
  | 'eg.numeric';

interface PlateTypeWords {
  form: PlateForm;
  /** What people write for it, Arabic or English (matched folded, without the word "plate"). */
  words: string[];
}

const plateTypeWords: Record<JurisdictionProfile['plateScheme'], PlateTypeWords[]> = {
  jo: [
    {
      form: 'jo.numeric',
      words: [
        ...['regular', 'private', 'public', 'commercial', 'civil', 'numeric'],
        ...['عادية', 'عادي', 'خصوصي', 'خصوصية', 'عمومي', 'عمومية', 'تجاري', 'تجارية', 'مدني', 'مدنية'],
      ],
    },
    {
      form: 'jo.letters',
      words: [
        ...['government', 'governmental', 'diplomatic'],
        ...['حكومي', 'حكومية', 'دبلوماسي', 'دبلوماسية', 'هيئة دبلوماسية'],
      ],
    },
  ],
  iq: [
    {
      form: 'iq.national',
      words: [
        ...['national', 'new', 'new national', 'federal'],
        ...['وطنية', 'وطني', 'جديدة', 'جديد', 'وطنية جديدة', 'الجديدة', 'اتحادية', 'اتحادي'],
      ],
    },
    {
      form: 'iq.kurdistan',
      words: [
        ...['kurdistan', 'kurdistan region', 'krg', 'kri', 'region'],
        ...['اقليم', 'الاقليم', 'اقليم كوردستان', 'اقليم كردستان', 'كوردستان', 'كردستان'],
      ],
    },
    {
      form: 'iq.legacy',
      words: [
        ...['old', 'legacy', 'pre 2003', 'before 2003', 'old pre 2003'],
        ...['قديمة', 'قديم', 'القديمة', 'قبل 2003', 'قديمة قبل 2003'],
      ],
    },
  ],
  eg: [
    {
      form: 'eg.letters',
      words: [...['new', 'letters', 'letters and digits'], ...['جديدة', 'جديد', 'حروف وارقام', 'حروف']],
    },
    {
      form: 'eg.numeric',
      words: [...['old', 'numeric', 'digits only'], ...['قديمة', 'قديم', 'ارقام', 'ارقام فقط']],
    },
  ],
};

/** A plate type with its name in both languages (plates catalogue). */
type PlateType = PlateTypeWords & { en: string; ar: string };

const plateTypes = Object.fromEntries(
  Object.entries(plateTypeWords).map(([scheme, types]) => [
    scheme,
    types.map((type) => ({ ...type, ...bilingual(`plates.type_name_${type.form.replace('.', '_')}`) })),
  ]),
) as Record<JurisdictionProfile['plateScheme'], PlateType[]>;

/** "Plate", "لوحة" and the like say nothing about the type: "لوحة قديمة" is "قديمة". */
const FILLER = new Set(['plate', 'plates', 'type', 'لوحه', 'لوحات', 'اللوحه', 'نوع']);

function typeKey(text: string): string {
  return foldForMatching(text)
    .split(' ')
    .filter((word) => !FILLER.has(word))
    .join(' ');
}

const typeIndex = new Map(
  (Object.keys(plateTypes) as JurisdictionProfile['plateScheme'][]).map((scheme) => [
    scheme,
    new Map(plateTypes[scheme].flatMap((type) => type.words.map((word) => [typeKey(word), type] as const))),
  ]),
);

/** The plate type a cell names for this jurisdiction, or null. */
export function plateTypeOf(jurisdiction: JurisdictionCode, text: string): PlateType | null {
  return typeIndex.get(jurisdictions[jurisdiction].plateScheme)!.get(typeKey(text)) ?? null;
}

/** Whether a cell names a plate type of any jurisdiction (for recognising a type column). */
export function isPlateTypeWord(text: string, jurisdiction?: JurisdictionCode): boolean {
  if (jurisdiction) return plateTypeOf(jurisdiction, text) !== null;
  const key = typeKey(text);
  return [...typeIndex.values()].some((index) => index.has(key));
}

/** The form a parsed plate has. */
export function formOf(fields: PlateFields): PlateForm {
  switch (fields.scheme) {
    case 'jo':
      return /^\d+$/.test(fields.code) ? 'jo.numeric' : 'jo.letters';
    case 'iq':
      if (fields.form === 'legacy') return 'iq.legacy';
      return fields.region === 'kurdistan' ? 'iq.kurdistan' : 'iq.national';
    case 'eg':
      return fields.form === 'letters' ? 'eg.letters' : 'eg.numeric';
  }
}

/** The plate as a list gives it in parts; any part may be missing. */
export interface PlateParts {
  plateType?: string;
  governorate?: string;
  plateCode?: string;
  plateLetters?: string;
  /** The number, or the whole plate when the list has one plate column. */
  plate?: string;
}

/** Short code first, number last: the order parsePlate reads best. */
const partOrder = ['governorate', 'plateCode', 'plateLetters', 'plate'] as const;

/** Joins the parts (as written) into one plate text. */
export function platePartsText(parts: PlateParts): string {
  let text = '';
  for (const field of partOrder) {
    const part = parts[field];
    if (part !== undefined) text = text === '' ? part : `${text} ${part}`;
  }
  return text;
}

/**
 * Pre-2003 Iraqi plates name their governorate; a list that gives its code (as it does for
 * national plates) means the same governorate.
 */
function governorateForForm(form: PlateForm, governorate: string | undefined): string | undefined {
  if (form !== 'iq.legacy' || governorate === undefined) return governorate;
  const code = toAsciiDigits(governorate).trim();
  if (!/^\d{1,2}$/.test(code)) return governorate;
  return iraqGovernorates.find((candidate) => candidate.code === Number(code))?.nameAr ?? governorate;
}

/**
 * Parses a plate given in parts. Without a type it is parsePlate of the joined parts; with one,
 * the type chooses how the parts are read and must agree with the plate they make.
 */
export function parsePlateParts(jurisdiction: JurisdictionCode, parts: PlateParts): PlateResult {
  if (parts.plateType === undefined) return parsePlate(jurisdiction, platePartsText(parts));
  const type = plateTypeOf(jurisdiction, parts.plateType);
  if (!type) {
    const known = plateTypes[jurisdictions[jurisdiction].plateScheme];
    return refuse(
      'plate.type_unknown',
      'type_unknown',
      {
        given: parts.plateType,
        types: known
          .map((t) => `${t.words[0]} / ${t.words.find((w) => /[\u0600-\u06ff]/.test(w))}`)
          .join(', '),
      },
      { given: parts.plateType, types: known.map((t) => t.ar).join('، ') },
    );
  }
  const parsed = parsePlate(
    jurisdiction,
    platePartsText({ ...parts, governorate: governorateForForm(type.form, parts.governorate) }),
  );
  if (!parsed.ok) return parsed;
  const form = formOf(parsed.plate.fields);
  if (form === type.form) return parsed;
  const actual = plateTypes[jurisdictions[jurisdiction].plateScheme].find((t) => t.form === form)!;
  const plate = parsed.plate.display;
  return refuse(
    'plate.type_mismatch',
    'type_mismatch',
    { given: parts.plateType, type: type.en, plate, actual: actual.en },
    { given: parts.plateType, type: type.ar, plate, actual: actual.ar },
  );
}
