/**
 * An authority's bulk export (CSV or XLSX of violations) as an authority provider. Every row goes
 * through the same checks as a gateway answer: the contract's violation schema (ticket, offence
 * time with its offset, type, descriptions, location, status, payment reference), the amount
 * converted exactly from major units to bigint minor units, the jurisdiction's currency, each
 * ticket once.
 *
 * Coverage rule: a plate with rows is `ok` with those rows; a plate without rows is `ok` with no
 * violations only if the export is declared to cover that plate (`coveredPlates`: a list, or
 * `'all'` when the importer declares the file the authority's complete answer for every plate);
 * any other plate is `failed`, because absence from a file proves nothing. A plate with any bad
 * row is `failed` too, never answered in part. The file cannot say a plate is unknown, so it
 * never answers `not_found`.
 *
 * The file is read by ../sheets/read.ts (type from the bytes, zip guard, strict decoding, capped
 * cells), off the event loop with `readAuthorityExportOffThread` (export-read.ts). Whole-file problems throw
 * `AuthorityExportError`; row problems are collected with their row and column
 * (`AuthorityExport.problems`), so an import can refuse the file naming every one while the
 * provider fails only the plates concerned.
 */
import type { Words } from '../errors.ts';
import { issueSentence } from '../i18n/issues.ts';
import { bilingual, type Language, message, type RowWords, rowWords } from '../i18n/messages.ts';
import { reasonText } from '../i18n/reasons.ts';
import { type JurisdictionCode, jurisdictions } from '../jurisdictions/profiles.ts';
import { parseMajor } from '../money/money.ts';
import { columnLetter } from '../sheets/columns.ts';
import { foldForMatching, normaliseCell, toAsciiDigits } from '../sheets/normalise.ts';
import {
  readSheet,
  readSheetText,
  SheetError,
  type SheetFormat,
  type SheetLimits,
  type SheetSink,
} from '../sheets/read.ts';
import { type ExcelValue, excelText, isFormula } from '../sheets/records.ts';
import { readAnswer } from './answer.ts';
import {
  type AuthorityProvider,
  type PlateLookup,
  type WireViolation,
  wireViolationSchema,
} from './contract.ts';
import {
  type ExportColumn,
  exportColumnTitlesAr,
  matchExportHeader,
  requiredExportColumns,
  statusIndex,
} from './export-columns.ts';
import { type ExportRowProblem, exportProblem, exportRowReason, readExportPlate } from './export-problems.ts';

/** A contract check's refusal as a row's problem: zod's English, the catalogue's Arabic. */
function issueRowWords(issue: Parameters<typeof issueSentence>[0]): RowWords {
  const { en, ar } = issueSentence(issue);
  return { message: en, messageAr: ar };
}

/* ------------------------------------------------------------------ errors */

export type AuthorityExportErrorKind =
  | 'too_large'
  | 'too_many_rows'
  | 'unsupported_type'
  | 'zip_bomb'
  | 'corrupt'
  | 'encoding'
  | 'empty'
  | 'missing_column'
  | 'duplicate_header'
  | 'cell_too_large'
  | 'invalid_row';

/**
 * The whole export is refused. `row`/`column` say where, when one place is to blame. Given
 * `Words`, the Arabic is `messageAr`.
 */
export class AuthorityExportError extends Error {
  override readonly name = 'AuthorityExportError';
  readonly kind: AuthorityExportErrorKind;
  readonly messageAr: string | null;
  readonly row: number | undefined;
  readonly column: string | undefined;
  constructor(
    kind: AuthorityExportErrorKind,
    message: string | Words,
    where: { row?: number; column?: string; cause?: unknown } = {},
  ) {
    super(typeof message === 'string' ? message : message.en, { cause: where.cause });
    this.messageAr = typeof message === 'string' ? null : message.ar;
    this.kind = kind;
    this.row = where.row;
    this.column = where.column;
  }
}

/* ------------------------------------------------------------------ limits */

/** A sheet's limits (size, zip, cells) and the most violation rows an export may have. */
export interface ExportLimits extends SheetLimits {
  maxRows: number;
  maxCellChars: number;
}

export const defaultExportLimits: ExportLimits = {
  maxBytes: 25 * 1024 * 1024,
  maxRows: 300_000,
  maxUncompressedBytes: 250 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxZipEntries: 500,
  maxCellChars: 4_000,
};

/** A title above the header is common; look this many non-blank rows down for it. */
const HEADER_SEARCH_ROWS = 10;

/* -------------------------------------------------------------------- rows */

interface RawCell {
  text: string;
  /** An XLSX date cell: a wall-clock time without a zone. */
  date: boolean;
}

interface RawRow {
  rowNumber: number;
  cells: RawCell[];
}

const textCell = (text: string): RawCell => ({ text, date: false });

/** A date cell (also as a formula's result) carries no zone: it is flagged, not read as text. */
function xlsxCell(value: ExcelValue): RawCell {
  const shown = isFormula(value) ? ((value.result ?? null) as ExcelValue) : value;
  if (shown instanceof Date) return { text: shown.toISOString(), date: true };
  return textCell(excelText(shown));
}

/** The refusal of a whole file, in the words of an export. */
function exportRefusal(error: SheetError): AuthorityExportError {
  const where = { cause: error, ...(error.row === undefined ? {} : { row: error.row }) };
  const sentence = (language: Language, detail: string) => {
    const row = String(error.row);
    const place =
      error.row === undefined
        ? ''
        : error.column
          ? message(language, 'exports.where_row_column', { row, column: error.column })
          : message(language, 'exports.where_row', { row });
    const then =
      error.advice !== null
        ? `. ${language === 'en' ? error.advice : error.adviceAr}`
        : error.reason === 'not_workbook'
          ? message(language, 'exports.advice_not_workbook')
          : error.reason === 'text'
            ? message(language, 'exports.advice_text')
            : '';
    return `${place}${detail}${then}`;
  };
  const words = { en: sentence('en', error.detail), ar: sentence('ar', error.detailAr) };
  return new AuthorityExportError(error.kind, words, {
    ...where,
    ...(error.column === undefined ? {} : { column: error.column }),
  });
}

/** Collects a file's non-blank rows, one more than the cap at most (enough to report it). */
function rowCollector(limits: ExportLimits): { rows: RawRow[]; sink: SheetSink } {
  const rows: RawRow[] = [];
  const cap = limits.maxRows + HEADER_SEARCH_ROWS + 1;
  const sink: SheetSink = {
    row(row) {
      rows.push({
        rowNumber: row.rowNumber,
        cells: row.values === null ? row.texts.map(textCell) : row.values.map(xlsxCell),
      });
      return rows.length <= cap;
    },
  };
  return { rows, sink };
}

const refusalOf = (error: unknown) => (error instanceof SheetError ? exportRefusal(error) : error);

/* ------------------------------------------------------------------ export */

export interface AuthorityExportColumn {
  field: ExportColumn;
  header: string;
  letter: string;
  index: number;
}

/** A read export: its good rows by plate, and every problem found. */
export interface AuthorityExport {
  jurisdiction: JurisdictionCode;
  format: 'csv' | 'xlsx';
  headerRow: number;
  columns: AuthorityExportColumn[];
  /** Violation rows read (good and bad). */
  rows: number;
  /** Good rows, in file order, by plate key. */
  byPlate: Map<string, WireViolation[]>;
  /** Every row problem, in file order. */
  problems: ExportRowProblem[];
  /** The first problem of each plate that has one: that plate cannot be answered. */
  plateProblems: Map<string, ExportRowProblem>;
  /** Problems of rows whose plate could not be read: no plate's answer can be trusted whole. */
  unattributed: ExportRowProblem[];
}

const wireField: Record<string, ExportColumn> = {
  ticketNumber: 'ticket_number',
  offenceAt: 'offence_at',
  typeCode: 'type_code',
  descriptionAr: 'description_ar',
  descriptionEn: 'description_en',
  location: 'location',
  amountMinor: 'amount',
  currency: 'currency',
  status: 'status',
  authorityPaymentRef: 'payment_ref',
};

function findHeader(rows: RawRow[]): { row: RawRow; columns: AuthorityExportColumn[] } {
  const first = rows[0];
  if (!first) throw new AuthorityExportError('empty', bilingual('exports.empty'));
  for (const row of rows.slice(0, HEADER_SEARCH_ROWS)) {
    const columns: AuthorityExportColumn[] = [];
    row.cells.forEach((cell, index) => {
      const header = normaliseCell(cell.text);
      const field = header === '' ? null : matchExportHeader(header);
      if (field) columns.push({ field, header, letter: columnLetter(index), index });
    });
    const fields = new Set(columns.map((c) => c.field));
    if (!fields.has('plate_key') || !fields.has('ticket_number')) continue;
    for (const column of columns) {
      const twin = columns.find((c) => c.field === column.field && c.index < column.index);
      if (twin) {
        const pair = {
          row: String(row.rowNumber),
          first: twin.letter,
          firstHeader: twin.header,
          second: column.letter,
          secondHeader: column.header,
          field: column.field,
        };
        throw new AuthorityExportError('duplicate_header', bilingual('exports.duplicate_header', pair), {
          row: row.rowNumber,
          column: column.header,
        });
      }
    }
    const missing = requiredExportColumns.filter((field) => !fields.has(field));
    if (missing.length > 0) {
      const columns = missing.map((m) => `"${m}" / "${exportColumnTitlesAr[m]}"`).join(', ');
      throw new AuthorityExportError(
        'missing_column',
        bilingual('exports.missing_columns', { row: String(row.rowNumber), columns }),
        { row: row.rowNumber },
      );
    }
    return { row, columns };
  }
  const seen = first.cells
    .map((cell) => normaliseCell(cell.text))
    .filter((h) => h !== '')
    .map((h) => `"${h}"`)
    .join(', ');
  const noHeader = (language: Language) =>
    message(language, 'exports.no_header', { seen: seen || message(language, 'exports.no_headers') });
  throw new AuthorityExportError(
    'missing_column',
    { en: noHeader('en'), ar: noHeader('ar') },
    { row: first.rowNumber },
  );
}

function buildExport(
  jurisdiction: JurisdictionCode,
  format: AuthorityExport['format'],
  rows: RawRow[],
  limits: ExportLimits,
): AuthorityExport {
  const header = findHeader(rows);
  const data = rows.filter((row) => row.rowNumber > header.row.rowNumber);
  if (data.length === 0) throw new AuthorityExportError('empty', bilingual('exports.no_rows'));
  if (data.length > limits.maxRows) {
    throw new AuthorityExportError(
      'too_many_rows',
      bilingual('exports.too_many_rows', { max: String(limits.maxRows) }),
      { row: data[limits.maxRows]!.rowNumber },
    );
  }
  const profile = jurisdictions[jurisdiction];
  const byField = new Map(header.columns.map((c) => [c.field, c]));
  const headerWidth = header.row.cells.length;

  const result: AuthorityExport = {
    jurisdiction,
    format,
    headerRow: header.row.rowNumber,
    columns: header.columns,
    rows: data.length,
    byPlate: new Map(),
    problems: [],
    plateProblems: new Map(),
    unattributed: [],
  };
  const ticketRows = new Map<string, { row: number; plateKey: string }>();

  for (const row of data) {
    const cellOf = (field: ExportColumn): RawCell | undefined => {
      const column = byField.get(field);
      return column ? row.cells[column.index] : undefined;
    };
    const text = (field: ExportColumn) => normaliseCell(cellOf(field)?.text ?? '');
    const problem = (field: ExportColumn | null, words: RowWords): ExportRowProblem => {
      const column = field === null ? undefined : byField.get(field);
      return {
        row: row.rowNumber,
        column: column?.header ?? null,
        columnLetter: column?.letter ?? null,
        field,
        ...words,
      };
    };
    const rowProblems: ExportRowProblem[] = [];

    const plate = readExportPlate(jurisdiction, text('plate_key'));
    if (!plate.ok) rowProblems.push(problem('plate_key', plate));

    if (
      format === 'csv' &&
      row.cells.length > headerWidth &&
      row.cells.slice(headerWidth).some((c) => c.text.trim() !== '')
    ) {
      rowProblems.push(
        problem(
          null,
          rowWords('reasons.lookup.export_row_ragged', {
            width: row.cells.length,
            headerWidth: String(headerWidth),
          }),
        ),
      );
    }

    const amountText = toAsciiDigits(text('amount'));
    const amount = parseMajor(amountText, profile.minorUnits);
    if (amount === undefined) {
      const values = {
        text: JSON.stringify(amountText),
        currency: profile.currency,
        decimals: String(profile.minorUnits),
      };
      rowProblems.push(problem('amount', rowWords('reasons.lookup.export_bad_amount', values)));
    }
    if (cellOf('offence_at')?.date) {
      rowProblems.push(problem('offence_at', rowWords('reasons.lookup.export_excel_date')));
    }
    const statusText = text('status');
    const status = statusIndex.get(foldForMatching(statusText));
    if (!status) {
      rowProblems.push(
        problem('status', rowWords('reasons.lookup.export_bad_status', { text: JSON.stringify(statusText) })),
      );
    }
    const currency = text('currency').toUpperCase();
    const candidate = {
      ticketNumber: text('ticket_number'),
      offenceAt: toAsciiDigits(text('offence_at')),
      typeCode: text('type_code'),
      descriptionAr: text('description_ar'),
      descriptionEn: text('description_en'),
      location: text('location'),
      amountMinor: (amount ?? 0n).toString(),
      currency,
      status: status ?? 'unpaid',
      authorityPaymentRef: text('payment_ref') || null,
    };
    const checked = wireViolationSchema.safeParse(candidate);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        const field = wireField[String(issue.path[0])] ?? null;
        if (rowProblems.some((p) => p.field === field)) continue;
        const words =
          field === 'offence_at'
            ? rowWords('reasons.lookup.export_bad_offence_at', { text: JSON.stringify(candidate.offenceAt) })
            : field === 'currency'
              ? rowWords('reasons.lookup.export_bad_currency', {
                  text: JSON.stringify(currency),
                  expected: profile.currency,
                })
              : candidate[String(issue.path[0]) as keyof typeof candidate] === ''
                ? rowWords('reasons.lookup.export_empty_cell')
                : issueRowWords(issue);
        rowProblems.push(problem(field, words));
      }
    }
    if (checked.success && currency !== profile.currency) {
      const words = rowWords('reasons.lookup.export_wrong_currency', {
        currency,
        expected: profile.currency,
        jurisdiction,
      });
      rowProblems.push(problem('currency', words));
    }
    if (candidate.ticketNumber !== '') {
      const earlier = ticketRows.get(candidate.ticketNumber);
      if (earlier) {
        const twice = problem(
          'ticket_number',
          rowWords('reasons.lookup.export_ticket_twice', {
            ticket: candidate.ticketNumber,
            row: String(earlier.row),
          }),
        );
        rowProblems.push(twice);
        // The earlier row's plate cannot be answered either: which row is right is unknown.
        if (!result.plateProblems.has(earlier.plateKey)) result.plateProblems.set(earlier.plateKey, twice);
      } else if (plate.ok) {
        ticketRows.set(candidate.ticketNumber, { row: row.rowNumber, plateKey: plate.key });
      }
    }

    result.problems.push(...rowProblems);
    if (!plate.ok) {
      result.unattributed.push(...rowProblems);
      continue;
    }
    const first = rowProblems[0];
    if (first) {
      if (!result.plateProblems.has(plate.key)) result.plateProblems.set(plate.key, first);
      continue;
    }
    const list = result.byPlate.get(plate.key);
    const violation = checked.data as WireViolation;
    if (list) list.push(violation);
    else result.byPlate.set(plate.key, [violation]);
  }
  return result;
}

/** Reads an export already decoded to text (CSV only). */
export function readAuthorityExportCsv(
  jurisdiction: JurisdictionCode,
  text: string,
  limits: ExportLimits = defaultExportLimits,
): AuthorityExport {
  const { rows, sink } = rowCollector(limits);
  try {
    readSheetText(text, limits, sink);
  } catch (error) {
    throw refusalOf(error);
  }
  return buildExport(jurisdiction, 'csv', rows, limits);
}

/**
 * Reads an export file (CSV in UTF-8/UTF-16/Windows-1256, or XLSX) safely. Throws
 * `AuthorityExportError` when the whole file is refused; row problems are in the result.
 */
export async function readAuthorityExport(
  jurisdiction: JurisdictionCode,
  bytes: Uint8Array,
  limits: ExportLimits = defaultExportLimits,
): Promise<AuthorityExport> {
  const { rows, sink } = rowCollector(limits);
  let format: SheetFormat;
  try {
    format = (await readSheet({ bytes }, limits, sink)).format;
  } catch (error) {
    throw refusalOf(error);
  }
  return buildExport(jurisdiction, format, rows, limits);
}

/* ---------------------------------------------------------------- provider */

export type FileProviderOptions = {
  jurisdiction: JurisdictionCode;
  /**
   * Plates the export declares it covers completely, or `'all'`: the export is the authority's
   * complete answer for every plate it will be asked about.
   */
  coveredPlates?: Iterable<string> | 'all';
} & ({ csv: string } | { parsed: AuthorityExport });

export function createFileAuthorityProvider(options: FileProviderOptions): AuthorityProvider {
  const { jurisdiction } = options;
  const parsed = 'parsed' in options ? options.parsed : readAuthorityExportCsv(jurisdiction, options.csv);
  if (parsed.jurisdiction !== jurisdiction) {
    throw new Error(`the export was read for ${parsed.jurisdiction}, not ${jurisdiction}`);
  }
  const firstUnattributed = parsed.unattributed[0];
  if (firstUnattributed) {
    // A row that belongs to no readable plate may be any plate's missing violation.
    throw new AuthorityExportError('invalid_row', exportProblem(firstUnattributed), {
      row: firstUnattributed.row,
      ...(firstUnattributed.column === null ? {} : { column: firstUnattributed.column }),
    });
  }
  const coversAll = options.coveredPlates === 'all';
  const covered = new Set(options.coveredPlates === 'all' ? [] : (options.coveredPlates ?? []));

  return {
    async queryPlates(plateKeys) {
      const unique = [...new Set(plateKeys)];
      const answerable = unique.filter(
        (p) => !parsed.plateProblems.has(p) && (parsed.byPlate.has(p) || coversAll || covered.has(p)),
      );
      const reading = readAnswer(jurisdiction, answerable, {
        jurisdiction,
        asOf: new Date().toISOString(),
        results: answerable.map((plateKey) => ({
          plateKey,
          status: 'ok',
          violations: parsed.byPlate.get(plateKey) ?? [],
        })),
      });
      if (!reading.ok) throw new AuthorityExportError('invalid_row', reading.problem);
      const lookups = new Map<string, PlateLookup>();
      for (const plateKey of unique) {
        const outcome = reading.plates.get(plateKey);
        if (outcome?.kind === 'ok') lookups.set(plateKey, { status: 'ok', violations: outcome.violations });
        else {
          const problem = parsed.plateProblems.get(plateKey);
          const lastError = problem
            ? exportRowReason(problem)
            : outcome?.kind === 'retry'
              ? reasonText('lookup.export_retry', { reason: outcome.problem })
              : reasonText('lookup.not_in_export');
          lookups.set(plateKey, { status: 'failed', attempts: 1, lastError });
        }
      }
      return lookups;
    },
  };
}
