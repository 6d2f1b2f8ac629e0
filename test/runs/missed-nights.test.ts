import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { sweepRuns } from '../../server/runs/run-ending.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { useJobQueue } from '../support/queue.ts';

/**
 * A nightly run the scheduler lost (its forwarded job failed to insert, as when the database
 * refuses connections at the minute two thousand schedules fall due) is started by the sweep,
 * once, and only for a night that really fell due.
 */
const test = useTestDatabase();
const jobs = useJobQueue(test);
const settings = loadConfig({}, []).runs;
// 13:00 in Amman (UTC+3), 12:00 in Cairo (UTC+2), frozen.
const now = new Date('2026-11-20T10:00:00Z');
const accounts: Record<string, bigint> = {};

async function setUp(name: string, jurisdiction: 'JO' | 'EG', nightlyRunTime: string, createdAt: string) {
  const account = await makeAccount(test.db, jurisdiction);
  await makeVehicles(test.db, account.id, [
    `${jurisdiction === 'JO' ? 'JO:10' : 'EG:11'}-${70000 + Object.keys(accounts).length}`,
  ]);
  await sql`update accounts set nightly_run_time = ${nightlyRunTime}::time, created_at = ${createdAt}::timestamptz
            where id = ${account.id}`.execute(test.ownerDb);
  accounts[name] = account.id;
}

beforeAll(async () => {
  await setUp('lost', 'JO', '12:00', '2026-11-01T00:00:00Z'); // due 09:00Z: an hour ago
  await setUp('lost in Cairo', 'EG', '11:30', '2026-11-01T00:00:00Z'); // due 09:30Z
  await setUp('later tonight', 'JO', '14:00', '2026-11-01T00:00:00Z'); // due 11:00Z
  await setUp('just due', 'JO', '12:59', '2026-11-01T00:00:00Z'); // due 09:59Z: the scheduler's to fire
  await setUp('opened after', 'JO', '12:00', '2026-11-20T09:30:00Z'); // opened after its time today
  await setUp('suspended', 'JO', '02:00', '2026-11-01T00:00:00Z');
  await sql`update accounts set status = 'suspended' where id = ${accounts.suspended!}`.execute(test.ownerDb);
});

async function scheduledRuns() {
  const { rows } = await sql<{ account_id: bigint; local_night: string; status: string }>`
    select account_id, local_night::text, status from runs where kind = 'scheduled' order by account_id`.execute(
    test.ownerDb,
  );
  return rows;
}

describe('nightly runs the scheduler lost', () => {
  it('are started by the sweep for the local night that fell due, and no others', async () => {
    const swept = await sweepRuns(test.db, jobs.queue, settings, now);
    expect(swept.map((s) => [s.accountId, s.action])).toEqual([
      [accounts.lost, 'missed_night_started'],
      [accounts['lost in Cairo'], 'missed_night_started'],
    ]);
    expect((await scheduledRuns()).map((r) => [r.account_id, r.local_night, r.status])).toEqual([
      [accounts.lost, '2026-11-20', 'fetching'],
      [accounts['lost in Cairo'], '2026-11-20', 'fetching'],
    ]);
  });

  it('starts each night once, however often it sweeps', async () => {
    expect(await sweepRuns(test.db, jobs.queue, settings, now)).toEqual([]);
    expect(await sweepRuns(test.db, jobs.queue, settings, new Date(now.getTime() + 30_000))).toEqual([]);
    expect(await scheduledRuns()).toHaveLength(2);
  });
});
