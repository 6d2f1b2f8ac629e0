import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { loadConfig } from '../../server/config.ts';
import { startScheduledRun } from '../../server/runs/runs.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { useProduct } from '../support/http.ts';
import { useJobQueue } from '../support/queue.ts';

/**
 * The platform bench (test/bench/platform.bench.ts) in CI size: accounts of very different sizes
 * in the three jurisdictions whose nightly runs fall due together. Their runs are started as the
 * nightly job starts them, largest fleet first, before any worker runs; then a worker runs the
 * night. Every run must end, and the small fleets must not wait behind all of the large one's
 * lookup batches.
 */
const test = useTestDatabase();
const jobs = useJobQueue(test);
const BATCH_SIZE = 5;
const settings = loadConfig({ AUTHORITY_BATCH_SIZE: String(BATCH_SIZE) }, []).runs;

let simulator: AuthoritySimulator;
const fleets = [
  { name: 'large', jurisdiction: 'JO', vehicles: 80 },
  { name: 'medium', jurisdiction: 'EG', vehicles: 15 },
  { name: 'small IQ', jurisdiction: 'IQ', vehicles: 3 },
  { name: 'small JO', jurisdiction: 'JO', vehicles: 2 },
] as const;
const accounts = new Map<string, bigint>();

beforeAll(async () => {
  simulator = await startAuthoritySimulator({
    seed: 'platform-night',
    world: { startDate: '2026-06-01', dailyViolationRate: 0.05, notFoundRate: 0 },
  });
  process.env.TEST_AUTHORITY_URL = simulator.url;
  let plate = 0;
  for (const fleet of fleets) {
    const account = await makeAccount(test.db, fleet.jurisdiction);
    await makeVehicles(
      test.db,
      account.id,
      Array.from(
        { length: fleet.vehicles },
        () => `${fleet.jurisdiction}:${10 + (plate % 30)}-${30000 + plate++}`,
      ),
    );
    accounts.set(fleet.name, account.id);
  }
  // Due together: the nightly job starts each at the same instant, largest fleet first.
  const night = new Date('2026-11-20T23:00:00Z');
  for (const fleet of fleets) {
    const run = await startScheduledRun(test.db, jobs.queue, accounts.get(fleet.name)!, night, settings);
    expect(run?.status).toBe('fetching');
  }
});
afterAll(async () => {
  await simulator?.close();
});

// The worker starts only now, with every run's batches queued; two handlers at a time and a rate
// limit make the order in which batches are taken visible.
useProduct(test, {
  get AUTHORITY_URL() {
    return process.env.TEST_AUTHORITY_URL!;
  },
  AUTHORITY_RATE_LIMIT: '20',
  AUTHORITY_MAX_IN_FLIGHT: '2',
  AUTHORITY_BATCH_SIZE: String(BATCH_SIZE),
  WORKER_CONCURRENCY: '1',
} as Record<string, string>);

async function endedRuns() {
  const { rows } = await sql<{ account_id: bigint; status: string }>`
    select account_id, status from runs where kind = 'scheduled' and status in ('done', 'partial', 'failed')`.execute(
    test.ownerDb,
  );
  return rows;
}

describe('a platform night', () => {
  it('ends every run, and the small fleets do not wait behind the large one', async () => {
    const deadline = Date.now() + 60_000;
    while ((await endedRuns()).length < fleets.length) {
      if (Date.now() > deadline) throw new Error(`runs still going: ${JSON.stringify(await endedRuns())}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await endedRuns()).map((r) => r.status)).toEqual(fleets.map(() => 'done'));

    // Each account's batches in the order they were recorded.
    const { rows } = await sql<{ account_id: bigint; batch_no: number; answered_at: Date }>`
      select account_id, batch_no, max(answered_at) as answered_at from lookups
      group by account_id, batch_no order by max(answered_at), account_id, batch_no`.execute(test.ownerDb);
    expect(rows).toHaveLength(16 + 3 + 1 + 1);
    const position = (name: string, batchNo = 0) =>
      rows.findIndex((r) => r.account_id === accounts.get(name) && r.batch_no === batchNo);
    const large = accounts.get('large')!;
    const largeBefore = (index: number) => rows.slice(0, index).filter((r) => r.account_id === large).length;
    // Started after all 16 of the large fleet's batches were queued, each small fleet's one batch
    // still goes ahead of all but its first few: every run's n-th batch before any run's (n+1)-th.
    for (const name of ['small IQ', 'small JO', 'medium']) {
      expect(largeBefore(position(name)), name).toBeLessThanOrEqual(2);
    }
    expect(largeBefore(position('medium', 2))).toBeLessThanOrEqual(4);
    // And the large fleet is not starved either: it ends with its own batches, in order.
    expect(rows.at(-1)!.account_id).toBe(large);
  });
});
