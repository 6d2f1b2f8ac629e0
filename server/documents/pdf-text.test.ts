import PDFDocument from 'pdfkit';
import { describe, expect, it } from 'vitest';
import {
  checkShapingCache,
  fonts,
  isolate,
  ltr,
  rememberShaping,
  runsByAlgorithm,
  shapingCacheSupports,
  visualRuns,
} from './pdf-text.ts';

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

  it('answers a left-to-right isolate in an Arabic line, and a plain English line, as one run', () => {
    expect(shown(ltr('2026-12-05 10:00'), 'rtl')).toEqual(['L:2026-12-05 10:00']);
    expect(shown('Outstanding total', 'ltr')).toEqual(['L:Outstanding total']);
    // Neutrals between numbers in a right-to-left paragraph are not one run: the algorithm decides.
    expect(shown('10 / 20', 'rtl')).toEqual(['L:20', 'R: / ', 'L:10']);
  });

  it('answers the lines it takes as one run without the algorithm exactly as the algorithm does', () => {
    const words = ['شركة النقل', 'تجاوز السرعة المقررة', 'مُخالفة', 'ـمخالفة', 'Speeding', '10-200001'];
    const texts = [
      ...words,
      ' شركة',
      'شركة ',
      'شركة  النقل',
      'شركة 12',
      '(مصر)',
      'غير مدفوعة',
      'عمّان - شارع المدينة المنورة',
      '2026-12-05 10:00',
      'T0000012345',
      '1,234.500',
      ' Unpaid ',
      'A/B (c)',
      '',
      '\u064bشركة',
      'شركة\u0660',
    ];
    const lines = texts.flatMap((t) => [t, ltr(t), isolate(t), `${isolate(t)} `, `\u2067${t}\u2069`]);
    for (const base of ['rtl', 'ltr'] as const) {
      for (const line of lines) {
        expect(visualRuns(line, base), `${base} ${JSON.stringify(line)}`).toEqual(
          runsByAlgorithm(line, base),
        );
      }
    }
  });

  it('mirrors brackets inside right-to-left runs', () => {
    expect(shown('(مصر)', 'rtl')).toEqual(['R:)مصر(']);
  });
});

describe('the shaping cache over pdfkit', () => {
  it('attaches to the installed pdfkit, is used, and draws exactly what pdfkit draws alone', async () => {
    await expect(checkShapingCache()).resolves.toBeUndefined();
  });

  it('is refused for pdfkit versions it was not checked against', () => {
    expect(shapingCacheSupports('0.20.2')).toBe(true);
    expect(shapingCacheSupports('0.15.0')).toBe(true);
    expect(shapingCacheSupports('0.21.0')).toBe(false);
    expect(shapingCacheSupports('1.0.0')).toBe(false);
    expect(shapingCacheSupports('0.14.9')).toBe(false);
  });

  it('says what to do when pdfkit has no font object to attach to', () => {
    const doc = new PDFDocument({ autoFirstPage: false });
    doc.registerFont('regular', fonts.regular);
    doc.font('regular');
    const internal = doc as unknown as { _font: { layoutRun?: unknown } };
    internal._font.layoutRun = undefined;
    // The same font object is selected again: its method is gone.
    expect(() => rememberShaping(doc, 'regular')).toThrow(/cannot attach: .*layoutRun.*pin pdfkit/);
  });

  it('hands out read-only runs, so a pdfkit that changed them would fail loudly', () => {
    const doc = new PDFDocument({ autoFirstPage: false });
    doc.registerFont('regular', fonts.regular);
    rememberShaping(doc, 'regular');
    const font = (
      doc as unknown as { _font: { layoutRun(t: string, f?: string[]): { positions: object[] } } }
    )._font;
    const run = font.layoutRun('مخالفة', ['rlig']);
    expect(font.layoutRun('مخالفة', ['rlig'])).toBe(run);
    expect(Object.isFrozen(run.positions[0])).toBe(true);
    expect(() => {
      (run.positions[0] as { xAdvance: number }).xAdvance += 1;
    }).toThrow(TypeError);
  });
});
