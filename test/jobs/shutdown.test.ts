import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBoss, stopQueue } from '../../jobs/boss.ts';
import { defineJob, type JobDefinition } from '../../jobs/job.ts';
import { loadConfig } from '../../server/config.ts';
import { useTestDatabase } from '../support/database.ts';
import { startTestWorkers } from '../support/queue.ts';

/**
 * A graceful stop with a job in flight, through a real pg-boss worker: a handler that outlasts
 * SHUTDOWN_TIMEOUT_MS is given up (its job failed, to be retried, and its signal aborted), the
 * stop waits for it to return before the queue's pool closes, and nothing is logged as an error.
 */
const test = useTestDatabase();
const config = loadConfig({}, []);
const TIMEOUT_MS = 1_000;
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops) await stop().catch(() => {});
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the handler saw, by job: when it started, and whether its signal was aborted. */
const seen = new Map<string, { started: boolean; aborted: boolean; returned: boolean }>();
const slowJob = defineJob({
  name: 'shutdown.slow',
  payload: z.object({ key: z.string(), honoursSignal: z.boolean() }),
  work: { pollingIntervalSeconds: 0.5 },
  queue: { retryLimit: 3, retryDelay: 60 },
  handle: async (ctx, [job]) => {
    const state = { started: true, aborted: false, returned: false };
    seen.set(job!.key, state);
    // Works until the worker gives it up; one that ignores the signal goes on for a while after.
    while (!ctx.signal?.aborted) await pause(20);
    state.aborted = true;
    if (!job!.honoursSignal) await pause(1_500);
    // The application's pool is still open for a handler still running.
    await sql`select 1`.execute(ctx.db);
    state.returned = true;
    ctx.signal.throwIfAborted();
  },
});

async function startWorker(registry: JobDefinition[]) {
  const logged: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
  const { boss, workers } = await startTestWorkers(test, registry, config, log, (stop) => stops.push(stop));
  return { boss, workers, logged };
}

async function jobState(boss: PgBoss, id: string) {
  const job = await boss.getJobById(slowJob.name, id);
  return job;
}

async function untilStarted(key: string) {
  const deadline = Date.now() + 20_000;
  while (!seen.get(key)?.started) {
    if (Date.now() > deadline) throw new Error(`job ${key} never started`);
    await pause(50);
  }
}

describe('stopping the queue with a job in flight', () => {
  for (const honoursSignal of [true, false]) {
    it(`gives it up after the timeout and waits for its handler (${honoursSignal ? 'which stops at the abort' : 'which ignores the abort a while'})`, async () => {
      const { boss, workers, logged } = await startWorker([slowJob]);
      const key = `in-flight-${honoursSignal}`;
      const id = (await boss.send(slowJob.name, { key, honoursSignal }))!;
      await untilStarted(key);

      const started = Date.now();
      await stopQueue(boss, workers, TIMEOUT_MS);
      const took = Date.now() - started;

      const state = seen.get(key)!;
      expect(state).toEqual({ started: true, aborted: true, returned: true });
      // A bound, not a measurement: the timeout, pg-boss's polls of its workers, and the handler.
      expect(took).toBeLessThan(TIMEOUT_MS + 10_000);
      expect(logged.filter((entry) => entry.level >= 50)).toEqual([]);

      // Failed by the stop, to be retried by the next worker.
      const check = createBoss({ connectionString: test.url, worker: false });
      check.on('error', () => {});
      await check.start();
      try {
        const job = await jobState(check, id);
        expect(job?.state).toBe('retry');
        expect(JSON.stringify(job?.output)).toContain('shut down while active');
      } finally {
        await check.stop({ graceful: false, close: true });
      }
    }, 60_000);
  }

  it('stops with a job queued as it begins, leaving it to the next worker or giving it up', async () => {
    const { boss, workers, logged } = await startWorker([slowJob]);
    const id = (await boss.send(slowJob.name, { key: 'queued', honoursSignal: true }))!;
    await stopQueue(boss, workers, TIMEOUT_MS);
    expect(logged.filter((entry) => entry.level >= 50)).toEqual([]);
    const check = createBoss({ connectionString: test.url, worker: false });
    check.on('error', () => {});
    await check.start();
    try {
      // Whether a worker fetched it before it stopped, it is never left active nor half done.
      const state = (await jobState(check, id))?.state;
      expect(state).toBe(seen.has('queued') ? 'retry' : 'created');
    } finally {
      await check.stop({ graceful: false, close: true });
    }
  }, 60_000);
});
