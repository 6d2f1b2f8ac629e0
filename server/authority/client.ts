import { reasonText } from '../i18n/reasons.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import { type PlateOutcome, readAnswer } from './answer.ts';
import type { CircuitBreaker } from './breaker.ts';
import {
  type AuthorityProvider,
  DEFAULT_MAX_PLATES_PER_REQUEST,
  type PlateLookup,
  type ViolationsQueryRequest,
} from './contract.ts';
import type { AuthorityGate } from './gate.ts';
import { type BackoffPolicy, parseRetryAfter, retryDelay, sleep } from './retry.ts';

/**
 * Client of the authority gateway. Plates go in batches; each batch is retried (only its
 * unresolved plates) with capped, jittered backoff that honours Retry-After, through the shared
 * gate (rate limit, in-flight cap) and this process's circuit breaker. Whatever cannot be read
 * as a valid answer leaves the plate `failed` — a lookup is `ok` only when the authority said so.
 */
export interface AuthorityClientOptions {
  baseUrl: string;
  jurisdiction: JurisdictionCode;
  apiKey?: string;
  gate: AuthorityGate;
  breaker: CircuitBreaker;
  /** Plates per request (the gateway's maximum is 100 unless agreed otherwise). */
  batchSize?: number;
  /** Batches this process works on at once; the gate still has the last word. */
  concurrency?: number;
  requestTimeoutMs?: number;
  /** Attempts per batch, the first included. */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  /** A Retry-After longer than this ends the retries instead of stalling the run. */
  maxRetryAfterMs?: number;
  maxResponseBytes?: number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Called after every HTTP attempt, for logs and metrics. */
  onAttempt?: (event: AttemptEvent) => void;
}

export interface AttemptEvent {
  attempt: number;
  plates: number;
  outcome: 'answered' | 'failed';
  error?: string;
  durationMs: number;
}

type AttemptResult =
  | { kind: 'answered'; plates: Map<string, PlateOutcome>; resolvedAny: boolean }
  | {
      kind: 'failed';
      error: string;
      retryable: boolean;
      breaker: 'failure' | 'neutral';
      retryAfterMs?: number;
    };

export function createAuthorityClient(options: AuthorityClientOptions): AuthorityProvider {
  const batchSize = options.batchSize ?? DEFAULT_MAX_PLATES_PER_REQUEST;
  const concurrency = options.concurrency ?? 4;
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const maxAttempts = options.maxAttempts ?? 4;
  const backoff = options.backoff ?? { baseMs: 500, capMs: 10_000 };
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const maxResponseBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
  const random = options.random ?? Math.random;
  const wait = options.sleep ?? sleep;
  const now = options.now ?? (() => performance.now());
  const url = new URL(
    'v1/violations/query',
    options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`,
  );

  async function attempt(plateKeys: string[], signal: AbortSignal | undefined): Promise<AttemptResult> {
    const release = await options.gate.acquire(signal);
    let released: Promise<void> | undefined;
    try {
      const body: ViolationsQueryRequest = {
        jurisdiction: options.jurisdiction,
        plates: plateKeys.map((plateKey) => ({ plateKey })),
      };
      const timeout = AbortSignal.timeout(requestTimeoutMs);
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      // The authority has answered (the body follows): its slot is free from now, while we read.
      released = release(performance.now()).catch(() => {});
      const text = await readCapped(response, maxResponseBytes);
      if (response.status === 429) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
        return {
          kind: 'failed',
          error: reasonText('lookup.rate_limited'),
          retryable: true,
          breaker: 'neutral',
          retryAfterMs,
        };
      }
      if (response.status >= 500) {
        return {
          kind: 'failed',
          error: reasonText('lookup.http_status', { status: response.status }),
          retryable: true,
          breaker: 'failure',
        };
      }
      if (response.status !== 200) {
        // Our request was refused (auth, size, shape): retrying the same request cannot help.
        return {
          kind: 'failed',
          error: reasonText('lookup.http_refused', { status: response.status, detail: text.slice(0, 200) }),
          retryable: false,
          breaker: 'neutral',
        };
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return {
          kind: 'failed',
          error: reasonText('lookup.not_json', { detail: JSON.stringify(text.slice(0, 60)) }),
          retryable: true,
          breaker: 'failure',
        };
      }
      const reading = readAnswer(options.jurisdiction, plateKeys, json);
      if (!reading.ok) return { kind: 'failed', error: reading.problem, retryable: true, breaker: 'failure' };
      const resolvedAny = [...reading.plates.values()].some((p) => p.kind !== 'retry');
      return { kind: 'answered', plates: reading.plates, resolvedAny };
    } catch (error) {
      if (signal?.aborted) throw error;
      return {
        kind: 'failed',
        error: describeFetchError(error, requestTimeoutMs),
        retryable: true,
        breaker: 'failure',
      };
    } finally {
      // A release lost with the database frees itself when its lease expires.
      await (released ?? release().catch(() => {}));
    }
  }

  async function queryBatch(
    plateKeys: string[],
    signal: AbortSignal | undefined,
  ): Promise<Map<string, PlateLookup>> {
    const done = new Map<string, PlateLookup>();
    const lastError = new Map<string, string>();
    let outstanding = plateKeys;
    let attempts = 0;
    const failOutstanding = (reason: string) => {
      for (const plateKey of outstanding) lastError.set(plateKey, reason);
    };
    try {
      while (outstanding.length > 0 && attempts < maxAttempts) {
        const permit = options.breaker.request();
        if (!permit.allowed) {
          // Fail fast: an open circuit means the authority is down; the run records these as failed.
          failOutstanding(reasonText('lookup.circuit_open', { ms: Math.ceil(permit.retryInMs) }));
          break;
        }
        attempts++;
        const started = now();
        let result: AttemptResult;
        try {
          result = await attempt(outstanding, signal);
        } catch (error) {
          // Aborted or no gate: this says nothing about the authority, but frees a probe slot.
          options.breaker.record('neutral', permit.probe);
          throw error;
        }
        options.breaker.record(
          result.kind === 'failed' ? result.breaker : result.resolvedAny ? 'success' : 'failure',
          permit.probe,
        );
        options.onAttempt?.({
          attempt: attempts,
          plates: outstanding.length,
          outcome: result.kind,
          ...(result.kind === 'failed' ? { error: result.error } : {}),
          durationMs: now() - started,
        });
        let retryAfterMs: number | undefined;
        if (result.kind === 'failed') {
          failOutstanding(result.error);
          if (!result.retryable) break;
          if (result.retryAfterMs !== undefined && result.retryAfterMs > maxRetryAfterMs) {
            failOutstanding(
              reasonText('lookup.retry_after_too_long', {
                reason: result.error,
                after: result.retryAfterMs,
                limit: maxRetryAfterMs,
              }),
            );
            break;
          }
          retryAfterMs = result.retryAfterMs;
        } else {
          const still: string[] = [];
          for (const plateKey of outstanding) {
            const outcome = result.plates.get(plateKey)!;
            if (outcome.kind === 'ok') done.set(plateKey, { status: 'ok', violations: outcome.violations });
            else if (outcome.kind === 'not_found') done.set(plateKey, { status: 'not_found' });
            else {
              lastError.set(plateKey, outcome.problem);
              still.push(plateKey);
            }
          }
          outstanding = still;
        }
        if (outstanding.length > 0 && attempts < maxAttempts) {
          await wait(retryDelay(backoff, attempts, random, retryAfterMs), signal);
        }
      }
    } catch (error) {
      if (!signal?.aborted) throw error;
      failOutstanding(reasonText('lookup.aborted', { detail: String(signal.reason) }));
    }
    for (const plateKey of plateKeys) {
      if (!done.has(plateKey)) {
        done.set(plateKey, {
          status: 'failed',
          attempts,
          lastError: lastError.get(plateKey) ?? reasonText('lookup.not_attempted'),
        });
      }
    }
    return done;
  }

  return {
    async queryPlates(plateKeys, signal) {
      const unique = [...new Set(plateKeys)];
      const batches: string[][] = [];
      for (let i = 0; i < unique.length; i += batchSize) batches.push(unique.slice(i, i + batchSize));
      const answers = new Map<string, PlateLookup>();
      let next = 0;
      const lane = async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          for (const [plateKey, lookup] of await queryBatch(batch, signal)) answers.set(plateKey, lookup);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, lane));
      return new Map(unique.map((plateKey) => [plateKey, answers.get(plateKey)!]));
    },
  };
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`answer of ${declared} bytes is over the ${maxBytes}-byte limit`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`answer is over the ${maxBytes}-byte limit`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError')
    return reasonText('lookup.timed_out', { ms: timeoutMs });
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
