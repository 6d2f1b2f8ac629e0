/**
 * The task that reads and validates an uploaded file in a reading thread (see
 * ../sheets/off-thread.ts), off the main thread (a 100,000-row list is about a second of CPU; the
 * web process must keep answering meanwhile). Rows are validated
 * as they are read and sent on at once as COPY text, so the main thread streams them into the
 * database while the rest of the file is still being read, and nobody holds the whole table.
 */
import { copyLine } from '../db/copy-text.ts';
import type { SheetTask } from '../sheets/off-thread.ts';
import { UploadError } from './upload-error.ts';
import type { ParsedHeader, ParseRequest, WorkerMessage } from './upload-parse.ts';
import { readUploadRows } from './upload-read.ts';
import { type RowVerdict, rowValidator } from './upload-validate.ts';

/** Valid rows per message: large enough to keep messages few, small enough to start COPY early. */
const CHUNK_ROWS = 2_000;

type Post = Parameters<SheetTask<ParseRequest, WorkerMessage>>[1];

const encoder = new TextEncoder();

/**
 * Valid rows as UTF-8 COPY text, encoded as each row comes. Held as one growing string, a batch
 * kept every piece of its 2,000 rows alive until it was sent, and collecting those survivors was
 * a third to a half of a parse's garbage collection.
 */
class RowBatch {
  #bytes = new Uint8Array(1024 * 1024);
  #length = 0;
  rows = 0;
  readonly #post: Post;

  constructor(post: Post) {
    this.#post = post;
  }

  add(line: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const needed = this.#length + line.length * 3;
    if (needed > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(needed, this.#bytes.length * 2));
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
    this.#length += encoder.encodeInto(line, this.#bytes.subarray(this.#length)).written;
    this.rows += 1;
  }

  /** Sends the batch to the main thread in a buffer of its own (moved, not copied) and starts over. */
  post(): void {
    const copy = this.#bytes.slice(0, this.#length);
    this.#post({ type: 'rows', copy }, [copy.buffer]);
    this.#length = 0;
    this.rows = 0;
  }
}

async function parse(request: ParseRequest, post: Post): Promise<void> {
  let header: ParsedHeader | undefined;
  let validate: ReturnType<typeof rowValidator> | undefined;
  const batch = new RowBatch(post);
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

  const file = { fileName: request.fileName, bytes: request.bytes };
  await readUploadRows(
    file,
    { limits: request.limits, jurisdiction: request.jurisdiction },
    {
      header(found) {
        header = {
          format: found.format,
          encoding: found.encoding,
          delimiter: found.delimiter,
          headerRowNumber: found.headerRowNumber,
          // A note says why a column was (or was not) taken for a plate part; most columns have none.
          columns: found.columns.map(({ header, field, note }) =>
            note ? { header, field, note } : { header, field },
          ),
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
          batch.add(
            copyLine([
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
            ]),
          );
          if (batch.rows === CHUNK_ROWS) batch.post();
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
    },
  );
  if (batch.rows > 0) batch.post();
  post({ type: 'done', counts, issues: issues.join(''), rejects: rejects.join('') });
}

/** Reads one file; a whole-file refusal is the task's last message, as `done` is. */
export const run: SheetTask<ParseRequest, WorkerMessage> = async (request, post) => {
  try {
    await parse(request, post);
  } catch (error) {
    if (!(error instanceof UploadError)) throw error;
    post({ type: 'refused', code: error.code, detail: error.detail, location: error.location });
  }
};
