import { TestClock } from 'pg-boss';
import { afterAll, describe, expect, it } from 'vitest';
import { createBoss, createJobQueue, startJobWorkers } from '../../jobs/boss.ts';
import { jobRegistry } from '../../jobs/registry.ts';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { runNightlyMaintenance } from '../../server/maintenance/maintenance.service.ts';
import { useTestDatabase } from '../support/database.ts';

const test = useTestDatabase();
const log = createLogger({ level: 'silent', pretty: false });

async function maintenanceRows() {
  return test.db.selectFrom('maintenance_runs').select(['local_date', 'time_zone', 'finished_at']).execute();
}

describe('nightly maintenance', () => {
  const stops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const stop of stops) await stop();
  });

  it('fires at 03:30 in Asia/Amman (00:30 UTC), not at 03:30 UTC', async () => {
    // Jordan is UTC+3 all year: 03:29 in Amman on 20 Nov is 00:29 UTC.
    const clock = new TestClock('2026-11-20T00:29:00Z');
    const boss = createBoss({ connectionString: test.url, worker: true, clock, log });
    await boss.start();
    stops.push(() => boss.stop({ graceful: false, close: true }));
    const config = loadConfig({ MAINTENANCE_CRON: '30 3 * * *', MAINTENANCE_TZ: 'Asia/Amman' }, []);
    await startJobWorkers(
      boss,
      jobRegistry,
      {
        db: test.db,
        config,
        log,
        now: () => new Date(clock.now()),
        queue: createJobQueue(boss),
        authorities: {
          forJurisdiction: () => {
            throw new Error('this test runs no lookups');
          },
        },
      },
      config,
    );

    const [schedule] = await boss.getSchedules('maintenance.nightly');
    expect(schedule).toMatchObject({ cron: '30 3 * * *', timezone: 'Asia/Amman' });

    await clock.tick(50_000); // 00:29:50 UTC: not yet
    expect(await maintenanceRows()).toEqual([]);

    for (let i = 0; i < 60 && (await maintenanceRows()).length === 0; i++) {
      await clock.tick(5_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const rows = await maintenanceRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ local_date: '2026-11-20', time_zone: 'Asia/Amman' });
    expect(rows[0]!.finished_at).toBeInstanceOf(Date);
    expect(clock.now()).toBeLessThan(Date.parse('2026-11-20T03:30:00Z'));
  });

  it('runs once per local night however often it is delivered', async () => {
    const night = new Date('2026-11-21T00:45:00Z');
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => runNightlyMaintenance(test.db, night, 'Africa/Cairo')),
    );
    expect(outcomes.filter((o) => o.ran)).toHaveLength(1);
    expect(outcomes.every((o) => o.localDate === '2026-11-21')).toBe(true);
    const cairo = (await maintenanceRows()).filter((r) => r.time_zone === 'Africa/Cairo');
    expect(cairo).toHaveLength(1);
  });

  it('uses the local date, not the UTC one, for the night', async () => {
    // 22:30 UTC on 21 Nov is already 22 Nov in Baghdad (UTC+3).
    const outcome = await runNightlyMaintenance(test.db, new Date('2026-11-21T22:30:00Z'), 'Asia/Baghdad');
    expect(outcome).toMatchObject({ localDate: '2026-11-22', timeZone: 'Asia/Baghdad', ran: true });
  });
});
