import type { AlertsRetryPolicy } from '../config.ts';

/** The outbox's delivery job: drains due digests (one account's when named, else every account's). */

export type { AlertsConfig, AlertsRetryPolicy as RetryPolicy } from '../config.ts';

/** After failed attempt `attempt` (1-based): when to try again, doubling from the base up to the cap; null past the limit. */
export function retryAt(now: Date, attempt: number, policy: AlertsRetryPolicy): Date | null {
  if (attempt >= policy.maxAttempts) return null;
  const seconds = Math.min(policy.baseSeconds * 2 ** (attempt - 1), policy.maxSeconds);
  return new Date(now.getTime() + seconds * 1000);
}
