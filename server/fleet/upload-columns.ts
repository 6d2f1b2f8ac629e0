/**
 * The columns a vehicle list may have, and the Arabic and English headers people give them.
 * Matching ignores case, spacing, punctuation, diacritics and letter variants (see foldForMatching).
 */
import { bilingual } from '../i18n/messages.ts';
import { headerMatcher } from '../sheets/columns.ts';

export const vehicleFields = [
  'plate',
  'plateType',
  'plateCode',
  'plateLetters',
  'governorate',
  'registrationNumber',
  'vin',
  'label',
  'costCentre',
  'driver',
] as const;

export type VehicleField = (typeof vehicleFields)[number];

/** Each field's title in both languages (uploads catalogue), for templates and messages. */
export const columnTitles = Object.fromEntries(
  vehicleFields.map((field) => [field, bilingual(`uploads.field_${field}`)]),
) as Record<VehicleField, { en: string; ar: string }>;

const synonyms: Record<VehicleField, string[]> = {
  plate: [
    'plate',
    'plates',
    'plate no',
    'plate number',
    'plate #',
    'licence plate',
    'license plate',
    'plate num',
    'number plate',
    'رقم اللوحة',
    'رقم اللوحه',
    'اللوحة',
    'لوحة',
    'رقم لوحة',
    'ارقام اللوحة',
    'رقم المركبة',
    'رقم السيارة',
    'plate digits',
  ],
  plateType: ['plate type', 'type of plate', 'plate kind', 'نوع اللوحة', 'صنف اللوحة', 'فئة اللوحة'],
  plateCode: ['plate code', 'code of plate', 'رمز اللوحة', 'رمز', 'الرمز', 'كود اللوحة', 'رمز المركبة'],
  plateLetters: [
    'plate letters',
    'plate letter',
    'letters',
    'letter',
    'حروف اللوحة',
    'حرف اللوحة',
    'الحروف',
    'الحرف',
    'حروف',
    'حرف',
  ],
  governorate: ['governorate', 'gov', 'governorate code', 'province', 'المحافظة', 'محافظة', 'رمز المحافظة'],
  registrationNumber: [
    'registration',
    'registration no',
    'registration number',
    'reg no',
    'reg number',
    'رقم التسجيل',
    'التسجيل',
    'رقم الترخيص',
    'رقم الرخصة',
    'رقم رخصة المركبة',
  ],
  vin: [
    'vin',
    'vin no',
    'vin number',
    'chassis',
    'chassis no',
    'chassis number',
    'رقم الشاصي',
    'رقم الشاصى',
    'الشاصي',
    'رقم الشاسيه',
    'رقم الشاسي',
    'رقم الهيكل',
  ],
  label: [
    'label',
    'description',
    'vehicle name',
    'vehicle',
    'name',
    'الوصف',
    'اسم المركبة',
    'البيان',
    'وصف المركبة',
  ],
  costCentre: [
    'cost centre',
    'cost center',
    'cost centre code',
    'cc',
    'مركز الكلفة',
    'مركز التكلفة',
    'مركز الكلفه',
  ],
  driver: ['driver', 'driver name', 'السائق', 'اسم السائق', 'سائق'],
};

/** The field a header names, or null for an unknown column (kept as an attribute). */
export const matchHeader = headerMatcher<VehicleField>(
  vehicleFields.flatMap((field) =>
    [...synonyms[field], columnTitles[field].en, columnTitles[field].ar].map(
      (phrase) => [phrase, field] as [string, VehicleField],
    ),
  ),
);

/**
 * Short headers that name a plate part only in context: `الرقم` or `No.` may be the plate's
 * number or a row number, `Type` the plate's type or the vehicle's, `Code` the plate code or an
 * internal one. The header proposes the field; neighbouring headers and the column's contents
 * decide (see plate-columns.ts).
 */
export const ambiguousHeaderFields = ['plate', 'plateType', 'plateCode'] as const;
export type AmbiguousField = (typeof ambiguousHeaderFields)[number];

const ambiguousSynonyms: Record<AmbiguousField, string[]> = {
  plate: ['no', 'number', 'num', 'nr', 'digits', 'numbers', 'الرقم', 'رقم', 'الارقام', 'ارقام', 'الأرقام'],
  plateType: ['type', 'kind', 'category', 'النوع', 'نوع', 'الصنف', 'الفئة'],
  plateCode: ['code', 'الكود', 'كود'],
};

/** The field an ambiguous short header may stand for, or null. */
export const matchAmbiguousHeader = headerMatcher<AmbiguousField>(
  ambiguousHeaderFields.flatMap((field) =>
    ambiguousSynonyms[field].map((phrase) => [phrase, field] as [string, AmbiguousField]),
  ),
);
