import { describe, expect, it } from 'vitest';
import { lookupBatchPriority } from './nightly-start.service.ts';

describe('lookupBatchPriority', () => {
  it('is a round robin: batch n of a run of up to 30 batches has priority -n', () => {
    expect([0, 1, 2].map((n) => lookupBatchPriority(n, 3))).toEqual([-0, -1, -2]);
    expect(lookupBatchPriority(29, 30)).toBe(-29);
  });

  it('spreads a larger run over the first two rounds, half in each', () => {
    const priorities = Array.from({ length: 212 }, (_, n) => lookupBatchPriority(n, 212));
    expect(priorities.filter((p) => p === 0)).toHaveLength(106);
    expect(priorities.filter((p) => p === -1)).toHaveLength(106);
  });
});
