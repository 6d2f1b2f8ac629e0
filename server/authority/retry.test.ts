import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, retryDelay } from './retry.ts';

const policy = { baseMs: 100, capMs: 1000 };

describe('backoffDelay', () => {
  it('grows exponentially and is capped', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n, top))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
  });

  it('is full jitter: anywhere from zero to the ceiling', () => {
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(200);
  });
});

describe('retryDelay', () => {
  it('never waits less than Retry-After', () => {
    expect(retryDelay(policy, 1, () => 0.5, 3000)).toBe(3000);
    expect(retryDelay(policy, 4, () => 0.999999, 10)).toBe(799);
    expect(retryDelay(policy, 1, () => 0.5, undefined)).toBe(50);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-03-01T10:00:00Z');
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });
  it('reads an HTTP date, never negative', () => {
    expect(parseRetryAfter('Sat, 01 Mar 2025 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 09:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
