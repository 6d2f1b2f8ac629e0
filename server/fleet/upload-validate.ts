/**
 * Row validation for a read upload: each row becomes a vehicle candidate or a list of errors by
 * row and column. Warnings (formula values, short CSV rows) do not stop a row.
 *
 * Formulas: a cell whose value came from a formula is accepted with its cached result — that is
 * what the user saw in Excel — and flagged as a warning, because a formula such as
 * =A2&"-"&B2 is a legitimate way to build a plate. A formula saved without a result (a file
 * written by a program and never opened in Excel) has no value we can trust: an error when the
 * column is a vehicle field, a warning for an extra column.
 */
import { rowWords } from '../i18n/messages.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import type { PlateFields } from '../plates/plates.ts';
import { normaliseCell, toAsciiDigits } from '../sheets/normalise.ts';
import { parsePlateParts } from './plate-types.ts';
import type { VehicleField } from './upload-columns.ts';
import { columnTitles } from './upload-columns.ts';
import type { RowIssue, UploadColumn, UploadRow, UploadTable } from './upload-read.ts';

export interface VehicleCandidate {
  rowNumber: number;
  plateKey: string;
  plateFields: PlateFields;
  plateDisplay: string;
  registrationNumber?: string;
  vin?: string;
  label?: string;
  costCentre?: string;
  driver?: string;
  attributes: Record<string, string>;
}

export interface UploadValidation {
  vehicles: VehicleCandidate[];
  errors: RowIssue[];
  warnings: RowIssue[];
  /** Vehicle rows read (valid or not). */
  rowCount: number;
}

/** Longest accepted value per field; a longer one is a pasted note, not data. */
export const fieldMaxLength: Record<
  Exclude<VehicleField, 'plate' | 'plateType' | 'plateCode' | 'plateLetters' | 'governorate'>,
  number
> = {
  registrationNumber: 32,
  vin: 32,
  label: 200,
  costCentre: 100,
  driver: 200,
};
export const ATTRIBUTE_MAX_LENGTH = 500;

const VIN_LENGTH = 17;
/** ISO 3779: digits and capitals except I, O and Q (too easily read as 1 and 0). */
const VIN_CHARACTERS = /^[A-HJ-NPR-Z0-9]+$/;

type Issue = Omit<RowIssue, 'rowNumber' | 'severity'>;

function vinIssue(vin: string, column: string): Issue | null {
  if (vin.length !== VIN_LENGTH) {
    return {
      column,
      code: 'vin.invalid_length',
      ...rowWords('uploads.vin_length', { vin, length: vin.length, expected: VIN_LENGTH }),
    };
  }
  if (!VIN_CHARACTERS.test(vin)) {
    return {
      column,
      code: 'vin.invalid_character',
      ...rowWords('uploads.vin_characters', { vin }),
    };
  }
  return null;
}

/** VINs are often typed with spaces or dashes and in lower case. */
function normaliseVin(raw: string): string {
  return toAsciiDigits(raw)
    .toUpperCase()
    .replace(/[\s\-.]/g, '');
}

export interface RowVerdict {
  /** The vehicle the row describes, or null when it has errors. */
  vehicle: VehicleCandidate | null;
  /** Errors first, then warnings. */
  issues: RowIssue[];
}

type OptionalField = keyof typeof fieldMaxLength;
const optionalFields = Object.keys(fieldMaxLength) as OptionalField[];

/** A field's value, or undefined when the row has none or it is too long (then the row gets an error). */
function boundedValue(
  row: UploadRow,
  field: OptionalField,
  headers: Record<OptionalField, string>,
  errors: Issue[],
): string | undefined {
  const value = row.values[field];
  if (value === undefined) return undefined;
  const max = fieldMaxLength[field];
  if (value.length <= max) return value;
  errors.push({
    column: headers[field],
    code: 'cell.too_long',
    ...rowWords('uploads.value_too_long', { length: value.length, max }),
  });
  return undefined;
}

/**
 * Validates the rows of one file one at a time, in file order: it remembers the plates and VINs
 * seen so far, so a duplicate is reported on the later row, naming the row of the first.
 */
export function rowValidator(
  jurisdiction: JurisdictionCode,
  columns: Pick<UploadColumn, 'header' | 'field'>[],
): (row: UploadRow, readIssue: RowIssue | null) => RowVerdict {
  const firstRowByPlate = new Map<string, number>();
  const firstRowByVin = new Map<string, number>();
  const fieldByHeader = new Map(columns.map((column) => [column.header, column.field]));
  const headerOf = (field: VehicleField) =>
    columns.find((column) => column.field === field)?.header ?? columnTitles[field].en;
  const plateColumn = headerOf('plate');
  const typeColumn = headerOf('plateType');
  const vinColumn = headerOf('vin');
  const optionalHeaders = Object.fromEntries(
    optionalFields.map((field) => [field, headerOf(field)]),
  ) as Record<OptionalField, string>;

  return (row, readIssue) => {
    const rowErrors: Issue[] = [];
    const rowWarnings: Issue[] = [];
    if (readIssue) (readIssue.severity === 'error' ? rowErrors : rowWarnings).push(readIssue);
    for (const column of row.formulaColumns) {
      rowWarnings.push({
        column,
        code: 'cell.formula',
        ...rowWords('uploads.formula_value'),
      });
    }
    for (const column of row.uncalculatedColumns) {
      const issue = {
        column,
        code: 'cell.formula_no_value',
        ...rowWords('uploads.formula_no_value'),
      };
      (fieldByHeader.get(column) ? rowErrors : rowWarnings).push(issue);
    }

    const plate = parsePlateParts(jurisdiction, row.values);
    if (!plate.ok) {
      rowErrors.push({
        column:
          plate.code === 'plate.type_unknown' || plate.code === 'plate.type_mismatch'
            ? typeColumn
            : plateColumn,
        code: plate.code,
        message: plate.message,
        messageAr: plate.messageAr,
      });
    } else {
      const first = firstRowByPlate.get(plate.plate.key);
      if (first === undefined) {
        firstRowByPlate.set(plate.plate.key, row.rowNumber);
      } else {
        rowErrors.push({
          column: plateColumn,
          code: 'row.duplicate_plate',
          ...rowWords('uploads.duplicate_plate', { plate: plate.plate.display, first: String(first) }),
        });
      }
    }

    // One field at a time, in a fixed order and into a fixed shape: this runs for every row.
    const registration = boundedValue(row, 'registrationNumber', optionalHeaders, rowErrors);
    const rawVin = boundedValue(row, 'vin', optionalHeaders, rowErrors);
    const label = boundedValue(row, 'label', optionalHeaders, rowErrors);
    const costCentre = boundedValue(row, 'costCentre', optionalHeaders, rowErrors);
    const driver = boundedValue(row, 'driver', optionalHeaders, rowErrors);
    const registrationNumber =
      registration === undefined ? undefined : normaliseCell(toAsciiDigits(registration)).toUpperCase();
    let vin: string | undefined;
    if (rawVin !== undefined) {
      const normalised = normaliseVin(rawVin);
      const issue = vinIssue(normalised, vinColumn);
      if (issue) {
        rowErrors.push(issue);
      } else {
        vin = normalised;
        const first = firstRowByVin.get(vin);
        if (first === undefined) {
          firstRowByVin.set(vin, row.rowNumber);
        } else {
          rowErrors.push({
            column: vinColumn,
            code: 'row.duplicate_vin',
            ...rowWords('uploads.duplicate_vin', { vin, first: String(first) }),
          });
        }
      }
    }
    for (const header in row.attributes) {
      const value = row.attributes[header]!;
      if (value.length > ATTRIBUTE_MAX_LENGTH) {
        rowErrors.push({
          column: header,
          code: 'cell.too_long',
          ...rowWords('uploads.value_too_long', { length: value.length, max: ATTRIBUTE_MAX_LENGTH }),
        });
      }
    }

    const issues: RowIssue[] = [];
    for (const issue of rowErrors) issues.push({ ...issue, rowNumber: row.rowNumber, severity: 'error' });
    for (const issue of rowWarnings) issues.push({ ...issue, rowNumber: row.rowNumber, severity: 'warning' });
    const vehicle =
      rowErrors.length === 0 && plate.ok
        ? {
            rowNumber: row.rowNumber,
            plateKey: plate.plate.key,
            plateFields: plate.plate.fields,
            plateDisplay: plate.plate.display,
            registrationNumber,
            vin,
            label,
            costCentre,
            driver,
            attributes: row.attributes,
          }
        : null;
    return { vehicle, issues };
  };
}

/** Validates a whole read table (for small files and tests; uploads validate row by row). */
export function validateUpload(jurisdiction: JurisdictionCode, table: UploadTable): UploadValidation {
  const validate = rowValidator(jurisdiction, table.columns);
  const readIssues = new Map(table.issues.map((issue) => [issue.rowNumber, issue]));
  const result: UploadValidation = { vehicles: [], errors: [], warnings: [], rowCount: table.rows.length };
  for (const row of table.rows) {
    const verdict = validate(row, readIssues.get(row.rowNumber) ?? null);
    if (verdict.vehicle) result.vehicles.push(verdict.vehicle);
    for (const issue of verdict.issues)
      (issue.severity === 'error' ? result.errors : result.warnings).push(issue);
  }
  return result;
}
