import { afterAll, beforeAll } from 'vitest';
import { createBoss, createJobQueue, ensureQueues } from '../../jobs/boss.ts';
import { jobRegistry } from '../../jobs/registry.ts';
import { createLogger } from '../../server/logger.ts';
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
