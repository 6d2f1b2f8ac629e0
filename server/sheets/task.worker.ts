/**
 * A reading thread (see off-thread.ts): runs one task at a time, each from the module it names,
 * and posts the task's messages back, then the end of the task or why it failed.
 */
import { parentPort } from 'node:worker_threads';
import type { SheetTask, TaskRequest, WorkerEnvelope } from './off-thread.ts';

function post(envelope: WorkerEnvelope, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(envelope, transfer);
}

/** One task at a time: the pool sends the next only after this one's last message. */
parentPort!.on('message', ({ id, task, request }: TaskRequest) => {
  (async () => {
    const module = (await import(task)) as { run: SheetTask<unknown, unknown> };
    await module.run(request, (message, transfer) => post({ id, kind: 'message', message }, transfer));
    post({ id, kind: 'end' });
  })().catch((error: unknown) => {
    post({
      id,
      kind: 'failed',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  });
});
