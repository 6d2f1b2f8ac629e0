/**
 * Reads and validates an uploaded file in a worker thread (see upload-parse.worker.ts): the CPU
 * work of a large list never blocks the web process, a runaway file is bounded by the worker's
 * heap limit, and at most a few files are parsed at once per process. What the worker finds
 * arrives as a stream of events, in order: the header, chunks of valid rows, then the rest.
 */
import { Worker } from 'node:worker_threads';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
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
  columns: { header: string; field: VehicleField | null }[];
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
  | { type: 'refused'; code: UploadErrorCode; message: string; location: UploadErrorLocation }
  | { type: 'failed'; message: string };

/** Files parsed at once per process; more wait their turn. */
const MAX_PARALLEL = 2;
/** The worker's heap: enough for the largest accepted list, a hard stop for anything else. */
const WORKER_HEAP_MB = 256;

/**
 * Each file gets a fresh parser thread, started ahead of time: starting one and loading the
 * readers costs about a third of a second, so when a file is done its thread is ended (which
 * gives all its memory back at once) and a new one is started for the next file while this
 * upload is still being stored. A thread that failed or whose file was abandoned is just ended.
 */
const idle: Worker[] = [];
let running = 0;
const waiting: Array<() => void> = [];

function startWorker(): Worker {
  const worker = new Worker(new URL('./upload-parse.worker.ts', import.meta.url), {
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    stdout: false,
    stderr: false,
  });
  // An idle parser never keeps the process alive.
  worker.unref();
  return worker;
}

async function acquireWorker(): Promise<Worker> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  return idle.pop() ?? startWorker();
}

/** Thread ids of the parsers waiting for a file (for tests of the pool). */
export function idleParserThreadIds(): number[] {
  return idle.map((worker) => worker.threadId);
}

function releaseWorker(worker: Worker, healthy: boolean): void {
  worker.removeAllListeners('message').removeAllListeners('error').removeAllListeners('exit');
  void worker.terminate();
  if (healthy && idle.length === 0) idle.push(startWorker());
  running -= 1;
  waiting.shift()?.();
}

function refusal(code: UploadErrorCode, location: UploadErrorLocation, message: string): UploadError {
  const error = new UploadError(code, location, '');
  error.message = message;
  return error;
}

/**
 * The events of one file, ending with `done`. Throws `UploadError` when the whole file is
 * refused (possibly after some rows: whoever stored them must throw them away). Leaving the loop
 * early stops the worker. The file's bytes are handed to the worker: don't use them afterwards.
 */
export async function* parseUpload(request: ParseRequest): AsyncGenerator<ParseEvent> {
  const worker = await acquireWorker();
  const queue: Array<ParseEvent | Error> = [];
  let wake: (() => void) | null = null;
  let ended = false;
  let finished = false;
  const push = (item: ParseEvent | Error) => {
    if (ended) return;
    if (item instanceof Error || item.type === 'done') ended = true;
    queue.push(item);
    wake?.();
  };
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'refused') {
      finished = true;
      push(refusal(message.code, message.location, message.message));
    } else if (message.type === 'failed') push(new Error(`upload parser failed: ${message.message}`));
    else push(message);
  });
  worker.on('error', (error: Error & { code?: string }) => {
    push(
      error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? refusal(
            'upload.too_large',
            { fileName: request.fileName },
            `${request.fileName}: the file needs more memory to read than an upload may use; split it into smaller files.`,
          )
        : error,
    );
  });
  worker.on('exit', (code) =>
    push(new Error(`upload parser stopped (exit code ${code}) before it finished`)),
  );
  // A file in a buffer of its own is handed over, not copied (the caller must not use it after).
  const { buffer, byteOffset, byteLength } = request.bytes;
  const ownBuffer = byteOffset === 0 && byteLength === buffer.byteLength && buffer instanceof ArrayBuffer;
  worker.postMessage(request, ownBuffer ? [buffer] : []);
  try {
    for (;;) {
      const item = queue.shift();
      if (item === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
        continue;
      }
      if (item instanceof Error) throw item;
      // The worker is done with this file once it has sent `done`, whatever the caller does next.
      if (item.type === 'done') finished = true;
      yield item;
      if (item.type === 'done') return;
    }
  } finally {
    releaseWorker(worker, finished);
  }
}
