/**
 * Reading large files off the event loop: a task module runs in a worker thread (see
 * task.worker.ts) and its messages arrive here as a stream, in order. The CPU work of a large
 * sheet never blocks the web process, a runaway file is bounded by the thread's heap limit, and
 * at most a few files are read at once per process.
 *
 * A task module exports `run(request, post)`: it reads what it was sent and posts its messages,
 * the last one marked by the caller's `isLast`. Whole-file refusals are the task's own messages;
 * anything it throws arrives as an Error.
 */
import { Worker } from 'node:worker_threads';

/** What a task module exports. */
export type SheetTask<Request, Message> = (
  request: Request,
  post: (message: Message, transfer?: ArrayBuffer[]) => void,
) => Promise<void>;

export interface ThreadLimits {
  /** The thread's heap: enough for the largest accepted file, a hard stop for anything else. */
  heapMb: number;
}

/** Between the pool and task.worker.ts; `id` tells one task's messages from the next one's. */
export type WorkerEnvelope =
  | { id: number; kind: 'message'; message: unknown }
  | { id: number; kind: 'end' }
  | { id: number; kind: 'failed'; message: string };

export interface TaskRequest {
  id: number;
  task: string;
  request: unknown;
}

/** Files read at once per process; more wait their turn. */
const MAX_PARALLEL = 2;
/**
 * A thread's young generation. Left to V8, a thread's is sized from the machine's memory (192 MB
 * on a 24 GB machine) and a parse fills all of it with short-lived rows, which the process then
 * keeps: V8 holds on to a thread's pages for seconds, even after the thread has ended. 32 MB costs
 * a little more collecting and keeps the web process under 400 MB while it imports the largest
 * lists (figures in docs/bench-notes/sheets.md).
 */
const WORKER_YOUNG_MB = 32;
/** A thread left without a file this long is ended, so an idle process does not keep it. */
const IDLE_MS = 60_000;

/**
 * Threads are kept for the next file: starting one (loading the readers) costs about half a
 * second of CPU, which on a small machine is taken from the upload itself. A thread that failed,
 * or whose file was abandoned mid-way, is ended instead; so is one left idle for IDLE_MS. Threads
 * are kept by heap size, since a thread's limits are fixed when it starts.
 */
interface IdleThread {
  worker: Worker;
  heapMb: number;
  timer: NodeJS.Timeout;
}
const idle: IdleThread[] = [];
let running = 0;
let nextId = 1;
const waiting: Array<() => void> = [];

function startWorker(limits: ThreadLimits): Worker {
  const worker = new Worker(new URL('./task.worker.ts', import.meta.url), {
    resourceLimits: { maxOldGenerationSizeMb: limits.heapMb, maxYoungGenerationSizeMb: WORKER_YOUNG_MB },
    stdout: false,
    stderr: false,
  });
  // An idle thread never keeps the process alive.
  worker.unref();
  return worker;
}

async function acquireWorker(limits: ThreadLimits): Promise<Worker> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  const index = idle.findLastIndex((entry) => entry.heapMb === limits.heapMb);
  if (index < 0) return startWorker(limits);
  const [kept] = idle.splice(index, 1);
  clearTimeout(kept!.timer);
  kept!.worker.removeAllListeners('exit').removeAllListeners('error');
  return kept!.worker;
}

/** Thread ids of the readers waiting for a file (for tests of the pool). */
export function idleSheetThreadIds(): number[] {
  return idle.map(({ worker }) => worker.threadId);
}

function keepIdle(worker: Worker, limits: ThreadLimits): void {
  const entry = {
    worker,
    heapMb: limits.heapMb,
    timer: setTimeout(() => void worker.terminate(), IDLE_MS).unref(),
  };
  // However it ends (idle too long, or it failed), an ended thread is never handed out.
  worker.on('error', () => {});
  worker.once('exit', () => {
    clearTimeout(entry.timer);
    const index = idle.indexOf(entry);
    if (index >= 0) idle.splice(index, 1);
  });
  idle.push(entry);
}

function releaseWorker(worker: Worker, limits: ThreadLimits, healthy: boolean): void {
  worker.removeAllListeners('message').removeAllListeners('error').removeAllListeners('exit');
  if (healthy) keepIdle(worker, limits);
  else void worker.terminate();
  running -= 1;
  waiting.shift()?.();
}

/**
 * Runs the task module at `task` in a reading thread and yields its messages, ending after the one
 * `isLast` picks. Leaving the loop before that ends the thread. The worker's own failures (out of
 * memory: `code` ERR_WORKER_OUT_OF_MEMORY) are thrown. Buffers in `transfer` are handed over.
 */
export async function* runOffThread<Message>(
  task: URL,
  request: unknown,
  options: ThreadLimits & { isLast: (message: Message) => boolean; transfer?: ArrayBuffer[] },
): AsyncGenerator<Message> {
  const worker = await acquireWorker(options);
  const id = nextId++;
  const queue: Array<{ message: Message } | Error> = [];
  let wake: (() => void) | null = null;
  let ended = false;
  let finished = false;
  const push = (item: { message: Message } | Error) => {
    if (ended) return;
    if (item instanceof Error || options.isLast(item.message)) ended = true;
    queue.push(item);
    wake?.();
  };
  worker.on('message', (envelope: WorkerEnvelope) => {
    if (envelope.id !== id) return;
    if (envelope.kind === 'message') push({ message: envelope.message as Message });
    else if (envelope.kind === 'failed') push(new Error(`sheet reader failed: ${envelope.message}`));
    else push(new Error('sheet reader ended its task without a last message'));
  });
  worker.on('error', (error: Error) => push(error));
  worker.on('exit', (code) => push(new Error(`sheet reader stopped (exit code ${code}) before it finished`)));
  worker.postMessage({ id, task: task.href, request } satisfies TaskRequest, options.transfer ?? []);
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
      // The thread is done with this file once it has sent its last message, whatever the caller does next.
      const last = options.isLast(item.message);
      if (last) finished = true;
      yield item.message;
      if (last) return;
    }
  } finally {
    releaseWorker(worker, options, finished);
  }
}

/** The buffer of `bytes` when it can be handed to a thread without copying: it is theirs alone. */
export function ownBuffer(bytes: Uint8Array): ArrayBuffer[] {
  const { buffer, byteOffset, byteLength } = bytes;
  return byteOffset === 0 && byteLength === buffer.byteLength && buffer instanceof ArrayBuffer
    ? [buffer]
    : [];
}
