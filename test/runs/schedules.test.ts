import { sql } from 'kysely';
import { TestClock } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBoss, createJobQueue, startJobWorkers } from '../../jobs/boss.ts';
import { jobRegistry } from '../../jobs/registry.ts';
import { syncRunSchedules } from '../../jobs/runs.job.ts';
import { loadConfig } from '../../server/config.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { createLogger } from '../../server/logger.ts';
import { runJobs } from '../../server/runs/runs.jobs.ts';
import { startScheduledRun } from '../../server/runs/runs.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeVehicles } from '../support/factories.ts';

const NIGHTLY_RUN_QUEUE = runJobs.nightly.name;

const test = useTestDatabase();
const log = createLogger({ level: 'silent', pretty: false });
const config = loadConfig({}, []);
const stops: Array<() => Promise<void>> = [];
let cairo: AccountFixture;
let amman: AccountFixture;

beforeAll(async () => {
  cairo = await makeAccount(test.db, 'EG');
  amman = await makeAccount(test.db, 'JO');
  await makeVehicles(test.db, cairo.id, ['EG:بطر-1234']);
});
afterAll(async () => {
  for (const stop of stops) await stop();
});

async function scheduledRuns(accountId: bigint) {
  return withTenant(test.db, accountId, (trx) =>
    trx
      .selectFrom('runs')
      .select(['id', 'kind', 'local_night'])
      .where('kind', '=', 'scheduled')
      .orderBy('id')
      .execute(),
  );
}

describe('nightly run schedules', () => {
  it('keeps one schedule per account, at its nightly time in its own time zone', async () => {
    const boss = createBoss({ connectionString: test.url, worker: false, log });
    await boss.start();
    stops.push(() => boss.stop({ graceful: false, close: true }));
    const queue = createJobQueue(boss);
    await boss.createQueue(NIGHTLY_RUN_QUEUE);
    await boss.schedule(NIGHTLY_RUN_QUEUE, '0 1 * * *', { accountId: '999999' }, { key: '999999' });
    const count = await syncRunSchedules(test.db, queue, ['999999']);
    expect(count).toBe(2);
    const schedules = (await boss.getSchedules(NIGHTLY_RUN_QUEUE))
      .map((s) => [s.key, s.cron, s.timezone])
      .sort();
    expect(schedules).toEqual(
      [
        [cairo.id.toString(), '0 2 * * *', 'Africa/Cairo'],
        [amman.id.toString(), '0 2 * * *', 'Asia/Amman'],
      ].sort(),
    );
  });

  it('creates exactly one scheduled run per account per local night, however often it is asked', async () => {
    const boss = createBoss({ connectionString: test.url, worker: false, log });
    await boss.start();
    stops.push(() => boss.stop({ graceful: false, close: true }));
    const queue = createJobQueue(boss);
    await boss.createQueue('lookup.batch');
    await boss.createQueue('run.reconcile');
    const night = new Date('2026-11-20T00:10:00Z'); // 02:10 in Cairo (UTC+2 in November)
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => startScheduledRun(test.db, queue, cairo.id, night, config.runs)),
    );
    const started = outcomes.filter((o) => o.status === 'fulfilled' && o.value !== undefined);
    expect(started).toHaveLength(1);
    // The rest found the night taken (undefined) or the run going (409), never a second run.
    for (const o of outcomes)
      if (o.status === 'rejected') expect(String(o.reason)).toMatch(/run is already going/);
    const runs = await scheduledRuns(cairo.id);
    expect(runs.map((r) => r.local_night)).toEqual(['2026-11-20']);
  });

  it('catches up a missed night once, not once per missed night', async () => {
    const clock = new TestClock('2026-11-10T12:00:00Z');
    const boss = createBoss({ connectionString: test.url, worker: true, clock, log });
    await boss.start();
    stops.push(() => boss.stop({ graceful: false, close: true }));
    // The test clock's table is read by every session's job_now(), the application's enqueueing too.
    await sql`grant select on pgboss.__pgboss_test_clock to fleet_app`.execute(test.ownerDb);
    const queue = createJobQueue(boss);
    await startJobWorkers(
      boss,
      jobRegistry,
      {
        db: test.db,
        config,
        log,
        now: () => new Date(clock.now()),
        queue,
        authorities: {
          forJurisdiction: () => {
            throw new Error('no lookups expected: the fleet is empty');
          },
        },
      },
      config,
    );
    // Schedules written earlier in this file carry today's real time; start over on the test clock.
    for (const schedule of await boss.getSchedules(NIGHTLY_RUN_QUEUE))
      await boss.unschedule(NIGHTLY_RUN_QUEUE, schedule.key);
    await syncRunSchedules(test.db, queue, []);
    await clock.tick(60_000);
    // Nobody was up for three nights.
    await clock.setTime('2026-11-13T12:00:00Z');
    for (let i = 0; i < 100 && (await scheduledRuns(amman.id)).length === 0; i++) {
      await clock.tick(5_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Keep the clock going a while longer: no second catch-up may appear.
    for (let i = 0; i < 20; i++) {
      await clock.tick(5_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const runs = await scheduledRuns(amman.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.local_night).toBe('2026-11-13');
  });
});
