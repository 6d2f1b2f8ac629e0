/**
 * The raw records of a spreadsheet file, shared by fleet uploads and authority exports: CSV
 * records through papaparse (blank ones dropped, a quote error reported with its row), and the
 * first worksheet of an XLSX through exceljs's streaming reader. What a cell means is the
 * caller's business; the size and zip checks come before any of this.
 */
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import Papa from 'papaparse';
import { zipRecords } from './zip-guard.ts';

export type ExcelValue = ExcelJS.CellValue;

export interface CsvRecords {
  records: Array<{ rowNumber: number; cells: string[] }>;
  /** The first unbalanced quote (papaparse's code: a quote never closed, or one misplaced); records stop there. */
  quoteError: { row: number; code: 'MissingQuotes' | 'InvalidQuotes' } | null;
}

/**
 * Hands each non-blank record to `onRecord` as papaparse reads it; `onRecord` answers false to
 * stop. Returns the first unbalanced quote (records stop there), or null.
 */
export function eachCsvRecord(
  text: string,
  delimiter: string,
  onRecord: (rowNumber: number, cells: string[]) => boolean | undefined,
): CsvRecords['quoteError'] {
  let quoteError: CsvRecords['quoteError'] = null;
  let rowNumber = 0;
  Papa.parse<string[]>(text, {
    delimiter,
    skipEmptyLines: false,
    step(result, parser) {
      rowNumber += 1;
      const error = result.errors.find((e) => e.type === 'Quotes');
      if (error) {
        quoteError = {
          row: rowNumber,
          code: error.code === 'MissingQuotes' ? 'MissingQuotes' : 'InvalidQuotes',
        };
        parser.abort();
        return;
      }
      if (result.data.every((cell) => cell.trim() === '')) return;
      if (onRecord(rowNumber, result.data) === false) parser.abort();
    },
  });
  return quoteError;
}

/** Non-blank records, at most `keepAtMost` of them (one more than a caller's cap is enough to report it). */
export function csvRecords(text: string, delimiter: string, keepAtMost: number): CsvRecords {
  const records: CsvRecords['records'] = [];
  const quoteError = eachCsvRecord(text, delimiter, (rowNumber, cells) => {
    records.push({ rowNumber, cells });
    return records.length <= keepAtMost;
  });
  return { records, quoteError };
}

const WORKSHEET = /^xl\/worksheets\/[^/]+\.xml$/;

/**
 * The workbook's bytes in the order exceljs's streaming reader can stream them: worksheets after
 * the parts they refer to. Excel writes a sheet before its shared strings, and then the reader
 * spools the sheet, decompressed, to a temporary file and parses it only once the whole archive
 * has been read. The records are the same bytes, only moved; the directory, which a streaming
 * reader does not use, stays last. `bytes` must have passed guardZip.
 */
function worksheetsLast(bytes: Uint8Array): Uint8Array[] {
  const { records, directory } = zipRecords(bytes);
  const isSheet = (record: { name: string }) => WORKSHEET.test(record.name);
  return [
    ...records.filter((record) => !isSheet(record)).map((record) => record.bytes),
    ...records.filter(isSheet).map((record) => record.bytes),
    directory,
  ];
}

/**
 * The rows of the first worksheet (later ones hold notes, lookups or totals), cells 0-based.
 * `bytes` must have passed guardZip.
 */
export async function* xlsxFirstSheetRows(
  bytes: Uint8Array,
): AsyncGenerator<{ rowNumber: number; values: ExcelValue[] }> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(worksheetsLast(bytes)), {
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    worksheets: 'emit',
  });
  for await (const worksheet of reader) {
    for await (const row of worksheet as AsyncIterable<ExcelJS.Row>) {
      // exceljs's `values` is 1-based and sparse; callers get every cell, empty ones undefined.
      const sparse = row.values as ExcelValue[];
      const values: ExcelValue[] = [];
      for (let index = 1; index < sparse.length; index++) values.push(sparse[index]);
      yield { rowNumber: row.number, values };
    }
    return;
  }
}

export function isFormula(
  value: ExcelValue,
): value is ExcelJS.CellFormulaValue | ExcelJS.CellSharedFormulaValue {
  return value !== null && typeof value === 'object' && ('formula' in value || 'sharedFormula' in value);
}

/** A cell's text as a person reads it; a formula gives its cached result, a date its ISO form. */
export function excelText(value: ExcelValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  // Shortest round-trip decimal: what the person typed for any number Excel holds exactly enough.
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) {
    // exceljs gives dates as UTC instants; a date-only cell is midnight UTC.
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if ('richText' in value) return value.richText.map((run) => run.text).join('');
  if ('error' in value) return String(value.error);
  if ('hyperlink' in value) return typeof value.text === 'string' ? value.text : excelText(value.text);
  if (isFormula(value)) return excelText(value.result as ExcelValue);
  return '';
}
