/**
 * The columns the errors file adds to the rejected rows (why each was rejected, and where it was).
 * When a fixed errors file is uploaded again these columns are dropped, so they never become
 * vehicle attributes.
 */
import { foldForMatching } from './normalise.ts';
import type { UploadTable } from './upload-read.ts';

export const REASON_HEADER = 'سبب الرفض / Rejection reason';
export const ORIGINAL_ROW_HEADER = 'الصف الأصلي / Original row';

const reserved = new Set([REASON_HEADER, ORIGINAL_ROW_HEADER].map((header) => foldForMatching(header)));

export function isReportColumn(header: string): boolean {
  return reserved.has(foldForMatching(header));
}

/** The table without the errors file's own columns (a no-op for any other file). */
export function withoutReportColumns(table: UploadTable): UploadTable {
  const dropped = table.columns.filter((column) => column.field === null && isReportColumn(column.header));
  if (dropped.length === 0) return table;
  const headers = new Set(dropped.map((column) => column.header));
  return {
    ...table,
    columns: table.columns.filter((column) => !headers.has(column.header)),
    rows: table.rows.map((row) => {
      const attributes = { ...row.attributes };
      for (const header of headers) delete attributes[header];
      return {
        ...row,
        attributes,
        formulaColumns: row.formulaColumns.filter((header) => !headers.has(header)),
        uncalculatedColumns: row.uncalculatedColumns.filter((header) => !headers.has(header)),
      };
    }),
  };
}
