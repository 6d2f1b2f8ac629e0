/**
 * The errors file of an upload: its rejected rows as they were written, under the file's own
 * headers, plus why each row was rejected and where it was. Fix the rows and upload the file
 * again (mode merge): the reader recognises the same headers and drops the two added columns.
 * Written with exceljs's streaming writer, every cell as text (values are never formulas).
 */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { message } from '../i18n/messages.ts';
import { ORIGINAL_ROW_HEADER, REASON_HEADER } from './upload-report-columns.ts';

export interface ErrorsFileRow {
  rowNumber: number;
  cells: string[];
  reason: string;
}

const TEXT = '@';
/** Width of the reason column, in characters, and the height of one line of it, in points. */
const REASON_WIDTH = 70;
const LINE_HEIGHT = 15;

/** Lines the reason takes in its column once wrapped (a little generous: proportional fonts vary). */
function reasonLines(reason: string): number {
  return reason
    .split('\n')
    .reduce((lines, line) => lines + Math.max(1, Math.ceil((line.length * 1.15) / REASON_WIDTH)), 0);
}

export async function writeErrorsWorkbook(
  headers: string[],
  pages: AsyncIterable<ErrorsFileRow[]>,
  options: { rightToLeft: boolean },
): Promise<Buffer> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    sink.on('end', resolve);
    sink.on('error', reject);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: sink,
    useSharedStrings: false,
    useStyles: true,
  });
  workbook.creator = 'Fleet fines';
  // The sheet is named in the language of the file's own headers, which also set its direction.
  const sheet = workbook.addWorksheet(message(options.rightToLeft ? 'ar' : 'en', 'uploads.errors_sheet'), {
    views: [{ rightToLeft: options.rightToLeft, state: 'frozen', ySplit: 1 }],
  });
  const all = [...headers, REASON_HEADER, ORIGINAL_ROW_HEADER];
  sheet.columns = all.map((header, index) => ({
    header,
    key: `c${index}`,
    width: index === headers.length ? REASON_WIDTH : Math.min(40, Math.max(14, header.length + 4)),
    style: { numFmt: TEXT },
  }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).commit();
  for await (const page of pages) {
    for (const row of page) {
      const added = sheet.addRow([
        ...headers.map((_, index) => row.cells[index] ?? ''),
        row.reason,
        String(row.rowNumber),
      ]);
      // Spreadsheets do not grow a row to fit wrapped text they did not lay out themselves.
      added.height = LINE_HEIGHT * reasonLines(row.reason);
      added.alignment = { vertical: 'top' };
      added.getCell(headers.length + 1).alignment = { vertical: 'top', wrapText: true };
      added.commit();
    }
  }
  sheet.commit();
  await workbook.commit();
  await finished;
  return Buffer.concat(chunks);
}
