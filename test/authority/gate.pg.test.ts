import { describe, expect, it } from 'vitest';
import {
  configureAuthorityGate,
  createPgAuthorityGate,
  releaseAuthorityGate,
  tryAcquireAuthorityGate,
} from '../../server/authority/gate.repo.ts';
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
            const attempt = await tryAcquireAuthorityGate(t.db, 'JO-window', `w${worker}-${i}`);
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
    const slow = await tryAcquireAuthorityGate(t.db, 'JO-slow', 'slow');
    expect(slow.granted).toBe(true);
    const quick = await tryAcquireAuthorityGate(t.db, 'JO-slow', 'quick');
    expect(quick.granted).toBe(true);
    await releaseAuthorityGate(t.db, 'JO-slow', 'quick', quick.granted ? quick.startedAtMs : undefined);
    await new Promise((r) => setTimeout(r, 250));
    // Both grants are older than the window, but the slow request may not have reached the authority.
    expect((await tryAcquireAuthorityGate(t.db, 'JO-slow', 'third')).granted).toBe(true);
    expect((await tryAcquireAuthorityGate(t.db, 'JO-slow', 'fourth')).granted).toBe(false);
    await releaseAuthorityGate(t.db, 'JO-slow', 'slow', slow.granted ? slow.startedAtMs : undefined);
    // Answered now: it counts from its answer, for a window.
    expect((await tryAcquireAuthorityGate(t.db, 'JO-slow', 'fourth')).granted).toBe(false);
    await new Promise((r) => setTimeout(r, 150));
    expect((await tryAcquireAuthorityGate(t.db, 'JO-slow', 'fourth')).granted).toBe(true);
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
    expect(await tryAcquireAuthorityGate(t.db, 'IQ', 'crashed-worker')).toMatchObject({ granted: true });
    const refused = await tryAcquireAuthorityGate(t.db, 'IQ', 'other');
    expect(refused.granted).toBe(false);
    expect(refused.granted === false && refused.retryInMs).toBeGreaterThan(300);
    await configureAuthorityGate(t.db, 'IQ', {
      maxRequests: 10,
      windowMs: 400,
      maxInFlight: 1,
      leaseMs: 150,
    });
    expect((await tryAcquireAuthorityGate(t.db, 'IQ', 'other')).granted).toBe(false); // lease still held
    await new Promise((r) => setTimeout(r, 170));
    expect(await tryAcquireAuthorityGate(t.db, 'IQ', 'other')).toMatchObject({ granted: true });
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
