import { expect } from 'vitest';
import type { AuthorityFaultsInput } from '../../fixtures/authority/faults.ts';
import { mulberry32 } from '../../fixtures/authority/prng.ts';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { CircuitBreaker } from '../../server/authority/breaker.ts';
import { type AuthorityClientOptions, createAuthorityClient } from '../../server/authority/client.ts';
import type { PlateLookup } from '../../server/authority/contract.ts';
import { type GateLimits, MemoryAuthorityGate } from '../../server/authority/gate.ts';

/** Helpers for client-vs-simulator tests: short timeouts and backoffs, seeded jitter. */
export const plateKeys = (count: number, prefix = 'JO:13-') =>
  Array.from({ length: count }, (_, i) => `${prefix}${30_000 + i}`);

export async function simulator(
  faults: AuthorityFaultsInput = {},
  statsWindowMs = 1000,
): Promise<AuthoritySimulator> {
  return startAuthoritySimulator({ seed: 'authority-tests', faults, statsWindowMs });
}

export function client(
  sim: AuthoritySimulator,
  overrides: Partial<AuthorityClientOptions> & { limits?: GateLimits } = {},
) {
  const { limits, ...rest } = overrides;
  const breaker = rest.breaker ?? new CircuitBreaker({ failureThreshold: 1000, cooldownMs: 1000 });
  const options: AuthorityClientOptions = {
    baseUrl: sim.url,
    jurisdiction: 'JO',
    gate: new MemoryAuthorityGate(limits ?? { maxRequests: 1000, windowMs: 1000, maxInFlight: 8 }),
    breaker,
    batchSize: 10,
    concurrency: 2,
    requestTimeoutMs: 2000,
    maxAttempts: 4,
    backoff: { baseMs: 5, capMs: 20 },
    random: mulberry32(7),
    ...rest,
  };
  return { client: createAuthorityClient(options), breaker, options };
}

export interface Tally {
  ok: number;
  empty: number;
  notFound: number;
  failed: number;
}

/**
 * The invariant every fault must keep: an `ok` lookup is exactly the authority's truth (and an
 * empty one was really sent as empty), `not_found` is what the authority says, everything else
 * is `failed` within the attempt cap.
 */
export function expectFaithful(
  sim: AuthoritySimulator,
  results: Map<string, PlateLookup>,
  maxAttempts: number,
  jurisdiction: 'JO' | 'IQ' | 'EG' = 'JO',
): Tally {
  const tally: Tally = { ok: 0, empty: 0, notFound: 0, failed: 0 };
  for (const [plateKey, lookup] of results) {
    const truth = sim.world.answer(jurisdiction, plateKey);
    if (lookup.status === 'ok') {
      tally.ok++;
      expect(truth.status, plateKey).toBe('ok');
      const wire = lookup.violations.map((v) => ({ ...v, amountMinor: v.amountMinor.toString() }));
      expect(wire, plateKey).toEqual(truth.status === 'ok' ? truth.violations : undefined);
      if (lookup.violations.length === 0) {
        tally.empty++;
        expect(sim.stats.okEmptyPlates.has(plateKey), `${plateKey} reported empty but never sent empty`).toBe(
          true,
        );
      }
    } else if (lookup.status === 'not_found') {
      tally.notFound++;
      expect(truth.status, plateKey).toBe('not_found');
    } else {
      tally.failed++;
      expect(lookup.attempts).toBeLessThanOrEqual(maxAttempts);
      expect(lookup.lastError.length).toBeGreaterThan(0);
    }
  }
  return tally;
}
