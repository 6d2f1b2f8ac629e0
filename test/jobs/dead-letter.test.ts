import { fromKysely } from 'pg-boss';
import { afterAll, describe, expect, it } from 'vitest';
import { createBoss, createJobQueue, startJobWorkers } from '../../jobs/boss.ts';
import { jobRegistry } from '../../jobs/registry.ts';
import { loadConfig } from '../../server/config.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { createLogger } from '../../server/logger.ts';
import type { JobQueue } from '../../server/queue.ts';
import { startRun } from '../../server/runs/runs.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';

/**
 * Through real pg-boss workers: a lookup batch job that runs out of retries is dead-lettered, its
 * handler fails the batch's pending lookups with the job's last error, and the run goes on to end
 * `partial` instead of staying `fetching` for ever.
 */
const test = useTestDatabase();
const log = createLogger({ level: 'silent', pretty: false });
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

describe('a lookup batch out of retries', () => {
  it('is dead-lettered and its run ends partial with the reason', async () => {
    const boss = createBoss({ connectionString: test.url, worker: true, log, superviseSeconds: 1 });
    await boss.start();
    stops.push(() => boss.stop({ graceful: false, close: true }));
    const config = loadConfig({ AUTHORITY_BATCH_SIZE: '10' }, []);
    const queue = createJobQueue(boss);
    await startJobWorkers(
      boss,
      jobRegistry,
      {
        db: test.db,
        config,
        log,
        now: () => new Date(),
        queue,
        authorities: {
          forJurisdiction: () => ({
            queryPlates: async () => {
              throw new Error('the gateway is down');
            },
          }),
        },
      },
      config,
    );
    // The run's batches allow no retry, so the first failure is the last.
    const noRetries: JobQueue = {
      ...queue,
      async send(trx, job, payloads) {
        await boss.insert(
          job.name,
          payloads.map((data) => ({ data, retryLimit: 0 })),
          { db: fromKysely(trx) },
        );
      },
    };
    const account = await makeAccount(test.db, 'JO');
    await makeVehicles(test.db, account.id, ['JO:21-1001', 'JO:21-1002']);
    const run = await withTenant(test.db, account.id, (trx) =>
      startRun(
        trx,
        noRetries,
        { accountId: account.id, kind: 'manual', localNight: null, requestedBy: null },
        config.runs,
      ),
    );
    const row = async () =>
      withTenant(test.db, account.id, (trx) =>
        trx.selectFrom('runs').selectAll().where('id', '=', run!.id).executeTakeFirstOrThrow(),
      );
    const deadline = Date.now() + 30_000;
    while (!['done', 'partial', 'failed'].includes((await row()).status) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const ended = await row();
    expect(ended.status).toBe('partial');
    const failed = (ended.summary as { failedVehicles: Array<{ reason: string }> }).failedVehicles;
    expect(failed).toHaveLength(2);
    expect(failed[0]!.reason).toMatch(/^the lookup batch gave up after 1 attempt: the gateway is down/);
  }, 60_000);
});
