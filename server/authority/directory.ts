import type { AuthoritySettings } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import {
  attemptOutcome,
  authorityGateWaitSeconds,
  authorityRequestSeconds,
  authorityRequests,
} from '../metrics/metrics.ts';
import type { AuthorityDirectory } from '../runs/runs.service.ts';
import { CircuitBreaker } from './breaker.ts';
import { createAuthorityClient } from './client.ts';
import type { AuthorityProvider } from './contract.ts';
import { configureAuthorityGate, createPgAuthorityGate } from './gate.repo.ts';
import type { AuthorityGate } from './gate.ts';

/** The gate row every worker shares for the gateway. */
export const GATEWAY_GATE = 'gateway';

/**
 * The gateway clients of one worker process: one per jurisdiction, all behind the shared
 * PostgreSQL gate (rate limit and in-flight cap across processes) and this process's breaker.
 * `gateDb` is the pool the gate's bookkeeping runs on.
 */
export async function createAuthorityDirectory(
  gateDb: Database,
  settings: AuthoritySettings,
  baseUrl: string,
  batchSize: number,
): Promise<AuthorityDirectory> {
  // The authority's own second, and a hundredth for the database's millisecond clock: the gate counts
  // each request from its grant (before it can arrive) to a window after its answer (after it arrived).
  await configureAuthorityGate(gateDb, GATEWAY_GATE, {
    maxRequests: settings.rateLimit,
    windowMs: 1010,
    maxInFlight: settings.maxInFlight,
    leaseMs: settings.timeoutMs * 2,
  });
  const gate = timedGate(createPgAuthorityGate(gateDb, GATEWAY_GATE));
  const breaker = new CircuitBreaker({ failureThreshold: 8, cooldownMs: 15_000 });
  const clients = new Map<JurisdictionCode, AuthorityProvider>();
  return {
    forJurisdiction(jurisdiction) {
      let client = clients.get(jurisdiction);
      if (!client) {
        client = createAuthorityClient({
          baseUrl,
          jurisdiction,
          gate,
          breaker,
          batchSize,
          requestTimeoutMs: settings.timeoutMs,
          maxAttempts: settings.maxAttempts,
          ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
          onAttempt: (attempt) => {
            authorityRequests.inc({ jurisdiction, outcome: attemptOutcome(attempt.outcome, attempt.error) });
            authorityRequestSeconds.observe({ jurisdiction }, attempt.durationMs / 1000);
          },
        });
        clients.set(jurisdiction, client);
      }
      return client;
    },
  };
}

/** The gate, with each wait for it in fleet_authority_gate_wait_seconds. */
function timedGate(gate: AuthorityGate): AuthorityGate {
  return {
    async acquire(signal) {
      const end = authorityGateWaitSeconds.startTimer();
      const release = await gate.acquire(signal);
      end();
      return release;
    },
  };
}
