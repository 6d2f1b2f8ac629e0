import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob } from '../../jobs/job.ts';
import { paymentsIssueJob } from '../../jobs/payments.job.ts';
import { reconcileJob } from '../../jobs/runs.job.ts';
import { loadConfig } from '../../server/config.ts';
import { useTestDatabase } from '../support/database.ts';
import { startTestWorkers } from '../support/queue.ts';

/**
 * How many jobs of a queue a worker runs at once, through a real pg-boss worker: WORKER_CONCURRENCY
 * by default, or what the queue's `handlers` makes of it.
 */
const test = useTestDatabase();
const config = loadConfig({ WORKER_CONCURRENCY: '1' }, []);
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops) await stop().catch(() => {});
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A queue whose handler holds each job a while, counting how many it holds at once. */
function heldJob(name: string, handlers?: (n: number) => number) {
  const seen = { running: 0, most: 0, done: 0 };
  const job = defineJob({
    name,
    payload: z.object({ n: z.number() }),
    work: { pollingIntervalSeconds: 0.5 },
    ...(handlers ? { handlers } : {}),
    handle: async () => {
      seen.running += 1;
      seen.most = Math.max(seen.most, seen.running);
      await pause(1_500);
      seen.running -= 1;
      seen.done += 1;
    },
  });
  return { job, seen };
}

describe('handlers per queue', () => {
  it('runs WORKER_CONCURRENCY jobs of a queue at once, or what its handlers rule makes of it', async () => {
    const plain = heldJob('handlers.plain');
    const doubled = heldJob('handlers.doubled', (n) => 2 * n);
    const { boss } = await startTestWorkers(
      test,
      [plain.job, doubled.job],
      config,
      pino({ level: 'warn' }),
      (stop) => stops.push(stop),
    );
    for (const { job } of [plain, doubled]) {
      for (let n = 0; n < 4; n++) await boss.send(job.name, { n });
    }
    const deadline = Date.now() + 30_000;
    while (plain.seen.done + doubled.seen.done < 8) {
      if (Date.now() > deadline) throw new Error(`not done: ${JSON.stringify({ plain, doubled })}`);
      await pause(100);
    }
    expect(plain.seen.most).toBe(1);
    expect(doubled.seen.most).toBe(2);
  }, 60_000);

  it("gives a run's reconciliation and payment stage twice the handlers of the other queues", () => {
    expect(reconcileJob.handlers?.(4)).toBe(8);
    expect(paymentsIssueJob.handlers?.(4)).toBe(8);
  });
});
