import { describe, expect, it } from 'vitest';
import { nightlyCron } from './runs.schedule.ts';

describe('nightlyCron', () => {
  it('runs every day at the local time', () => {
    expect(nightlyCron('02:00')).toBe('0 2 * * *');
    expect(nightlyCron('23:45:00')).toBe('45 23 * * *');
    expect(nightlyCron('00:05')).toBe('5 0 * * *');
  });
});
