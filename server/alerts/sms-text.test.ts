import { describe, expect, it } from 'vitest';
import { smsSize, smsText } from './sms-text.ts';

describe('SMS length rules', () => {
  it('count GSM-7 septets (extension characters twice) and UCS-2 units for anything else', () => {
    expect(smsSize('a'.repeat(160))).toEqual({ encoding: 'gsm7', units: 160, segments: 1 });
    expect(smsSize('a'.repeat(161))).toEqual({ encoding: 'gsm7', units: 161, segments: 2 });
    expect(smsSize('€'.repeat(80))).toEqual({ encoding: 'gsm7', units: 160, segments: 1 });
    expect(smsSize('a'.repeat(306)).segments).toBe(2);
    expect(smsSize('a'.repeat(307)).segments).toBe(3);
    expect(smsSize('م'.repeat(70))).toEqual({ encoding: 'ucs2', units: 70, segments: 1 });
    expect(smsSize('م'.repeat(71))).toEqual({ encoding: 'ucs2', units: 71, segments: 2 });
    expect(smsSize('م'.repeat(135)).segments).toBe(3);
    // One Arabic letter turns a Latin text into UCS-2.
    expect(smsSize(`${'a'.repeat(100)}ب`)).toEqual({ encoding: 'ucs2', units: 101, segments: 2 });
  });

  it('keep a short digest whole, with its link', () => {
    const { text, size } = smsText(['2 new violations: JOD\u00a030.000'], 'http://x.test/runs/1', 1);
    expect(text).toBe('2 new violations: JOD 30.000\nhttp://x.test/runs/1');
    expect(size.encoding).toBe('gsm7');
  });

  it('cut a long Arabic digest after its last whole line, within the parts allowed, ending with the link', () => {
    const lines = Array.from(
      { length: 8 },
      (_, i) => `${i + 1} مخالفات جديدة بقيمة ${i + 1}٠٠ دينار على مركبات الأسطول`,
    );
    const link = 'https://fleet.example/runs/42';
    for (const parts of [1, 2, 3]) {
      const { text, size } = smsText(lines, link, parts);
      expect(size.encoding).toBe('ucs2');
      expect(size.segments).toBeLessThanOrEqual(parts);
      expect(text.endsWith(`...\n${link}`)).toBe(true);
      const kept = text.slice(0, -`...\n${link}`.length).split('\n');
      // Two parts or more hold whole lines only, most urgent first; one part holds words of the first.
      if (parts > 1) expect(kept).toEqual(lines.slice(0, kept.length));
      else expect(lines[0]!.startsWith(kept[0]!)).toBe(true);
    }
  });
});
