/**
 * Worker thread: reads and validates one uploaded file off the main thread (a 100,000-row list
 * takes about a second of CPU; the web process must keep answering meanwhile), then sends the
 * result back in small messages so the main thread never deserialises it in one long block.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UploadError } from './upload-error.ts';
import type { ParseRequest, WorkerMessage } from './upload-parse.ts';
import { readUpload } from './upload-read.ts';
import { withoutReportColumns } from './upload-report-columns.ts';
import { validateUpload } from './upload-validate.ts';

const CHUNK = 2_000;

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

function postChunks<T>(items: T[], wrap: (rows: T[]) => WorkerMessage): void {
  for (let start = 0; start < items.length; start += CHUNK) post(wrap(items.slice(start, start + CHUNK)));
}

async function main(request: ParseRequest): Promise<void> {
  const table = withoutReportColumns(
    await readUpload({ fileName: request.fileName, bytes: request.bytes }, request.limits),
  );
  const validation = validateUpload(request.jurisdiction, table);
  const rejectedRows = new Set(validation.errors.map((issue) => issue.rowNumber));
  const duplicateRows = new Set(
    validation.errors
      .filter((issue) => issue.code === 'row.duplicate_plate' || issue.code === 'row.duplicate_vin')
      .map((issue) => issue.rowNumber),
  );
  post({
    type: 'meta',
    meta: {
      format: table.format,
      encoding: table.encoding,
      delimiter: table.delimiter,
      headerRowNumber: table.headerRowNumber,
      columns: table.columns.map((column) => ({ header: column.header, field: column.field })),
      rowCount: validation.rowCount,
      duplicateRows: duplicateRows.size,
      rejectedRows: rejectedRows.size,
    },
  });
  postChunks(validation.vehicles, (rows) => ({ type: 'vehicles', rows }));
  const rejects = table.rows
    .filter((row) => rejectedRows.has(row.rowNumber))
    .map((row) => ({
      rowNumber: row.rowNumber,
      cells: table.columns.map((column) =>
        column.field ? (row.values[column.field] ?? '') : (row.attributes[column.header] ?? ''),
      ),
    }));
  postChunks(rejects, (rows) => ({ type: 'rejects', rows }));
  const issues = [...validation.errors, ...validation.warnings].sort(
    (a, b) => a.rowNumber - b.rowNumber || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1),
  );
  postChunks(issues, (rows) => ({ type: 'issues', rows }));
  post({ type: 'done' });
}

main(workerData as ParseRequest).catch((error: unknown) => {
  if (error instanceof UploadError) {
    post({ type: 'refused', code: error.code, message: error.message, location: error.location });
    return;
  }
  post({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
});
