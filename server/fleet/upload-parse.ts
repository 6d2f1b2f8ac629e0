/**
 * Reads and validates an uploaded file in a reading thread (see upload-parse.task.ts and
 * ../sheets/off-thread.ts): what the task finds arrives as a stream of events, in order: the
 * header, chunks of valid rows, then the rest.
 */
import type { Words } from '../errors.ts';
import { bilingual } from '../i18n/messages.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import { idleSheetThreadIds, ownBuffer, runOffThread } from '../sheets/off-thread.ts';
import type { ColumnNote } from './plate-columns.ts';
import type { VehicleField } from './upload-columns.ts';
import type { UploadErrorCode, UploadErrorLocation } from './upload-error.ts';
import { UploadError } from './upload-error.ts';
import type { UploadLimits, UploadTable } from './upload-read.ts';

export interface ParseRequest {
  fileName: string;
  bytes: Uint8Array;
  jurisdiction: JurisdictionCode;
  limits: UploadLimits;
}

export interface ParsedHeader {
  format: UploadTable['format'];
  encoding: UploadTable['encoding'];
  delimiter: string | null;
  headerRowNumber: number;
  /** The file's named columns, in order. */
  columns: { header: string; field: VehicleField | null; note?: ColumnNote }[];
}

export interface ParsedCounts {
  /** Vehicle rows read, valid or not. */
  rows: number;
  valid: number;
  /** Rows with at least one error. */
  rejected: number;
  /** Rejected rows with a duplicate plate or VIN (a subset of `rejected`). */
  duplicate: number;
  warnings: number;
}

/**
 * COPY text (see server/db/copy-text.ts) for the staging tables of fleet.repo.ts: valid rows
 * (`rows` events), errors and warnings by row, errors first within a row (`issues`), and the
 * rejected rows' cells in the order of the header's columns (`rejects`).
 */
export type ParseEvent =
  | { type: 'header'; header: ParsedHeader }
  /** UTF-8 bytes, handed over from the worker rather than copied. */
  | { type: 'rows'; copy: Uint8Array }
  | { type: 'done'; counts: ParsedCounts; issues: string; rejects: string };

export type WorkerMessage =
  | ParseEvent
  | { type: 'refused'; code: UploadErrorCode; detail: Words; location: UploadErrorLocation };

/** The thread's heap: enough for the largest accepted list, a hard stop for anything else. */
const WORKER_HEAP_MB = 256;

/** Thread ids of the parsers waiting for a file (for tests of the pool). */
export const idleParserThreadIds = idleSheetThreadIds;

/**
 * The events of one file, ending with `done`. Throws `UploadError` when the whole file is
 * refused (possibly after some rows: whoever stored them must throw them away). Leaving the loop
 * early stops the worker. The file's bytes are handed to the worker: don't use them afterwards.
 */
export async function* parseUpload(request: ParseRequest): AsyncGenerator<ParseEvent> {
  const messages = runOffThread<WorkerMessage>(new URL('./upload-parse.task.ts', import.meta.url), request, {
    heapMb: WORKER_HEAP_MB,
    isLast: (message) => message.type === 'done' || message.type === 'refused',
    // A file in a buffer of its own is handed over, not copied (the caller must not use it after).
    transfer: ownBuffer(request.bytes),
  });
  try {
    for await (const message of messages) {
      if (message.type === 'refused') throw new UploadError(message.code, message.location, message.detail);
      yield message;
    }
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WORKER_OUT_OF_MEMORY') throw error;
    throw new UploadError(
      'upload.too_large',
      { fileName: request.fileName },
      bilingual('uploads.file_needs_memory'),
    );
  }
}
