import { describe, expect, it } from 'vitest';
import { isolate, ltr, visualRuns } from './pdf-text.ts';

const shown = (line: string, base: 'rtl' | 'ltr') =>
  visualRuns(line, base).map((run) => `${run.rtl ? 'R' : 'L'}:${run.text}`);

describe('visual runs', () => {
  it('keeps a pure Arabic line as one right-to-left run in logical order', () => {
    expect(shown('كشف حساب المخالفات', 'rtl')).toEqual(['R:كشف حساب المخالفات']);
  });

  it('puts numbers in an Arabic line as left-to-right runs, in right-to-left order', () => {
    expect(shown(`المبلغ ${ltr('12.500')} دينار`, 'rtl')).toEqual(['R: دينار', 'L:12.500', 'R:المبلغ ']);
  });

  it('keeps an isolated plate whole and left to right, and drops the isolate marks', () => {
    const runs = shown(`المركبة ${isolate('10-20001')} عليها`, 'rtl');
    expect(runs).toEqual(['R: عليها', 'L:10-20001', 'R:المركبة ']);
  });

  it('orders an Arabic phrase inside an English line as one run', () => {
    expect(shown('Company شركة النقل ltd', 'ltr')).toEqual(['L:Company ', 'R:شركة النقل', 'L: ltd']);
  });

  it('mirrors brackets inside right-to-left runs', () => {
    expect(shown('(مصر)', 'rtl')).toEqual(['R:)مصر(']);
  });
});
