/**
 * The one way a tabular file (CSV or XLSX) is read, whoever reads it: fleet uploads, authority
 * exports, settlement files. Safe before anything else: the size is checked first, the real type
 * comes from the bytes, a zip is checked for bombs before anything is inflated, text is decoded
 * strictly. Then the rows stream to a sink as they are read, blank rows left out and every cell
 * capped; the sink says what a row means. Whole-file problems throw `SheetError`, which each
 * reader words for its own users.
 */
import Papa from 'papaparse';
import type { Words } from '../errors.ts';
import { bilingual, type Language, message } from '../i18n/messages.ts';
import { columnLetter } from './columns.ts';
import { type CsvEncoding, decodeCsvBytes } from './csv-text.ts';
import { sniffFileType } from './file-type.ts';
import { type ExcelValue, eachCsvRecord, excelText, xlsxFirstSheetRows } from './records.ts';
import { guardZip, ZipGuardError } from './zip-guard.ts';

export interface SheetLimits {
  maxBytes: number;
  maxUncompressedBytes: number;
  maxCompressionRatio: number;
  maxZipEntries: number;
  /** Hard cap per cell, when set: longer is abuse, not data (Excel itself stops at 32,767). */
  maxCellChars?: number;
}

export type SheetFormat = 'csv' | 'xlsx';

/** What the file turned out to be. */
export interface SheetSource {
  format: SheetFormat;
  encoding: CsvEncoding | null;
  delimiter: string | null;
}

/** A non-blank row as read; row numbers are the ones the user sees in the spreadsheet. */
export interface SheetRow {
  rowNumber: number;
  /** Each cell as a person reads it (a formula's cached result, a date in ISO form). */
  texts: string[];
  /** For XLSX, the cells as stored (formulas, dates), 0-based; null for CSV. */
  values: ExcelValue[] | null;
}

export interface SheetSink {
  /** Called once, when the file's type is known, before any row. */
  start?(source: SheetSource): void;
  /** Each non-blank row in file order; answering false stops reading. */
  row(row: SheetRow): boolean | undefined;
}

export type SheetErrorKind =
  | 'too_large'
  | 'empty'
  | 'unsupported_type'
  | 'zip_bomb'
  | 'corrupt'
  | 'encoding'
  | 'cell_too_large';

/**
 * Which check refused the file: `file_type` (the bytes are not a spreadsheet), `zip` (the zip
 * guard), `not_workbook` (a zip that is no XLSX), `text` (CSV text that does not decode),
 * `csv_quotes`, `workbook` (exceljs cannot read it), or the size checks.
 */
export type SheetErrorReason =
  | 'size'
  | 'empty'
  | 'file_type'
  | 'zip'
  | 'not_workbook'
  | 'text'
  | 'csv_quotes'
  | 'workbook'
  | 'cell_size';

/**
 * The whole file is refused. `detail` says why, without advice or a full stop, in English
 * (`detailAr` in Arabic); readers add theirs.
 */
export class SheetError extends Error {
  override readonly name = 'SheetError';
  readonly kind: SheetErrorKind;
  readonly reason: SheetErrorReason;
  readonly detail: string;
  readonly detailAr: string;
  /** What to do about it, when the check knows (a full sentence), in English and Arabic. */
  readonly advice: string | null;
  readonly adviceAr: string | null;
  readonly row: number | undefined;
  /** Spreadsheet column letter, when one cell is to blame. */
  readonly column: string | undefined;

  constructor(
    kind: SheetErrorKind,
    reason: SheetErrorReason,
    detail: Words,
    where: { advice?: Words; row?: number; column?: string; cause?: unknown } = {},
  ) {
    super(detail.en, { cause: where.cause });
    this.kind = kind;
    this.reason = reason;
    this.detail = detail.en;
    this.detailAr = detail.ar;
    this.advice = where.advice?.en ?? null;
    this.adviceAr = where.advice?.ar ?? null;
    this.row = where.row;
    this.column = where.column;
  }
}

const words = (key: string, values?: Record<string, string>) => bilingual(`sheets.${key}`, values);

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

const XLSX_REQUIRED_ENTRIES = ['[Content_Types].xml', 'xl/workbook.xml'];

function checkCells(row: SheetRow, limits: SheetLimits): void {
  const max = limits.maxCellChars;
  if (max === undefined) return;
  for (let index = 0; index < row.texts.length; index++) {
    const length = row.texts[index]!.length;
    if (length > max) {
      throw new SheetError(
        'cell_too_large',
        'cell_size',
        words('cell_too_large', { length: String(length), max: String(max) }),
        {
          row: row.rowNumber,
          column: columnLetter(index),
        },
      );
    }
  }
}

const isBlank = (texts: string[]) => texts.every((text) => text.trim() === '');

function readCsvText(
  text: string,
  limits: SheetLimits,
  sink: SheetSink,
  encoding: CsvEncoding | null,
): SheetSource {
  const unmarked = text.replace(/^\uFEFF/, '');
  const delimiter = detectDelimiter(unmarked);
  const source = { format: 'csv' as const, encoding, delimiter };
  sink.start?.(source);
  const quoteError = eachCsvRecord(unmarked, delimiter, (rowNumber, texts) => {
    const row = { rowNumber, texts, values: null };
    checkCells(row, limits);
    return sink.row(row);
  });
  if (quoteError) {
    const problem = quoteError.code === 'MissingQuotes' ? 'csv_quote_unclosed' : 'csv_quote_misplaced';
    const malformed = (language: Language) =>
      message(language, 'sheets.csv_malformed', { problem: message(language, `sheets.${problem}`) });
    throw new SheetError(
      'corrupt',
      'csv_quotes',
      { en: malformed('en'), ar: malformed('ar') },
      {
        row: quoteError.row,
      },
    );
  }
  return source;
}

/**
 * `readSheet` for CSV text already decoded (text a caller holds rather than a file's bytes):
 * rows to the sink at once, a quote error refuses it at its row.
 */
export function readSheetText(text: string, limits: SheetLimits, sink: SheetSink): SheetSource {
  return readCsvText(text, limits, sink, null);
}

async function readWorkbook(bytes: Uint8Array, limits: SheetLimits, sink: SheetSink): Promise<SheetSource> {
  let names: string[];
  try {
    names = await guardZip(bytes, {
      maxUncompressedBytes: limits.maxUncompressedBytes,
      maxCompressionRatio: limits.maxCompressionRatio,
      maxEntries: limits.maxZipEntries,
    });
  } catch (error) {
    if (!(error instanceof ZipGuardError)) throw error;
    const kind = { bomb: 'zip_bomb', corrupt: 'corrupt', unsupported: 'unsupported_type' } as const;
    const { detail, detailAr } = error.problem;
    throw new SheetError(kind[error.problem.kind], 'zip', { en: detail, ar: detailAr }, { cause: error });
  }
  if (!XLSX_REQUIRED_ENTRIES.every((name) => names.includes(name))) {
    throw new SheetError('unsupported_type', 'not_workbook', words('not_a_workbook'));
  }
  const source = { format: 'xlsx' as const, encoding: null, delimiter: null };
  sink.start?.(source);
  const rows = xlsxFirstSheetRows(bytes);
  try {
    for (;;) {
      let next: IteratorResult<{ rowNumber: number; values: ExcelValue[] }>;
      try {
        next = await rows.next();
      } catch (error) {
        throw new SheetError('corrupt', 'workbook', words('workbook_unreadable'), { cause: error });
      }
      if (next.done) return source;
      const texts = next.value.values.map(excelText);
      if (isBlank(texts)) continue;
      const row = { rowNumber: next.value.rowNumber, texts, values: next.value.values };
      checkCells(row, limits);
      if (sink.row(row) === false) return source;
    }
  } finally {
    await rows.return(undefined).catch(() => {});
  }
}

/**
 * Reads a file's rows into `sink`. Throws `SheetError` when the whole file is refused — possibly
 * after some rows were handed over, so the sink must be ready to throw them away. Errors the sink
 * throws pass through unchanged.
 */
export async function readSheet(
  file: { bytes: Uint8Array },
  limits: SheetLimits,
  sink: SheetSink,
): Promise<SheetSource> {
  const { bytes } = file;
  if (bytes.byteLength > limits.maxBytes) {
    throw new SheetError(
      'too_large',
      'size',
      words('too_large', { bytes: String(bytes.byteLength), max: String(limits.maxBytes) }),
    );
  }
  if (bytes.byteLength === 0) throw new SheetError('empty', 'empty', words('empty'));

  const sniffed = sniffFileType(bytes);
  if (sniffed.kind === 'refused') {
    const notASheet = {
      en: message('en', 'sheets.not_a_sheet', { description: sniffed.description }),
      ar: message('ar', 'sheets.not_a_sheet', { description: sniffed.descriptionAr }),
    };
    throw new SheetError('unsupported_type', 'file_type', notASheet, {
      advice: { en: sniffed.advice, ar: sniffed.adviceAr },
    });
  }
  if (sniffed.kind === 'zip') return readWorkbook(bytes, limits, sink);
  const decoded = decodeCsvBytes(bytes);
  if (!decoded.ok) {
    throw new SheetError(decoded.problem === 'encoding' ? 'encoding' : 'unsupported_type', 'text', {
      en: decoded.detail,
      ar: decoded.detailAr,
    });
  }
  return readCsvText(decoded.text, limits, sink, decoded.encoding);
}
