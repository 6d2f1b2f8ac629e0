import { describe, expect, it } from 'vitest';
import {
  collapseSpaces,
  foldArabicLetters,
  foldForMatching,
  normaliseCell,
  normaliseIdentifier,
  stripInvisible,
  toAsciiDigits,
  unifySeparators,
} from './normalise.ts';

describe('toAsciiDigits', () => {
  it('maps Arabic-Indic and Persian digits and leaves everything else', () => {
    expect(toAsciiDigits('٠١٢٣٤٥٦٧٨٩')).toBe('0123456789');
    expect(toAsciiDigits('۰۱۲۳۴۵۶۷۸۹')).toBe('0123456789');
    expect(toAsciiDigits('رقم ١٣-20697 abc')).toBe('رقم 13-20697 abc');
  });
});

describe('stripInvisible', () => {
  it('removes direction marks, isolates, zero-width characters and the BOM', () => {
    const invisible =
      '\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\ufeff\u061c\u00ad';
    expect(stripInvisible(`a${invisible}b`)).toBe('ab');
  });
});

describe('collapseSpaces', () => {
  it('turns NBSP, thin spaces, tabs and newlines into single spaces and trims', () => {
    expect(collapseSpaces('\u00a0 a\u2009\u202f b\t\nc \u3000')).toBe('a b c');
  });
});

describe('unifySeparators', () => {
  it('maps dash and slash look-alikes', () => {
    expect(unifySeparators('1‐2‑3–4—5−6－7')).toBe('1-2-3-4-5-6-7');
    expect(unifySeparators('1⁄2∕3／4\\5')).toBe('1/2/3/4/5');
  });

  it('removes tatweel stretching a letter but reads a free-standing one as a dash', () => {
    expect(unifySeparators('بـــغداد')).toBe('بغداد');
    expect(unifySeparators('13ـ20697')).toBe('13-20697');
    expect(unifySeparators('13 ـ 20697')).toBe('13 - 20697');
  });
});

describe('foldArabicLetters', () => {
  it('folds alef, yeh and kaf variants, ta marbuta only on request', () => {
    expect(foldArabicLetters('أإآٱ ى ی ک ة', { foldTaMarbuta: false })).toBe('اااا ي ي ك ة');
    expect(foldArabicLetters('البصرة', { foldTaMarbuta: true })).toBe('البصره');
  });
});

describe('normaliseCell', () => {
  it('keeps letters and digits as typed but cleans invisibles and spaces', () => {
    expect(normaliseCell('\u200f  شركة\u00a0النقل  ١٢ ')).toBe('شركة النقل ١٢');
  });

  it('composes Arabic presentation forms', () => {
    expect(normaliseCell('\ufe8d\ufee0\ufe91\ufebb\ufeae\ufe93')).toBe('البصرة');
  });
});

describe('normaliseIdentifier', () => {
  it('applies every fold and upper-cases Latin', () => {
    expect(normaliseIdentifier(' \u200fأ-١٢\u00a0ab—cd ')).toBe('ا-12 AB-CD');
    expect(normaliseIdentifier('بَغْدَاد')).toBe('بغداد');
  });
});

describe('foldForMatching', () => {
  it('ignores case, punctuation, diacritics and letter variants', () => {
    expect(foldForMatching('  Plate No.  ')).toBe('plate no');
    expect(foldForMatching('رَقْم الّلوحة:')).toBe(foldForMatching('رقم اللوحه'));
    expect(foldForMatching('مركز_الكلفة')).toBe('مركز الكلفه');
    expect(foldForMatching('Cost-Centre')).toBe('cost centre');
  });
});
