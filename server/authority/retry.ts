/**
 * Retry timing: capped exponential backoff with full jitter (a uniform wait in
 * [0, min(cap, base·2^(n-1))]), never shorter than what the authority asked for in Retry-After.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/** Wait before retry number `retry` (1 = the wait after the first attempt failed). */
export function backoffDelay(policy: BackoffPolicy, retry: number, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

export function retryDelay(
  policy: BackoffPolicy,
  retry: number,
  random: () => number,
  retryAfterMs: number | undefined,
): number {
  return Math.max(backoffDelay(policy, retry, random), retryAfterMs ?? 0);
}

/** Retry-After as milliseconds from now: delay-seconds or an HTTP date; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
