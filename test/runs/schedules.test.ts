import { sql } from 'kysely';
import { TestClock } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBoss,
  createJobQueue,
  ensureQueues,
  startJobWorkers,
  writeSchedules,
} from '../../jobs/boss.ts';
import { jobRegistry } from '../../jobs/registry.ts';
import { loadConfig } from '../../server/config.ts';
import { withTenant } from '../../server/db/tenant.ts';
import type { JurisdictionCode } from '../../server/jurisdictions/profiles.ts';
import { createLogger } from '../../server/logger.ts';
import { startDueNightlyRuns } from '../../server/runs/nightly-start.service.ts';
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
  // The mechanism itself: one schedule a minute replaced one pg-boss schedule per account.
  it('keeps one schedule for the nightly starts, every minute, and drops per-account ones left by an earlier version', async () => {
    const boss = createBoss({ connectionString: test.url, worker: false, log });
    await boss.start();
    stops.push(() => boss.stop({ graceful: false, close: true }));
    await ensureQueues(boss, jobRegistry);
    await boss.schedule(NIGHTLY_RUN_QUEUE, '0 1 * * *', { accountId: '999999' }, { key: '999999' });
    await boss.schedule(
      NIGHTLY_RUN_QUEUE,
      '0 2 * * *',
      { accountId: cairo.id.toString() },
      { key: cairo.id.toString(), tz: 'Africa/Cairo' },
    );
    await writeSchedules(boss, jobRegistry, config);
    const schedules = (await boss.getSchedules(NIGHTLY_RUN_QUEUE)).map((s) => [
      s.key,
      s.cron,
      s.timezone,
      s.data,
    ]);
    expect(schedules).toEqual([['', '* * * * *', 'UTC', {}]]);
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

  it('starts every account due in the same local minute in Amman, Baghdad and Cairo once, and a rerun of the minute none', async () => {
    const boss = createBoss({ connectionString: test.url, worker: false, log });
    await boss.start();
    stops.push(() => boss.stop({ graceful: false, close: true }));
    await ensureQueues(boss, jobRegistry);
    const queue = createJobQueue(boss);
    // Each at 02:00 in its own zone (the default), opened before the night; one JO account at 02:01,
    // and one JO account moved to Cairo's zone after it was opened.
    const due: Record<string, bigint[]> = { JO: [], IQ: [], EG: [], later: [], moved: [] };
    let plate = 0;
    const open = async (jurisdiction: JurisdictionCode, group: string, vehicles: number) => {
      const account = await makeAccount(test.db, jurisdiction);
      await makeVehicles(
        test.db,
        account.id,
        Array.from({ length: vehicles }, () => `${jurisdiction}:${10 + (plate % 30)}-${40000 + plate++}`),
      );
      await sql`update accounts set created_at = '2026-11-01T00:00:00Z' where id = ${account.id}`.execute(
        test.ownerDb,
      );
      due[group]!.push(account.id);
      return account.id;
    };
    for (let i = 0; i < 8; i++) {
      for (const jurisdiction of ['JO', 'IQ', 'EG'] as const) await open(jurisdiction, jurisdiction, i % 3);
    }
    const later = await open('JO', 'later', 1);
    await sql`update accounts set nightly_run_time = '02:01' where id = ${later}`.execute(test.ownerDb);
    const moved = await open('JO', 'moved', 2);
    await sql`update accounts set time_zone = 'Africa/Cairo' where id = ${moved}`.execute(test.ownerDb);

    const startedAt = async (at: string) =>
      (await startDueNightlyRuns(test.db, queue, new Date(at), config.runs.batchSize))
        .map((r) => r.account_id)
        .sort();
    const sorted = (ids: bigint[]) => [...ids].sort();
    // 02:00 in Amman and Baghdad (UTC+3) is 23:00Z; in Cairo (UTC+2 in November) 00:00Z.
    expect(await startedAt('2026-11-20T23:00:20Z')).toEqual(sorted([...due.JO!, ...due.IQ!]));
    expect(await startedAt('2026-11-20T23:00:40Z')).toEqual([]);
    expect(await startedAt('2026-11-20T23:01:05Z')).toEqual([later]);
    expect(await startedAt('2026-11-21T00:00:10Z')).toEqual(sorted([...due.EG!, moved]));
    expect(await startedAt('2026-11-21T00:00:30Z')).toEqual([]);
    // A minute's job pg-boss forwarded late (or not at all) leaves nothing behind either.
    expect(await startedAt('2026-11-21T00:05:00Z')).toEqual([]);

    const everyone = Object.values(due).flat();
    const { rows } = await sql<{ account_id: bigint; local_night: string; runs: number }>`
      select account_id, min(local_night)::text as local_night, count(*)::int as runs from runs
      where kind = 'scheduled' and account_id = any (${everyone.map(String)}::bigint[])
      group by account_id`.execute(test.ownerDb);
    expect(rows).toHaveLength(everyone.length);
    expect(rows.every((r) => r.runs === 1 && r.local_night === '2026-11-21')).toBe(true);
  });

  // Many ticks of the test clock, each a few round trips: a generous timeout on a loaded machine.
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
    // The missed-nights sweep catches up the last night that fell due after the account was opened.
    await sql`update accounts set created_at = '2026-11-12T00:00:00Z' where id = ${amman.id}`.execute(
      test.ownerDb,
    );
    await clock.tick(60_000);
    // Nobody was up for three nights; the sweep (every 5 minutes) catches up the last one.
    await clock.setTime('2026-11-13T11:59:50Z');
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
  }, 120_000);
});
