/**
 * Which columns of a vehicle list hold the plate, decided from the headers and, where a short
 * header is ambiguous (`الرقم`, `No.`, `Type`, `Code`), from the neighbouring headers and the
 * column's first values. Every column taken for a plate part, and every ambiguous one left out,
 * carries a note saying why, which the preview shows before anything is applied.
 */
import { type MessageValues, message } from '../i18n/messages.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import { parsePlate } from '../plates/plates.ts';
import { normaliseCell, toAsciiDigits } from '../sheets/normalise.ts';
import { isPlateTypeWord } from './plate-types.ts';
import type { AmbiguousField, VehicleField } from './upload-columns.ts';
import { columnTitles } from './upload-columns.ts';

/** A column's note in both languages, from the uploads catalogue. */
const note = (
  key: string,
  values?: MessageValues,
  valuesAr: MessageValues | undefined = values,
): ColumnNote => ({
  en: message('en', `uploads.${key}`, values),
  ar: message('ar', `uploads.${key}`, valuesAr),
});

/** Data rows read before the columns are decided, when contents must decide. */
export const PLATE_COLUMN_SAMPLE_ROWS = 50;

export interface ColumnNote {
  en: string;
  ar: string;
}

export interface ProposedColumn {
  index: number;
  letter: string;
  header: string;
  /** The field the header names unambiguously, or null. */
  field: VehicleField | null;
  /** The field an ambiguous short header may stand for. */
  ambiguous: AmbiguousField | null;
}

export interface DecidedColumn {
  index: number;
  letter: string;
  header: string;
  field: VehicleField | null;
  /** Why the column was taken for a plate part, or left out although its header suggested one. */
  note: ColumnNote | null;
}

const PART_FIELDS: VehicleField[] = ['plateType', 'governorate', 'plateCode', 'plateLetters'];

/** Whether the first rows' contents are needed to decide the columns. */
export function needsContents(columns: ProposedColumn[]): boolean {
  return columns.some((column) => column.ambiguous !== null || column.field === 'plateType');
}

function valuesOf(column: ProposedColumn, sample: string[][]): string[] {
  const values: string[] = [];
  for (const texts of sample) {
    const value = normaliseCell(texts[column.index] ?? '');
    if (value !== '') values.push(toAsciiDigits(value));
  }
  return values;
}

const share = (values: string[], test: (value: string) => boolean) =>
  values.length === 0 ? 0 : values.filter(test).length / values.length;

/** Values running 1, 2, 3… (or from any start, by one): a row number, not a plate number. */
function isSequence(values: string[]): boolean {
  if (values.length < 3 || !values.every((value) => /^\d+$/.test(value))) return false;
  let steps = 0;
  for (let i = 1; i < values.length; i++) if (Number(values[i]) === Number(values[i - 1]) + 1) steps++;
  return steps / (values.length - 1) >= 0.9;
}

const isPlateNumber = (value: string) => /^\d{1,7}$/.test(value.replace(/\s/g, ''));
const isPlateCode = (value: string) => /^(\d{1,2}|\p{L}{1,3})$/u.test(value.replace(/\s/g, ''));

function quoted(columns: ProposedColumn[]): string {
  return columns.map((column) => `"${column.header}"`).join(', ');
}

const title = (field: VehicleField) => columnTitles[field];

/**
 * Decides the fields of a header row's columns. `sample` is the texts of the first data rows (may
 * be empty when `needsContents` is false). The result has a `plate` column when a plate was found.
 */
export function decidePlateColumns(
  columns: ProposedColumn[],
  sample: string[][],
  jurisdiction?: JurisdictionCode,
): DecidedColumn[] {
  const decided = new Map<ProposedColumn, { field: VehicleField | null; note: ColumnNote | null }>();
  for (const column of columns) decided.set(column, { field: column.field, note: null });
  const taken = (field: VehicleField) => columns.filter((column) => decided.get(column)!.field === field);
  const wholePlate = columns.find((column) => column.field === 'plate');

  // The plate type: by header or by a short header, only if its values are plate types.
  for (const column of columns) {
    if (column.field !== 'plateType' && column.ambiguous !== 'plateType') continue;
    const values = valuesOf(column, sample);
    const types = share(values, (value) => isPlateTypeWord(value, jurisdiction));
    const example = values.find((value) => !isPlateTypeWord(value, jurisdiction));
    const typed = taken('plateType')[0];
    if (column.ambiguous && typed) {
      decided.set(column, {
        field: null,
        note: note('column_type_elsewhere', { header: typed.header }),
      });
    } else if (types >= 0.5 || (values.length === 0 && column.field === 'plateType')) {
      decided.set(column, {
        field: 'plateType',
        note: note('column_is_type'),
      });
    } else {
      decided.set(column, {
        field: null,
        note: example ? note('column_not_type_example', { example }) : note('column_not_type'),
      });
    }
  }

  // A short "Code" is the plate code only where the plate is in parts and it holds codes.
  for (const column of columns) {
    if (column.ambiguous !== 'plateCode') continue;
    const values = valuesOf(column, sample);
    if (!wholePlate && taken('plateCode').length === 0 && share(values, isPlateCode) >= 0.8) {
      decided.set(column, {
        field: 'plateCode',
        note: note('column_is_code'),
      });
    } else {
      decided.set(column, {
        field: null,
        note: wholePlate
          ? note('column_plate_elsewhere', { header: wholePlate.header })
          : note('column_not_codes'),
      });
    }
  }

  // A short "Number" is the plate's number beside other plate parts, or the whole plate alone;
  // never a column that counts the rows.
  const parts = columns.filter((column) => PART_FIELDS.includes(decided.get(column)!.field as VehicleField));
  const partsNamed = quoted(parts);
  // Plates bought together can run on (11 ب 5001, 5002…); a serial column starts at 1, or stands
  // beside another number column that does not run on.
  const otherNumberColumn = (column: ProposedColumn) =>
    columns.some(
      (other) => other !== column && other.ambiguous === 'plate' && !isSequence(valuesOf(other, sample)),
    );
  for (const column of columns) {
    if (column.ambiguous !== 'plate') continue;
    const values = valuesOf(column, sample);
    const set = (field: VehicleField | null, said: ColumnNote) => decided.set(column, { field, note: said });
    if (wholePlate) {
      set(null, note('column_plate_elsewhere', { header: wholePlate.header }));
    } else if (taken('plate').length > 0) {
      set(null, note('column_number_taken', { header: taken('plate')[0]!.header }));
    } else if (isSequence(values) && (Number(values[0]) <= 1 || otherNumberColumn(column))) {
      const run = values.slice(0, 3);
      set(null, note('column_row_number', { values: run.join(', ') }, { values: run.join('، ') }));
    } else if (parts.length > 0 && share(values, isPlateNumber) >= 0.8) {
      set('plate', note('column_is_number', { parts: partsNamed }));
    } else if (
      parts.length === 0 &&
      share(values, (value) => (jurisdiction ? parsePlate(jurisdiction, value).ok : /\d/.test(value))) >= 0.5
    ) {
      set('plate', note('column_is_plate'));
    } else {
      set(null, note(parts.length > 0 ? 'column_not_numbers' : 'column_not_plates'));
    }
  }

  // Plate parts named by their headers: say what they were taken for.
  const plate = taken('plate')[0];
  for (const column of columns) {
    const entry = decided.get(column)!;
    if (entry.note || entry.field === null || !PART_FIELDS.includes(entry.field) || !plate) continue;
    const part = title(entry.field);
    entry.note = note(
      'column_part',
      { part: part.en.toLowerCase().replace(/^plate /, ''), header: plate.header },
      { part: part.ar, header: plate.header },
    );
  }
  return columns.map((column) => ({
    index: column.index,
    letter: column.letter,
    header: column.header,
    ...decided.get(column)!,
  }));
}
