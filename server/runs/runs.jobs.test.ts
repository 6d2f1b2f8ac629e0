import { describe, expect, it } from 'vitest';
import { followOnPriority } from './runs.jobs.ts';

describe('followOnPriority', () => {
  const at = (seconds: number) => new Date(Date.UTC(2026, 11, 6, 2, 0, seconds));

  it('is first come first served among runs of one size', () => {
    expect(followOnPriority(at(0), 30)).toBeGreaterThan(followOnPriority(at(1), 30));
    expect(followOnPriority(at(0), 30)).toBe(followOnPriority(at(0), 90));
  });

  it('moves a large run ahead by a second per hundred vehicles, two minutes at most', () => {
    // 21,146 vehicles: capped at 120 s ahead.
    expect(followOnPriority(at(119), 21_146)).toBeGreaterThan(followOnPriority(at(0), 30));
    expect(followOnPriority(at(121), 21_146)).toBeLessThan(followOnPriority(at(0), 30));
    // 1,000 vehicles: 10 s ahead.
    expect(followOnPriority(at(9), 1_000)).toBeGreaterThan(followOnPriority(at(0), 30));
    expect(followOnPriority(at(11), 1_000)).toBeLessThan(followOnPriority(at(0), 30));
  });

  it('stays within pg-boss priority (int4) for decades', () => {
    const p = followOnPriority(new Date(Date.UTC(2090, 0, 1)), 0);
    expect(Number.isInteger(p) && p > -(2 ** 31)).toBe(true);
  });
});
