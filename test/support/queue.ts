import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll } from 'vitest';
import {
  createBoss,
  createJobQueue,
  ensureQueues,
  type JobWorkers,
  startJobWorkers,
} from '../../jobs/boss.ts';
import type { JobDefinition } from '../../jobs/job.ts';
import { jobRegistry } from '../../jobs/registry.ts';
import type { Config } from '../../server/config.ts';
import { createLogger, type Logger } from '../../server/logger.ts';
import type { JobQueue } from '../../server/queue.ts';
import type { TestDatabase } from './database.ts';

/**
 * A job queue on the test file's database that only enqueues (no workers run its jobs), with every
 * registered queue created; stopped after the file. Call after useTestDatabase.
 */
export function useJobQueue(test: TestDatabase): { queue: JobQueue } {
  const handle = {} as { queue: JobQueue };
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const boss = createBoss({
      connectionString: test.queueUrl,
      worker: false,
      log: createLogger({ level: 'silent', pretty: false }),
    });
    await boss.start();
    stop = () => boss.stop({ graceful: false, close: true });
    await ensureQueues(boss, jobRegistry);
    handle.queue = createJobQueue(boss);
  });
  afterAll(async () => {
    await stop?.();
  });
  return handle;
}

/**
 * A real pg-boss worker of `registry` on the test file's database, with no authority behind it;
 * `onStop` is given the boss's forced stop, for the file's teardown.
 */
export async function startTestWorkers(
  test: TestDatabase,
  registry: JobDefinition[],
  config: Config,
  log: Logger,
  onStop: (stop: () => Promise<void>) => void,
): Promise<{ boss: PgBoss; workers: JobWorkers }> {
  const boss = createBoss({ connectionString: test.url, worker: true, log, superviseSeconds: 1 });
  await boss.start();
  onStop(() => boss.stop({ graceful: false, close: true }));
  const workers = await startJobWorkers(
    boss,
    registry,
    {
      db: test.db,
      config,
      log,
      now: () => new Date(),
      queue: createJobQueue(boss),
      authorities: { forJurisdiction: () => ({ queryPlates: async () => new Map() }) },
    },
    config,
  );
  return { boss, workers };
}
