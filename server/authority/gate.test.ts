import { describe, expect, it } from 'vitest';
import { gateDecision, MemoryAuthorityGate } from './gate.ts';

const limits = { maxRequests: 3, windowMs: 1000, maxInFlight: 2 };

describe('gateDecision', () => {
  it('admits while the window and the in-flight cap have room', () => {
    expect(gateDecision([], 0, limits, 0)).toEqual({ admit: true });
    expect(gateDecision([100, 200], 1, limits, 300)).toEqual({ admit: true });
  });

  it('waits for the oldest start to leave the sliding window', () => {
    expect(gateDecision([100, 200, 300], 0, limits, 400)).toEqual({ admit: false, retryInMs: 700 });
    expect(gateDecision([100, 200, 300], 0, limits, 1100)).toEqual({ admit: true });
  });

  it('waits for a release when the in-flight cap is reached', () => {
    expect(gateDecision([], 2, limits, 0)).toEqual({ admit: false, retryInMs: null });
  });
});

describe('MemoryAuthorityGate', () => {
  it('never has more than maxInFlight granted, and hands slots over on release', async () => {
    const gate = new MemoryAuthorityGate({ maxRequests: 100, windowMs: 1000, maxInFlight: 2 });
    const a = await gate.acquire();
    await gate.acquire();
    let third = false;
    const pending = gate.acquire().then((release) => {
      third = true;
      return release;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    await a();
    await a(); // releasing twice frees one slot only
    await (await pending)();
    expect(third).toBe(true);
  });

  it('spaces starts by the window', async () => {
    const gate = new MemoryAuthorityGate({ maxRequests: 2, windowMs: 100, maxInFlight: 10 });
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const release = await gate.acquire();
        started.push(performance.now());
        await release();
      }),
    );
    // Measured after each grant resolves, so a few ms of scheduling noise either way.
    for (let i = 2; i < started.length; i++) expect(started[i]! - started[i - 2]!).toBeGreaterThanOrEqual(90);
  });

  it('gives up waiting when the signal aborts', async () => {
    const gate = new MemoryAuthorityGate({ maxRequests: 1, windowMs: 10_000, maxInFlight: 1 });
    await gate.acquire();
    await expect(gate.acquire(AbortSignal.timeout(20))).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
