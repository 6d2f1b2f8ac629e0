import { afterEach, describe, expect, it } from 'vitest';
import type { AuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { CircuitBreaker } from '../../server/authority/breaker.ts';
import { client, expectFaithful, plateKeys, simulator } from './harness.ts';

/** The real client against the real simulator over HTTP, one fault at a time, then all at once. */
let sim: AuthoritySimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('authority client against the simulator', () => {
  it('reads a clean authority exactly, in batches of N', async () => {
    sim = await simulator();
    const plates = plateKeys(45);
    const results = await client(sim).client.queryPlates([...plates, plates[0]!]);
    expect([...results.keys()]).toEqual(plates);
    const tally = expectFaithful(sim, results, 1);
    expect(tally.failed).toBe(0);
    expect(tally.notFound).toBeGreaterThan(0);
    expect(tally.ok - tally.empty).toBeGreaterThan(0);
    expect(sim.stats.queries).toBe(5);
  });

  it('keeps the rate limit and in-flight cap under latency and jitter', async () => {
    sim = await simulator({ latencyMs: 30, jitterMs: 30, rateLimit: { maxRequests: 4, windowMs: 400 } }, 400);
    // The gate is set stricter than the authority's published limit: requests granted a window
    // apart can still arrive closer together (a busy event loop on either side bunches them; on a
    // loaded 2-core machine by more than 100 ms, so the margin is 300 ms).
    const { client: c } = client(sim, {
      batchSize: 5,
      concurrency: 6,
      limits: { maxRequests: 4, windowMs: 700, maxInFlight: 3 },
    });
    const results = await c.queryPlates(plateKeys(60));
    const stats = JSON.stringify({ ...sim.stats, okEmptyPlates: undefined });
    expect(expectFaithful(sim, results, 4).failed).toBe(0);
    expect(sim.stats.rateLimited, stats).toBe(0);
    expect(sim.stats.queries, stats).toBe(12);
    expect(sim.stats.maxQueriesInWindow, stats).toBeLessThanOrEqual(4);
    expect(sim.stats.maxInFlight, stats).toBeLessThanOrEqual(3);
    expect(sim.stats.maxInFlight, stats).toBeGreaterThan(1);
  });

  it('honours Retry-After when the authority answers 429', async () => {
    sim = await simulator({ rateLimit: { maxRequests: 2, windowMs: 1000 } });
    const { client: c } = client(sim, { concurrency: 4 });
    const started = performance.now();
    const results = await c.queryPlates(plateKeys(40));
    expect(expectFaithful(sim, results, 4).failed).toBe(0);
    expect(sim.stats.rateLimited).toBeGreaterThan(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('gives up rather than wait out a Retry-After beyond its limit', async () => {
    sim = await simulator({ rateLimit: { maxRequests: 1, windowMs: 5000 } });
    const { client: c } = client(sim, { concurrency: 1, maxRetryAfterMs: 2000 });
    const results = await c.queryPlates(plateKeys(20));
    const failed = [...results.values()].filter((r) => r.status === 'failed');
    expect(failed).toHaveLength(10);
    expect(failed[0]).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/Retry-After 5000 ms/) });
    expectFaithful(sim, results, 1);
  });

  it.each([
    ['5xx answers', { serverErrorRate: 0.5 }],
    ['hung connections', { hangRate: 0.4 }],
    ['truncated or HTML bodies', { malformedRate: 0.5 }],
    ['contract-breaking plates', { corruptRate: 0.7 }],
    ['partial answers', { partialRate: 0.7 }],
    ['per-plate authority errors', { plateErrorRate: 0.4 }],
  ])('survives %s: retries within the cap, never an empty answer it was not given', async (_, faults) => {
    sim = await simulator(faults);
    const errors: string[] = [];
    const results = await client(sim, {
      concurrency: 1,
      maxAttempts: 3,
      requestTimeoutMs: 150,
      onAttempt: (e) => {
        if (e.error) errors.push(e.error);
      },
    }).client.queryPlates(plateKeys(50));
    const tally = expectFaithful(sim, results, 3);
    expect(sim.stats.queries).toBeGreaterThan(5); // the fault struck and was retried
    expect(sim.stats.queries).toBeLessThanOrEqual(5 * 3);
    expect(tally.ok + tally.notFound).toBeGreaterThan(25);
    if ('hangRate' in faults) expect(errors.some((e) => e.includes('timed out after 150 ms'))).toBe(true);
    if ('malformedRate' in faults) expect(errors.some((e) => e.startsWith('answer is not JSON'))).toBe(true);
  });

  it('fails every plate, within the cap, when the authority never answers well', async () => {
    sim = await simulator({ serverErrorRate: 1 });
    const results = await client(sim, { concurrency: 1, maxAttempts: 3 }).client.queryPlates(plateKeys(30));
    expect([...results.values()]).toEqual(
      Array.from({ length: 30 }, () => ({ status: 'failed', attempts: 3, lastError: 'HTTP 503' })),
    );
    expect(sim.stats.queries).toBe(9);
  });

  it('stays faithful with every fault at once', async () => {
    sim = await simulator({
      latencyMs: 5,
      jitterMs: 10,
      serverErrorRate: 0.15,
      hangRate: 0.1,
      malformedRate: 0.15,
      corruptRate: 0.3,
      partialRate: 0.3,
      plateErrorRate: 0.1,
    });
    const results = await client(sim, {
      concurrency: 3,
      maxAttempts: 3,
      requestTimeoutMs: 200,
    }).client.queryPlates(plateKeys(120));
    const tally = expectFaithful(sim, results, 3);
    expect(tally.ok + tally.notFound + tally.failed).toBe(120);
    expect(sim.stats.queries).toBeLessThanOrEqual(12 * 3);
  });

  it('reports maintenance mode as the authority sent it (rule 3 in reconciliation catches it)', async () => {
    sim = await simulator({ maintenance: true });
    const results = await client(sim).client.queryPlates(plateKeys(20));
    for (const [plateKey, lookup] of results) {
      expect(lookup).toEqual({ status: 'ok', violations: [] });
      expect(sim.stats.okEmptyPlates.has(plateKey)).toBe(true);
    }
  });

  it('opens the breaker after K failures, stops calling, then recovers through one probe', async () => {
    sim = await simulator({ serverErrorBursts: [{ from: 1, count: 3 }] });
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 60_000 }, () => now);
    const { client: c } = client(sim, { breaker, concurrency: 1, maxAttempts: 2, batchSize: 5 });
    const plates = plateKeys(20);

    const first = await c.queryPlates(plates);
    expect(sim.stats.queries).toBe(3); // batch 1: two attempts; batch 2: one, then the circuit opened
    expect(breaker.state.kind).toBe('open');
    const failed = [...first.values()].filter((r) => r.status === 'failed');
    expect(failed).toHaveLength(20);
    expect(first.get(plates[19]!)).toMatchObject({
      attempts: 0,
      lastError: expect.stringMatching(/^circuit open/),
    });

    now += 30_000;
    await c.queryPlates(plates);
    expect(sim.stats.queries).toBe(3); // still open: nothing sent

    now += 30_000;
    const recovered = await c.queryPlates(plates);
    expect(breaker.state).toEqual({ kind: 'closed', failures: 0 });
    expect(expectFaithful(sim, recovered, 2).failed).toBe(0);
    expect(sim.stats.queries).toBe(7);
  });

  it('does not leave the breaker stuck half-open when a probe is aborted', async () => {
    sim = await simulator({ serverErrorBursts: [{ from: 1, count: 1 }], latencyMs: 200 });
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000 }, () => now);
    const { client: c } = client(sim, { breaker, concurrency: 1, maxAttempts: 1 });
    await c.queryPlates(plateKeys(1));
    expect(breaker.state.kind).toBe('open');
    now += 1000;
    await c.queryPlates(plateKeys(1), AbortSignal.timeout(50));
    expect(breaker.state).toEqual({ kind: 'half_open', probing: false });
    const results = await c.queryPlates(plateKeys(1));
    expect(breaker.state.kind).toBe('closed');
    expect(expectFaithful(sim, results, 1).failed).toBe(0);
  });

  it('marks what is left as failed when the caller aborts', async () => {
    sim = await simulator({ latencyMs: 100 });
    const results = await client(sim, { concurrency: 1 }).client.queryPlates(
      plateKeys(50),
      AbortSignal.timeout(250),
    );
    const failed = [...results.values()].filter((r) => r.status === 'failed');
    expect(failed.length).toBeGreaterThanOrEqual(20);
    expect(failed[0]).toMatchObject({ lastError: expect.stringMatching(/^aborted/) });
    expectFaithful(sim, results, 1);
  });

  it('does not retry a request the gateway refuses', async () => {
    sim = await simulator();
    const results = await client(sim, { batchSize: 101 }).client.queryPlates(plateKeys(101));
    expect(results.get(plateKeys(1)[0]!)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: expect.stringMatching(/^HTTP 400: .*too_many_plates/),
    });
    expect(sim.stats.queries).toBe(1);
  });
});
