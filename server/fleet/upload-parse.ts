/**
 * Reads and validates an uploaded file in a worker thread (see upload-parse.worker.ts): the CPU
 * work of a large list never blocks the web process, a runaway file is bounded by the worker's
 * heap limit, and at most a few files are parsed at once per process.
 */
import { Worker } from 'node:worker_threads';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import type { VehicleField } from './upload-columns.ts';
import type { UploadErrorCode, UploadErrorLocation } from './upload-error.ts';
import { UploadError } from './upload-error.ts';
import type { RowIssue, UploadLimits, UploadTable } from './upload-read.ts';
import type { VehicleCandidate } from './upload-validate.ts';

export interface ParseRequest {
  fileName: string;
  bytes: Uint8Array;
  jurisdiction: JurisdictionCode;
  limits: UploadLimits;
}

export interface ParsedMeta {
  format: UploadTable['format'];
  encoding: UploadTable['encoding'];
  delimiter: string | null;
  headerRowNumber: number;
  /** The file's named columns, in order. */
  columns: { header: string; field: VehicleField | null }[];
  rowCount: number;
  /** Rejected rows with a duplicate plate or VIN (a subset of rejectedRows). */
  duplicateRows: number;
  rejectedRows: number;
}

export interface RejectedRow {
  rowNumber: number;
  /** Cell texts in the order of `columns`. */
  cells: string[];
}

export interface ParsedUpload {
  meta: ParsedMeta;
  vehicles: VehicleCandidate[];
  rejects: RejectedRow[];
  /** Errors and warnings, by row (errors first within a row). */
  issues: RowIssue[];
}

export type WorkerMessage =
  | { type: 'meta'; meta: ParsedMeta }
  | { type: 'vehicles'; rows: VehicleCandidate[] }
  | { type: 'rejects'; rows: RejectedRow[] }
  | { type: 'issues'; rows: RowIssue[] }
  | { type: 'done' }
  | { type: 'refused'; code: UploadErrorCode; message: string; location: UploadErrorLocation }
  | { type: 'failed'; message: string };

/** Files parsed at once per process; more wait their turn. */
const MAX_PARALLEL = 2;
/** The worker's heap: enough for the largest accepted list, a hard stop for anything else. */
const WORKER_HEAP_MB = 768;

let running = 0;
const waiting: Array<() => void> = [];

async function slot(): Promise<() => void> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  return () => {
    running -= 1;
    waiting.shift()?.();
  };
}

function refusal(code: UploadErrorCode, location: UploadErrorLocation, message: string): UploadError {
  const error = new UploadError(code, location, '');
  error.message = message;
  return error;
}

/** Throws `UploadError` when the whole file is refused. */
export async function parseUpload(request: ParseRequest): Promise<ParsedUpload> {
  const release = await slot();
  try {
    return await runWorker(request);
  } finally {
    release();
  }
}

function runWorker(request: ParseRequest): Promise<ParsedUpload> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./upload-parse.worker.ts', import.meta.url), {
      workerData: request,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      stdout: false,
      stderr: false,
    });
    let meta: ParsedMeta | undefined;
    const vehicles: VehicleCandidate[] = [];
    const rejects: RejectedRow[] = [];
    const issues: RowIssue[] = [];
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
      void worker.terminate();
    };
    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'meta':
          meta = message.meta;
          break;
        case 'vehicles':
          for (const row of message.rows) vehicles.push(row);
          break;
        case 'rejects':
          for (const row of message.rows) rejects.push(row);
          break;
        case 'issues':
          for (const row of message.rows) issues.push(row);
          break;
        case 'done':
          settle(() =>
            meta
              ? resolve({ meta, vehicles, rejects, issues })
              : reject(new Error('upload parser sent no meta')),
          );
          break;
        case 'refused':
          settle(() => reject(refusal(message.code, message.location, message.message)));
          break;
        case 'failed':
          settle(() => reject(new Error(`upload parser failed: ${message.message}`)));
          break;
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      settle(() =>
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? refusal(
                'upload.too_large',
                { fileName: request.fileName },
                `${request.fileName}: the file needs more memory to read than an upload may use; split it into smaller files.`,
              )
            : error,
        ),
      );
    });
    worker.on('exit', (code) => {
      settle(() => reject(new Error(`upload parser stopped (exit code ${code}) before it finished`)));
    });
  });
}
