/**
 * Reads an uploaded vehicle list (CSV or XLSX) into rows keyed by vehicle field, safely: the real
 * type comes from the bytes, sizes are checked before anything is decompressed or parsed, and
 * rows are counted while streaming. Row numbers are the ones the user sees in the spreadsheet.
 */
import type { Words } from '../errors.ts';
import { bilingual, type Language, message, rowWords } from '../i18n/messages.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import { columnLetter } from '../sheets/columns.ts';
import type { CsvEncoding } from '../sheets/csv-text.ts';
import { normaliseCell } from '../sheets/normalise.ts';
import { readSheet, SheetError, type SheetLimits, type SheetRow } from '../sheets/read.ts';
import { isFormula } from '../sheets/records.ts';
import type { ColumnNote, ProposedColumn } from './plate-columns.ts';
import { decidePlateColumns, needsContents, PLATE_COLUMN_SAMPLE_ROWS } from './plate-columns.ts';
import type { VehicleField } from './upload-columns.ts';
import { columnTitles, matchAmbiguousHeader, matchHeader } from './upload-columns.ts';
import { UploadError } from './upload-error.ts';
import { isReportColumn } from './upload-report-columns.ts';

export interface UploadLimits extends SheetLimits {
  /** Vehicle rows (not counting header or blank rows). */
  maxRows: number;
  maxCellChars: number;
}

export const defaultUploadLimits: UploadLimits = {
  maxBytes: 10 * 1024 * 1024,
  maxRows: 20_000,
  maxUncompressedBytes: 100 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxZipEntries: 500,
  maxCellChars: 4_000,
};

/** A title or a note above the header is common; look this many non-blank rows down for it. */
const HEADER_SEARCH_ROWS = 10;

export interface ReadOptions {
  limits: UploadLimits;
  /** The account's jurisdiction: its plate forms help decide ambiguous plate columns. */
  jurisdiction?: JurisdictionCode;
}

export interface UploadFile {
  fileName: string;
  bytes: Uint8Array;
}

export interface UploadColumn {
  /** Zero-based position in the sheet. */
  index: number;
  /** Spreadsheet column letter, for messages. */
  letter: string;
  /** Header as written in the file (cleaned of invisibles). */
  header: string;
  /** The vehicle field it maps to, or null for a column kept as an attribute. */
  field: VehicleField | null;
  /** Why it was taken for a plate part (or, with a plate-like header, why not); for the preview. */
  note: ColumnNote | null;
}

export interface UploadRow {
  rowNumber: number;
  values: Partial<Record<VehicleField, string>>;
  /** Unknown columns, by header. */
  attributes: Record<string, string>;
  /** Headers of cells whose value is a formula's cached result. */
  formulaColumns: string[];
  /** Headers of formula cells saved without a result (the file was never calculated). */
  uncalculatedColumns: string[];
}

export type RowIssueSeverity = 'error' | 'warning';

export interface RowIssue {
  rowNumber: number;
  /** Header of the column concerned, or null for the whole row. */
  column: string | null;
  code: string;
  severity: RowIssueSeverity;
  message: string;
  messageAr: string;
}

export interface UploadTable {
  fileName: string;
  format: 'csv' | 'xlsx';
  encoding: CsvEncoding | null;
  delimiter: string | null;
  headerRowNumber: number;
  columns: UploadColumn[];
  rows: UploadRow[];
  /** Row-level problems found while reading (ragged CSV rows). */
  issues: RowIssue[];
}

/** A row as read: cell texts, and for XLSX which of them came from formulas. */
interface RawRow {
  rowNumber: number;
  texts: string[];
  /** Per cell: 'cached' (a formula's saved result), 'uncalculated' (a formula with none) or null; null for CSV. */
  formulas: Array<'cached' | 'uncalculated' | null> | null;
}

/** Where the rows of a file go as they are read. */
export interface UploadRowSink {
  /** Called once, when the header row is found, before any row. */
  header(header: UploadHeader): void;
  /** Each vehicle row in file order, with the problem found while reading it (a ragged CSV row), if any. */
  row(row: UploadRow, readIssue: RowIssue | null): void;
}

export type UploadHeader = Omit<UploadTable, 'rows' | 'issues'>;

/* ------------------------------------------------------------------- cells */

/** A sheet's row with, for XLSX, which cells are formulas with or without a saved result. */
function rawRow(row: SheetRow): RawRow {
  if (row.values === null) return { rowNumber: row.rowNumber, texts: row.texts, formulas: null };
  const formulas: RawRow['formulas'] = row.values.map((value) => {
    if (!isFormula(value)) return null;
    return value.result !== undefined && value.result !== null ? 'cached' : 'uncalculated';
  });
  return { rowNumber: row.rowNumber, texts: row.texts, formulas };
}

/* ------------------------------------------------------------------ rows */

function columnsFrom(file: UploadFile, row: RawRow): ProposedColumn[] {
  const columns: ProposedColumn[] = [];
  row.texts.forEach((text, index) => {
    const header = normaliseCell(text);
    // A column without a header has no name to keep its values under; it is ignored.
    if (header === '') return;
    const field = matchHeader(header);
    const ambiguous = field === null ? matchAmbiguousHeader(header) : null;
    columns.push({ index, letter: columnLetter(index), header, field, ambiguous });
  });
  const seen = new Map<string, ProposedColumn>();
  for (const column of columns) {
    const identity = column.field ?? `attribute:${column.header.toLowerCase()}`;
    const first = seen.get(identity);
    if (first) {
      const pair = {
        first: first.letter,
        firstHeader: first.header,
        second: column.letter,
        secondHeader: column.header,
      };
      const field = column.field;
      throw new UploadError(
        'upload.duplicate_header',
        { fileName: file.fileName, rowNumber: row.rowNumber, column: column.header },
        field
          ? {
              en: message('en', 'uploads.file_duplicate_field', { ...pair, field: columnTitles[field].en }),
              ar: message('ar', 'uploads.file_duplicate_field', { ...pair, field: columnTitles[field].ar }),
            }
          : bilingual('uploads.file_duplicate_name', pair),
      );
    }
    seen.set(identity, column);
  }
  return columns;
}

const both = (field: VehicleField) => `"${columnTitles[field].ar}" / "${columnTitles[field].en}"`;

/** The plate's columns a list may have instead of one plate column, per jurisdiction (headers as a file may write them). */
const plateInParts: Record<JurisdictionCode, string> = {
  IQ: `${both('plateType')}, ${both('governorate')}, "الحرف" / "Letter", "الرقم" / "No."`,
  JO: `"الرمز" / "Code", "الرقم" / "No."`,
  EG: `"الحروف" / "Letters", "الأرقام" / "Digits"`,
};

/** What a list needs for its plate: Arabic and English headers, described in `language`. */
function describeExpected(language: Language, jurisdiction: JurisdictionCode | undefined): string {
  const schemes = jurisdiction ? [jurisdiction] : (['IQ', 'JO', 'EG'] as const);
  const split = schemes.map((code) =>
    message(language, 'uploads.file_expected_parts', {
      headers: plateInParts[code],
      // English names the country in both languages, as the headers are.
      country:
        language === 'en'
          ? `${message('en', `statements.jurisdiction_${code}`)} / ${message('ar', `statements.jurisdiction_${code}`)}`
          : message('ar', `statements.jurisdiction_${code}`),
    }),
  );
  return message(language, 'uploads.file_expected', {
    plate: both('plate'),
    parts: split.join(message(language, 'uploads.file_expected_separator')),
  });
}

/**
 * Turns raw rows into vehicle rows as they come: skips blank rows, finds the header within the
 * first rows, checks cell sizes and the row cap, and hands each row to the sink. Throws
 * `UploadError` as soon as the file is refused.
 */
class RowReader {
  #header: { rowNumber: number; width: number; columns: UploadColumn[]; lastNamed: number } | null = null;
  /** A header row whose plate columns its first data rows must decide, and those rows so far. */
  #pending: { row: RawRow; columns: ProposedColumn[]; rows: RawRow[] } | null = null;
  /** Why the last header row with a plate-like header was not taken, for the missing-column error. */
  #refused: { row: RawRow; columns: UploadColumn[] } | null = null;
  #firstNonBlank: RawRow | null = null;
  #searched = 0;
  #count = 0;

  readonly file: UploadFile;
  readonly format: UploadTable['format'];
  readonly limits: UploadLimits;
  readonly sink: UploadRowSink;
  readonly source: { encoding: CsvEncoding | null; delimiter: string | null };
  readonly jurisdiction: JurisdictionCode | undefined;

  constructor(
    file: UploadFile,
    format: UploadTable['format'],
    options: ReadOptions,
    sink: UploadRowSink,
    source: { encoding: CsvEncoding | null; delimiter: string | null },
  ) {
    this.file = file;
    this.format = format;
    this.limits = options.limits;
    this.jurisdiction = options.jurisdiction;
    this.sink = sink;
    this.source = source;
  }

  /** Takes the next non-blank row; false when reading should stop (no header in the first rows). */
  push(row: RawRow): boolean {
    if (this.#pending) {
      this.#pending.rows.push(row);
      if (this.#pending.rows.length >= PLATE_COLUMN_SAMPLE_ROWS) this.#decide();
      return true;
    }
    if (!this.#header) return this.#lookForHeader(row);
    this.#deliver(row);
    return true;
  }

  #deliver(row: RawRow): void {
    const header = this.#header!;
    if (this.#count >= this.limits.maxRows) {
      throw new UploadError(
        'upload.too_many_rows',
        { fileName: this.file.fileName, rowNumber: row.rowNumber },
        bilingual('uploads.file_too_many_rows', { max: String(this.limits.maxRows) }),
      );
    }
    this.#count += 1;
    this.sink.row(toUploadRow(row, header.columns), this.#raggedIssue(row));
  }

  /**
   * A row is the header when it names a plate column, or a short header that may be the plate's
   * number (`الرقم`, `No.`): then its first data rows decide (see plate-columns.ts).
   */
  #lookForHeader(row: RawRow): boolean {
    this.#firstNonBlank ??= row;
    this.#searched += 1;
    const columns = columnsFrom(this.file, row);
    if (columns.some((column) => column.field === 'plate' || column.ambiguous === 'plate')) {
      if (!needsContents(columns)) this.#accept(row, decidePlateColumns(columns, [], this.jurisdiction));
      else this.#pending = { row, columns, rows: [] };
      return true;
    }
    return this.#searched < HEADER_SEARCH_ROWS;
  }

  /** Decides the pending header's columns from the rows read under it, then hands those rows on. */
  #decide(): void {
    const pending = this.#pending!;
    this.#pending = null;
    const columns = decidePlateColumns(
      pending.columns,
      pending.rows.map((row) => row.texts),
      this.jurisdiction,
    );
    if (!columns.some((column) => column.field === 'plate')) {
      this.#refused = { row: pending.row, columns };
      return;
    }
    this.#accept(pending.row, columns);
    for (const row of pending.rows) this.#deliver(row);
  }

  #accept(row: RawRow, columns: UploadColumn[]): void {
    // The errors file's own columns (why a row was rejected) never become vehicle attributes.
    const kept = columns.filter((column) => column.field !== null || !isReportColumn(column.header));
    this.#header = {
      rowNumber: row.rowNumber,
      width: row.texts.length,
      columns: kept,
      lastNamed: Math.max(...kept.map((column) => column.index)),
    };
    this.sink.header({
      fileName: this.file.fileName,
      format: this.format,
      encoding: this.source.encoding,
      delimiter: this.source.delimiter,
      headerRowNumber: row.rowNumber,
      columns: kept,
    });
  }

  /** Checks what only the whole file can tell: that it had a header and vehicle rows. */
  finish(): void {
    if (this.#pending) this.#decide();
    const fileName = this.file.fileName;
    if (!this.#firstNonBlank)
      throw new UploadError('upload.empty', { fileName }, bilingual('uploads.file_empty'));
    if (!this.#header) {
      const refused = this.#refused;
      const headerRow = refused?.row ?? this.#firstNonBlank;
      const seen = columnsFrom(this.file, headerRow)
        .map((column) => `"${column.header}"`)
        .join(', ');
      const noPlate = (language: Language) =>
        message(language, 'uploads.file_no_plate', {
          seen: seen || message(language, 'uploads.file_headers_none'),
          why: (refused?.columns ?? [])
            .filter((column) => column.note)
            .map((column) =>
              message(language, 'uploads.file_header_not_taken', {
                header: column.header,
                note: column.note![language],
              }),
            )
            .join(''),
          expected: describeExpected(language, this.jurisdiction),
        });
      throw new UploadError(
        'upload.missing_column',
        { fileName, rowNumber: headerRow.rowNumber },
        { en: noPlate('en'), ar: noPlate('ar') },
      );
    }
    if (this.#count === 0) {
      throw new UploadError('upload.empty', { fileName }, bilingual('uploads.file_no_rows'));
    }
  }

  /**
   * A CSV row with more cells than the header has lost its alignment (an unquoted comma in a
   * label shifts every column after it): an error. Fewer cells is a warning — the missing ones are
   * read as empty, which is what spreadsheets do. XLSX rows cannot be ragged.
   */
  #raggedIssue(row: RawRow): RowIssue | null {
    if (this.format !== 'csv') return null;
    const { width: headerWidth, lastNamed } = this.#header!;
    const width = row.texts.length;
    if (width > headerWidth && row.texts.slice(headerWidth).some((text) => text.trim() !== '')) {
      return {
        rowNumber: row.rowNumber,
        column: null,
        code: 'row.ragged',
        severity: 'error',
        ...rowWords('uploads.row_ragged', { width, headerWidth }),
      };
    }
    if (width <= lastNamed) {
      return {
        rowNumber: row.rowNumber,
        column: null,
        code: 'row.short',
        severity: 'warning',
        ...rowWords('uploads.row_short', { width, headerWidth }),
      };
    }
    return null;
  }
}

function toUploadRow(row: RawRow, columns: UploadColumn[]): UploadRow {
  const result: UploadRow = {
    rowNumber: row.rowNumber,
    values: {},
    attributes: {},
    formulaColumns: [],
    uncalculatedColumns: [],
  };
  for (const column of columns) {
    const raw = row.texts[column.index];
    if (raw === undefined) continue;
    const text = normaliseCell(raw);
    if (text !== '') {
      if (column.field) result.values[column.field] = text;
      else result.attributes[column.header] = text;
    }
    const formula = row.formulas?.[column.index];
    if (formula === 'cached') result.formulaColumns.push(column.header);
    if (formula === 'uncalculated') result.uncalculatedColumns.push(column.header);
  }
  return result;
}

/* ------------------------------------------------------------------- entry */

/** The refusal of a whole file, in the words of an upload. */
function uploadRefusal(file: UploadFile, error: SheetError): UploadError {
  const location = {
    fileName: file.fileName,
    ...(error.row === undefined ? {} : { rowNumber: error.row }),
    ...(error.column === undefined ? {} : { column: error.column }),
  };
  const advice: Partial<Record<SheetError['reason'], Words>> = {
    not_workbook: bilingual('uploads.advice_not_workbook'),
    text: bilingual(error.kind === 'encoding' ? 'uploads.advice_encoding' : 'uploads.advice_csv_or_xlsx'),
  };
  const own = error.advice !== null && error.adviceAr !== null;
  const then = own ? { en: error.advice!, ar: error.adviceAr! } : advice[error.reason];
  const sentence = (detail: string, advice: string | undefined) => `${detail}.${advice ? ` ${advice}` : ''}`;
  const detail = { en: sentence(error.detail, then?.en), ar: sentence(error.detailAr, then?.ar) };
  return new UploadError(`upload.${error.kind}`, location, detail, { cause: error });
}

/**
 * Reads and checks an uploaded file, handing each row to `sink` as it is read: the file is never
 * held as a table. Throws `UploadError` for anything that refuses the whole file — possibly after
 * some rows were handed over, so the sink must be ready to throw them away.
 */
export async function readUploadRows(
  file: UploadFile,
  options: ReadOptions,
  sink: UploadRowSink,
): Promise<void> {
  let rows: RowReader | undefined;
  try {
    await readSheet(file, options.limits, {
      start(source) {
        rows = new RowReader(file, source.format, options, sink, source);
      },
      row: (row) => rows!.push(rawRow(row)),
    });
  } catch (error) {
    throw error instanceof SheetError ? uploadRefusal(file, error) : error;
  }
  rows!.finish();
}

/** Reads and checks a whole file into a table (for small files and tests; uploads stream). */
export async function readUpload(file: UploadFile, options: Partial<ReadOptions> = {}): Promise<UploadTable> {
  let header: UploadHeader | undefined;
  const rows: UploadRow[] = [];
  const issues: RowIssue[] = [];
  await readUploadRows(
    file,
    { limits: defaultUploadLimits, ...options },
    {
      header(found) {
        header = found;
      },
      row(row, readIssue) {
        rows.push(row);
        if (readIssue) issues.push(readIssue);
      },
    },
  );
  return { ...header!, rows, issues };
}
