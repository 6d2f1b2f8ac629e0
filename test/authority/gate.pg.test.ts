import { Kysely, PostgresDialect, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  configureAuthorityGate,
  createPgAuthorityGate,
  releaseAuthorityGate,
  tryAcquireAuthorityGate,
} from '../../server/authority/gate.repo.ts';
import { createPool } from '../../server/db/database.ts';
import type { DB } from '../../server/db/schema.ts';
import { useTestDatabase } from '../support/database.ts';

const t = useTestDatabase();

/** Most starts seen within any `windowMs` (times in ms). */
function maxInWindow(starts: number[], windowMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe('PostgreSQL authority gate', () => {
  it('holds the rate limit across concurrent workers, on the database clock', async () => {
    await configureAuthorityGate(t.db, 'JO-window', {
      maxRequests: 4,
      windowMs: 300,
      maxInFlight: 100,
      leaseMs: 5000,
    });
    const starts: number[] = [];
    // Three workers racing for 12 starts, polling as fast as they can; each request is answered at once.
    await Promise.all(
      [0, 1, 2].map(async (worker) => {
        for (let i = 0; i < 4; i++) {
          for (;;) {
            const attempt = await tryAcquireAuthorityGate(t.db, 'JO-window', [`w${worker}-${i}`]);
            if (attempt.granted) {
              starts.push(attempt.startedAtMs);
              await releaseAuthorityGate(t.db, 'JO-window', `w${worker}-${i}`, attempt.startedAtMs);
              break;
            }
            await new Promise((r) => setTimeout(r, 2));
          }
        }
      }),
    );
    expect(starts).toHaveLength(12);
    expect(maxInWindow(starts, 300)).toBe(4);
  });

  it('counts a request still in flight against the window however long ago it was granted', async () => {
    await configureAuthorityGate(t.db, 'JO-slow', {
      maxRequests: 2,
      windowMs: 100,
      maxInFlight: 10,
      leaseMs: 5000,
    });
    const slow = await tryAcquireAuthorityGate(t.db, 'JO-slow', ['slow']);
    expect(slow.granted).toBe(true);
    const quick = await tryAcquireAuthorityGate(t.db, 'JO-slow', ['quick']);
    expect(quick.granted).toBe(true);
    await releaseAuthorityGate(t.db, 'JO-slow', 'quick', quick.granted ? quick.startedAtMs : undefined);
    await new Promise((r) => setTimeout(r, 250));
    // Both grants are older than the window, but the slow request may not have reached the authority.
    expect((await tryAcquireAuthorityGate(t.db, 'JO-slow', ['third'])).granted).toBe(true);
    expect((await tryAcquireAuthorityGate(t.db, 'JO-slow', ['fourth'])).granted).toBe(false);
    await releaseAuthorityGate(t.db, 'JO-slow', 'slow', slow.granted ? slow.startedAtMs : undefined);
    // Answered now: it counts from its answer, for a window.
    expect((await tryAcquireAuthorityGate(t.db, 'JO-slow', ['fourth'])).granted).toBe(false);
    await new Promise((r) => setTimeout(r, 150));
    expect((await tryAcquireAuthorityGate(t.db, 'JO-slow', ['fourth'])).granted).toBe(true);
  });

  it('holds the in-flight cap across independent gates (workers)', async () => {
    await configureAuthorityGate(t.db, 'JO', {
      maxRequests: 100,
      windowMs: 300,
      maxInFlight: 2,
      leaseMs: 5000,
    });
    const workers = [0, 1, 2].map(() => createPgAuthorityGate(t.db, 'JO', { pollMinMs: 5, pollMaxMs: 50 }));
    let inFlight = 0;
    let maxInFlight = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const release = await workers[i % 3]!.acquire();
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        await release();
      }),
    );
    expect(maxInFlight).toBe(2);
  });

  it('says how long until the window frees a start, and frees a dead holder after its lease', async () => {
    await configureAuthorityGate(t.db, 'IQ', { maxRequests: 1, windowMs: 400, maxInFlight: 1, leaseMs: 150 });
    expect(await tryAcquireAuthorityGate(t.db, 'IQ', ['crashed-worker'])).toMatchObject({ granted: true });
    const refused = await tryAcquireAuthorityGate(t.db, 'IQ', ['other']);
    expect(refused.granted).toBe(false);
    expect(refused.granted === false && refused.retryInMs).toBeGreaterThan(300);
    await configureAuthorityGate(t.db, 'IQ', {
      maxRequests: 10,
      windowMs: 400,
      maxInFlight: 1,
      leaseMs: 150,
    });
    expect((await tryAcquireAuthorityGate(t.db, 'IQ', ['other'])).granted).toBe(false); // lease still held
    await new Promise((r) => setTimeout(r, 170));
    expect(await tryAcquireAuthorityGate(t.db, 'IQ', ['other'])).toMatchObject({ granted: true });
  });

  it('takes as many slots in one ask as the window and the in-flight cap leave free', async () => {
    await configureAuthorityGate(t.db, 'JO-many', {
      maxRequests: 3,
      windowMs: 400,
      maxInFlight: 10,
      leaseMs: 5000,
    });
    const asked = ['a', 'b', 'c', 'd', 'e'];
    const first = await tryAcquireAuthorityGate(t.db, 'JO-many', asked);
    expect(first).toMatchObject({ granted: true, leases: 3 });
    const { rows } = await sql<{ leases: string[]; starts: number }>`
      select array(select jsonb_object_keys(leases) order by 1) as leases, cardinality(recent_starts) as starts
      from authority_gate where authority = 'JO-many'`.execute(t.db);
    // The first ones asked for, each counted in the window.
    expect(rows[0]).toEqual({ leases: ['a', 'b', 'c'], starts: 3 });
    const refused = await tryAcquireAuthorityGate(t.db, 'JO-many', ['d', 'e']);
    expect(refused.granted).toBe(false);
    expect(refused.granted === false && refused.retryInMs).toBeGreaterThan(300);

    await configureAuthorityGate(t.db, 'JO-few', {
      maxRequests: 100,
      windowMs: 400,
      maxInFlight: 2,
      leaseMs: 5000,
    });
    expect(await tryAcquireAuthorityGate(t.db, 'JO-few', asked)).toMatchObject({ granted: true, leases: 2 });
    expect((await tryAcquireAuthorityGate(t.db, 'JO-few', ['f'])).granted).toBe(false);
  });

  it('lets a line of waiting requests through with one ask when the limits allow them all', async () => {
    await configureAuthorityGate(t.db, 'JO-line', {
      maxRequests: 8,
      windowMs: 60_000,
      maxInFlight: 8,
      leaseMs: 5000,
    });
    let asks = 0;
    const counted = new Kysely<DB>({
      dialect: new PostgresDialect({ pool: createPool(t.appUrl, 2) }),
      log(event) {
        if (event.level === 'query' && event.query.sql.includes('authority_gate_free_slots')) asks++;
      },
    });
    try {
      const gate = createPgAuthorityGate(counted, 'JO-line');
      const releases = await Promise.all(Array.from({ length: 8 }, () => gate.acquire()));
      expect(asks).toBe(1);
      // The ninth waits for the window: the slots went to the first eight and no further.
      await expect(gate.acquire(AbortSignal.timeout(100))).rejects.toMatchObject({ name: 'TimeoutError' });
      await Promise.all(releases.map((release) => release()));
    } finally {
      await counted.destroy();
    }
  });

  it('stops waiting when the signal aborts, and refuses an unconfigured authority', async () => {
    await configureAuthorityGate(t.db, 'EG', {
      maxRequests: 1,
      windowMs: 60_000,
      maxInFlight: 5,
      leaseMs: 5000,
    });
    const gate = createPgAuthorityGate(t.db, 'EG');
    await gate.acquire();
    await expect(gate.acquire(AbortSignal.timeout(50))).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(createPgAuthorityGate(t.db, 'XX').acquire()).rejects.toThrow(/not configured/);
  });
});

describe('clients in several workers sharing the PostgreSQL gate', () => {
  it('never exceed the authority rate limit', async () => {
    const { startAuthoritySimulator } = await import('../../fixtures/authority/simulator.ts');
    const { client } = await import('./harness.ts');
    const sim = await startAuthoritySimulator({
      faults: { latencyMs: 10, rateLimit: { maxRequests: 3, windowMs: 300 } },
      statsWindowMs: 300,
    });
    try {
      // Stricter than the authority's limit: requests granted a window apart can arrive closer
      // (the grant's round trip from the database and a busy event loop both vary).
      await configureAuthorityGate(t.db, 'JO-gateway', {
        maxRequests: 3,
        windowMs: 400,
        maxInFlight: 2,
        leaseMs: 5000,
      });
      const workers = [1, 2, 3].map(() =>
        client(sim, {
          gate: createPgAuthorityGate(t.db, 'JO-gateway', { pollMinMs: 5, pollMaxMs: 50 }),
          batchSize: 5,
        }),
      );
      const results = await Promise.all(
        workers.map((w, i) =>
          w.client.queryPlates(Array.from({ length: 15 }, (_, j) => `JO:20-${i * 100 + j}`)),
        ),
      );
      expect(results.flatMap((r) => [...r.values()]).filter((l) => l.status === 'failed')).toEqual([]);
      const stats = JSON.stringify({ ...sim.stats, okEmptyPlates: undefined });
      expect(sim.stats.rateLimited, stats).toBe(0);
      expect(sim.stats.queries, stats).toBe(9);
      expect(sim.stats.maxQueriesInWindow, stats).toBeLessThanOrEqual(3);
      expect(sim.stats.maxInFlight, stats).toBeLessThanOrEqual(2);
    } finally {
      await sim.close();
    }
  });
});
