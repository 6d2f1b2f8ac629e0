/**
 * Reads an uploaded vehicle list (CSV or XLSX) into rows keyed by vehicle field, safely: the real
 * type comes from the bytes, sizes are checked before anything is decompressed or parsed, and
 * rows are counted while streaming. Row numbers are the ones the user sees in the spreadsheet.
 */
import Papa from 'papaparse';
import type { CsvEncoding } from './csv-text.ts';
import { decodeCsvBytes } from './csv-text.ts';
import { sniffFileType } from './file-type.ts';
import { normaliseCell } from './normalise.ts';
import { csvRecords, type ExcelValue, excelText, isFormula, xlsxFirstSheetRows } from './sheet-records.ts';
import type { VehicleField } from './upload-columns.ts';
import { columnLetter, columnTitles, matchHeader, requiredFields } from './upload-columns.ts';
import { UploadError } from './upload-error.ts';
import { guardZip, ZipGuardError } from './zip-guard.ts';

export interface UploadLimits {
  maxBytes: number;
  /** Vehicle rows (not counting header or blank rows). */
  maxRows: number;
  maxUncompressedBytes: number;
  maxCompressionRatio: number;
  maxZipEntries: number;
  /** Hard cap per cell: longer is abuse, not data (Excel itself stops at 32,767). */
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

interface RawCell {
  text: string;
  formula: 'cached' | 'uncalculated' | null;
}

interface RawRow {
  rowNumber: number;
  cells: RawCell[];
}

const plainCell = (text: string): RawCell => ({ text, formula: null });

/* --------------------------------------------------------------------- CSV */

const DELIMITERS = [',', ';', '\t'] as const;
/** Rows sampled to choose the delimiter. */
const DELIMITER_SAMPLE_ROWS = 20;

/**
 * The delimiter that splits the first rows most consistently into more than one cell: the share
 * of sampled rows with the most common cell count, then that count. A one-column list gives ','.
 */
export function detectDelimiter(text: string): string {
  let best = { delimiter: ',' as string, consistency: 0, width: 1 };
  for (const delimiter of DELIMITERS) {
    const sample = Papa.parse<string[]>(text, {
      delimiter,
      preview: DELIMITER_SAMPLE_ROWS,
      skipEmptyLines: 'greedy',
    }).data;
    const counts = new Map<number, number>();
    for (const row of sample) counts.set(row.length, (counts.get(row.length) ?? 0) + 1);
    const [width, rows] = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0] ?? [1, 0];
    const consistency = rows / Math.max(1, sample.length);
    if (
      width > 1 &&
      (consistency > best.consistency || (consistency === best.consistency && width > best.width))
    ) {
      best = { delimiter, consistency, width };
    }
  }
  return best.delimiter;
}

function* csvRows(
  file: UploadFile,
  text: string,
  delimiter: string,
  limits: UploadLimits,
): Generator<RawRow> {
  // Blank records are not kept; the header search and the row cap bound how many others are.
  const { records, quoteError } = csvRecords(text, delimiter, limits.maxRows + HEADER_SEARCH_ROWS + 1);
  if (quoteError) {
    throw new UploadError(
      'upload.corrupt',
      { fileName: file.fileName, rowNumber: quoteError.row },
      `the CSV is malformed (${quoteError.message}).`,
    );
  }
  for (const record of records) yield { rowNumber: record.rowNumber, cells: record.cells.map(plainCell) };
}

/* -------------------------------------------------------------------- XLSX */

function xlsxCell(value: ExcelValue): RawCell {
  if (isFormula(value)) {
    const result = value.result;
    return result === undefined || result === null
      ? { text: '', formula: 'uncalculated' }
      : { text: excelText(result as ExcelValue), formula: 'cached' };
  }
  return plainCell(excelText(value));
}

async function* xlsxRows(file: UploadFile): AsyncGenerator<RawRow> {
  try {
    for await (const row of xlsxFirstSheetRows(file.bytes)) {
      yield { rowNumber: row.rowNumber, cells: row.values.map(xlsxCell) };
    }
  } catch (error) {
    if (error instanceof UploadError) throw error;
    throw new UploadError(
      'upload.corrupt',
      { fileName: file.fileName },
      'the workbook cannot be read; open it in Excel and save it again.',
      { cause: error },
    );
  }
}

/* ------------------------------------------------------------------ table */

const isBlank = (row: RawRow) => row.cells.every((cell) => cell.text.trim() === '');

function columnsFrom(file: UploadFile, row: RawRow): UploadColumn[] {
  const columns: UploadColumn[] = [];
  row.cells.forEach((cell, index) => {
    const header = normaliseCell(cell.text);
    // A column without a header has no name to keep its values under; it is ignored.
    if (header === '') return;
    columns.push({ index, letter: columnLetter(index), header, field: matchHeader(header) });
  });
  const seen = new Map<string, UploadColumn>();
  for (const column of columns) {
    const identity = column.field ?? `attribute:${column.header.toLowerCase()}`;
    const first = seen.get(identity);
    if (first) {
      const what = column.field ? `both mean "${columnTitles[column.field].en}"` : 'have the same name';
      throw new UploadError(
        'upload.duplicate_header',
        { fileName: file.fileName, rowNumber: row.rowNumber, column: column.header },
        `columns ${first.letter} ("${first.header}") and ${column.letter} ("${column.header}") ${what}; keep one.`,
      );
    }
    seen.set(identity, column);
  }
  return columns;
}

function describeRequired(): string {
  return requiredFields
    .map((field) => `"${columnTitles[field].ar}" / "${columnTitles[field].en}"`)
    .join(', ');
}

async function buildTable(
  file: UploadFile,
  format: UploadTable['format'],
  rows: Iterable<RawRow> | AsyncIterable<RawRow>,
  limits: UploadLimits,
): Promise<Omit<UploadTable, 'encoding' | 'delimiter'>> {
  let header: { row: RawRow; columns: UploadColumn[] } | null = null;
  let firstNonBlank: RawRow | null = null;
  let searched = 0;
  const table: UploadRow[] = [];
  const issues: RowIssue[] = [];

  for await (const row of rows) {
    if (isBlank(row)) continue;
    for (const [index, cell] of row.cells.entries()) {
      if (cell.text.length > limits.maxCellChars) {
        throw new UploadError(
          'upload.cell_too_large',
          { fileName: file.fileName, rowNumber: row.rowNumber, column: columnLetter(index) },
          `a cell holds ${cell.text.length} characters (at most ${limits.maxCellChars}).`,
        );
      }
    }
    if (!header) {
      firstNonBlank ??= row;
      searched += 1;
      const columns = columnsFrom(file, row);
      if (requiredFields.every((field) => columns.some((column) => column.field === field))) {
        header = { row, columns };
      } else if (searched >= HEADER_SEARCH_ROWS) {
        break;
      }
      continue;
    }
    if (table.length >= limits.maxRows) {
      throw new UploadError(
        'upload.too_many_rows',
        { fileName: file.fileName, rowNumber: row.rowNumber },
        `the list has more than ${limits.maxRows} vehicle rows; split it into smaller files.`,
      );
    }
    table.push(toUploadRow(row, header.columns));
    const ragged = raggedIssue(format, row, header.columns, header.row.cells.length);
    if (ragged) issues.push(ragged);
  }

  if (!firstNonBlank)
    throw new UploadError('upload.empty', { fileName: file.fileName }, 'the file is empty.');
  if (!header) {
    const seen = columnsFrom(file, firstNonBlank)
      .map((column) => `"${column.header}"`)
      .join(', ');
    throw new UploadError(
      'upload.missing_column',
      { fileName: file.fileName, rowNumber: firstNonBlank.rowNumber },
      `no header row with a plate column was found; the list needs a column ${describeRequired()}. Found: ${seen || 'no headers'}.`,
    );
  }
  if (table.length === 0) {
    throw new UploadError(
      'upload.empty',
      { fileName: file.fileName },
      'the file has a header row but no vehicle rows.',
    );
  }
  return {
    fileName: file.fileName,
    format,
    headerRowNumber: header.row.rowNumber,
    columns: header.columns,
    rows: table,
    issues,
  };
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
    const cell = row.cells[column.index];
    if (!cell) continue;
    const text = normaliseCell(cell.text);
    if (column.field) {
      if (text !== '') result.values[column.field] = text;
    } else if (text !== '') {
      result.attributes[column.header] = text;
    }
    if (cell.formula === 'cached') result.formulaColumns.push(column.header);
    if (cell.formula === 'uncalculated') result.uncalculatedColumns.push(column.header);
  }
  return result;
}

/**
 * A CSV row with more cells than the header has lost its alignment (an unquoted comma in a
 * label shifts every column after it): an error. Fewer cells is a warning — the missing ones are
 * read as empty, which is what spreadsheets do. XLSX rows cannot be ragged.
 */
function raggedIssue(
  format: UploadTable['format'],
  row: RawRow,
  columns: UploadColumn[],
  headerWidth: number,
): RowIssue | null {
  if (format !== 'csv') return null;
  const width = row.cells.length;
  const extra = row.cells.slice(headerWidth).some((cell) => cell.text.trim() !== '');
  if (width > headerWidth && extra) {
    return {
      rowNumber: row.rowNumber,
      column: null,
      code: 'row.ragged',
      severity: 'error',
      message: `The row has ${width} cells but the header has ${headerWidth}; a value probably contains an unquoted separator.`,
      messageAr: `الصف فيه ${width} خلايا والعناوين ${headerWidth}؛ غالباً هناك فاصل غير محاط بعلامات اقتباس.`,
    };
  }
  const lastNamed = Math.max(...columns.map((column) => column.index));
  if (width <= lastNamed) {
    return {
      rowNumber: row.rowNumber,
      column: null,
      code: 'row.short',
      severity: 'warning',
      message: `The row has only ${width} cell${width === 1 ? '' : 's'} but the header has ${headerWidth}; the missing ones are read as empty.`,
      messageAr: `الصف فيه ${width} خلايا والعناوين ${headerWidth}؛ اعتُبرت الخلايا الناقصة فارغة.`,
    };
  }
  return null;
}

/* ------------------------------------------------------------------- entry */

const XLSX_REQUIRED_ENTRIES = ['[Content_Types].xml', 'xl/workbook.xml'];

/** Reads and checks an uploaded file. Throws `UploadError` for anything that refuses the whole file. */
export async function readUpload(
  file: UploadFile,
  limits: UploadLimits = defaultUploadLimits,
): Promise<UploadTable> {
  const location = { fileName: file.fileName };
  if (file.bytes.byteLength > limits.maxBytes) {
    throw new UploadError(
      'upload.too_large',
      location,
      `the file is ${file.bytes.byteLength} bytes; at most ${limits.maxBytes} bytes are accepted.`,
    );
  }
  if (file.bytes.byteLength === 0) throw new UploadError('upload.empty', location, 'the file is empty.');

  const sniffed = sniffFileType(file.bytes);
  if (sniffed.kind === 'refused') {
    throw new UploadError(
      'upload.unsupported_type',
      location,
      `this is ${sniffed.description}, not CSV or XLSX. ${sniffed.advice}`,
    );
  }

  if (sniffed.kind === 'zip') {
    let names: string[];
    try {
      names = await guardZip(file.bytes, {
        maxUncompressedBytes: limits.maxUncompressedBytes,
        maxCompressionRatio: limits.maxCompressionRatio,
        maxEntries: limits.maxZipEntries,
      });
    } catch (error) {
      if (!(error instanceof ZipGuardError)) throw error;
      const code = {
        bomb: 'upload.zip_bomb',
        corrupt: 'upload.corrupt',
        unsupported: 'upload.unsupported_type',
      } as const;
      throw new UploadError(code[error.problem.kind], location, `${error.problem.detail}.`, { cause: error });
    }
    if (!XLSX_REQUIRED_ENTRIES.every((name) => names.includes(name))) {
      throw new UploadError(
        'upload.unsupported_type',
        location,
        'this is a zip archive but not an Excel workbook (.xlsx). Save the list as .xlsx or .csv.',
      );
    }
    const table = await buildTable(file, 'xlsx', xlsxRows(file), limits);
    return { ...table, encoding: null, delimiter: null };
  }

  const decoded = decodeCsvBytes(file.bytes);
  if (!decoded.ok) {
    const code = decoded.problem === 'encoding' ? 'upload.encoding' : 'upload.unsupported_type';
    const advice =
      decoded.problem === 'encoding'
        ? 'Save it as "CSV UTF-8" and upload again.'
        : 'Upload a CSV or XLSX file.';
    throw new UploadError(code, location, `${decoded.detail}. ${advice}`);
  }
  const delimiter = detectDelimiter(decoded.text);
  const table = await buildTable(file, 'csv', csvRows(file, decoded.text, delimiter, limits), limits);
  return { ...table, encoding: decoded.encoding, delimiter };
}
