/**
 * A reading thread (see off-thread.ts): runs one task at a time, each from the module it names,
 * and posts the task's messages back, then the end of the task or why it failed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import type { SheetTask, TaskRequest, WorkerEnvelope } from './off-thread.ts';

/**
 * A full collection, run when a task has ended. A thread is kept for the next file, and without it
 * the garbage of the last file (about 90 MB after a 50,000-row XLSX) stays in the process until
 * the thread next fills its heap: the web process would carry it into the next import. The flag
 * only makes `gc` reachable from a new context; it changes nothing else.
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function post(envelope: WorkerEnvelope, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(envelope, transfer);
}

/** One task at a time: the pool sends the next only after this one's last message. */
parentPort!.on('message', ({ id, task, request }: TaskRequest) => {
  (async () => {
    const module = (await import(task)) as { run: SheetTask<unknown, unknown> };
    await module.run(request, (message, transfer) => post({ id, kind: 'message', message }, transfer));
    post({ id, kind: 'end' });
    collectGarbage();
  })().catch((error: unknown) => {
    post({
      id,
      kind: 'failed',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  });
});
