/**
 * Worker thread: reads and validates uploaded files, one at a time, off the main thread (a 100,000-row list
 * is about a second of CPU; the web process must keep answering meanwhile). Rows are validated
 * as they are read and sent on at once as COPY text, so the main thread streams them into the
 * database while the rest of the file is still being read, and nobody holds the whole table.
 */
import { parentPort } from 'node:worker_threads';
import { copyLine } from '../db/copy-text.ts';
import { UploadError } from './upload-error.ts';
import type { ParsedHeader, ParseRequest, WorkerMessage } from './upload-parse.ts';
import { readUploadRows } from './upload-read.ts';
import { type RowVerdict, rowValidator } from './upload-validate.ts';

/** Valid rows per message: large enough to keep messages few, small enough to start COPY early. */
const CHUNK_ROWS = 2_000;

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

/** A batch of rows as UTF-8 in a buffer of its own, moved to the main thread instead of copied. */
function postRows(text: string): void {
  const bytes = new TextEncoder().encode(text);
  parentPort!.postMessage({ type: 'rows', copy: bytes } satisfies WorkerMessage, [bytes.buffer]);
}

async function main(request: ParseRequest): Promise<void> {
  let header: ParsedHeader | undefined;
  let validate: ReturnType<typeof rowValidator> | undefined;
  let rows = '';
  let rowsInChunk = 0;
  const issues: string[] = [];
  const rejects: string[] = [];
  const counts = { rows: 0, valid: 0, rejected: 0, duplicate: 0, warnings: 0 };

  const keepIssues = (verdict: RowVerdict) => {
    for (const issue of verdict.issues) {
      if (issue.severity === 'warning') counts.warnings += 1;
      issues.push(
        copyLine([
          issues.length,
          issue.rowNumber,
          issue.severity,
          issue.column,
          issue.code,
          issue.message,
          issue.messageAr,
        ]),
      );
    }
  };

  await readUploadRows({ fileName: request.fileName, bytes: request.bytes }, request.limits, {
    header(found) {
      header = {
        format: found.format,
        encoding: found.encoding,
        delimiter: found.delimiter,
        headerRowNumber: found.headerRowNumber,
        columns: found.columns.map((column) => ({ header: column.header, field: column.field })),
      };
      validate = rowValidator(request.jurisdiction, found.columns);
      post({ type: 'header', header });
    },
    row(row, readIssue) {
      counts.rows += 1;
      const verdict = validate!(row, readIssue);
      keepIssues(verdict);
      const vehicle = verdict.vehicle;
      if (vehicle) {
        counts.valid += 1;
        rows += copyLine([
          vehicle.plateKey,
          vehicle.rowNumber,
          JSON.stringify(vehicle.plateFields),
          vehicle.plateDisplay,
          vehicle.registrationNumber,
          vehicle.vin,
          vehicle.label,
          vehicle.costCentre,
          vehicle.driver,
          JSON.stringify(vehicle.attributes),
        ]);
        rowsInChunk += 1;
        if (rowsInChunk === CHUNK_ROWS) {
          postRows(rows);
          rows = '';
          rowsInChunk = 0;
        }
        return;
      }
      counts.rejected += 1;
      if (verdict.issues.some((i) => i.code === 'row.duplicate_plate' || i.code === 'row.duplicate_vin')) {
        counts.duplicate += 1;
      }
      const cells = header!.columns.map((column) =>
        column.field ? (row.values[column.field] ?? '') : (row.attributes[column.header] ?? ''),
      );
      rejects.push(copyLine([row.rowNumber, JSON.stringify(cells)]));
    },
  });
  if (rows !== '') postRows(rows);
  post({ type: 'done', counts, issues: issues.join(''), rejects: rejects.join('') });
}

/** One file at a time: the pool sends the next only after this one's last message. */
parentPort!.on('message', (request: ParseRequest) => {
  main(request).catch((error: unknown) => {
    if (error instanceof UploadError) {
      post({ type: 'refused', code: error.code, message: error.message, location: error.location });
      return;
    }
    post({
      type: 'failed',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  });
});
