/**
 * Reads and validates an uploaded file in a worker thread (see upload-parse.worker.ts): the CPU
 * work of a large list never blocks the web process, a runaway file is bounded by the worker's
 * heap limit, and at most a few files are parsed at once per process. What the worker finds
 * arrives as a stream of events, in order: the header, chunks of valid rows, then the rest.
 */
import { Worker } from 'node:worker_threads';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
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
  | { type: 'refused'; code: UploadErrorCode; message: string; location: UploadErrorLocation }
  | { type: 'failed'; message: string };

/** Files parsed at once per process; more wait their turn. */
const MAX_PARALLEL = 2;
/** The worker's heap: enough for the largest accepted list, a hard stop for anything else. */
const WORKER_HEAP_MB = 256;
/**
 * The worker's young generation. Left to V8, a thread's is sized from the machine's memory (192 MB
 * on a 24 GB machine) and a parse fills all of it with short-lived rows, which the process then
 * keeps: V8 holds on to a thread's pages for seconds, even after the thread has ended. 64 MB costs
 * a little more collecting and keeps the process about 100 MB smaller.
 */
const WORKER_YOUNG_MB = 64;
/** A parser thread left without a file this long is ended, so an idle process does not keep it. */
const IDLE_MS = 60_000;

/**
 * Parser threads are kept for the next file: starting one (loading the readers) costs about half a
 * second of CPU, which on a small machine is taken from the upload itself. A thread that failed,
 * or whose file was abandoned mid-way, is ended instead; so is one left idle for IDLE_MS.
 */
const idle: { worker: Worker; timer: NodeJS.Timeout }[] = [];
let running = 0;
const waiting: Array<() => void> = [];

function startWorker(): Worker {
  const worker = new Worker(new URL('./upload-parse.worker.ts', import.meta.url), {
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_MB },
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
  const kept = idle.pop();
  if (!kept) return startWorker();
  clearTimeout(kept.timer);
  kept.worker.removeAllListeners('exit').removeAllListeners('error');
  return kept.worker;
}

/** Thread ids of the parsers waiting for a file (for tests of the pool). */
export function idleParserThreadIds(): number[] {
  return idle.map(({ worker }) => worker.threadId);
}

function keepIdle(worker: Worker): void {
  const entry = { worker, timer: setTimeout(() => void worker.terminate(), IDLE_MS).unref() };
  // However it ends (idle too long, or it failed), an ended thread is never handed out.
  worker.on('error', () => {});
  worker.once('exit', () => {
    clearTimeout(entry.timer);
    const index = idle.indexOf(entry);
    if (index >= 0) idle.splice(index, 1);
  });
  idle.push(entry);
}

function releaseWorker(worker: Worker, healthy: boolean): void {
  worker.removeAllListeners('message').removeAllListeners('error').removeAllListeners('exit');
  if (healthy) keepIdle(worker);
  else void worker.terminate();
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
