import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import { jurisdictionCodes } from '../jurisdictions/profiles.ts';
import { iraqGovernorates, parsePlate } from './plates.ts';

function keyOf(jurisdiction: JurisdictionCode, raw: string): string {
  const result = parsePlate(jurisdiction, raw);
  if (!result.ok) throw new Error(`${raw}: ${result.code} ${result.message}`);
  return result.plate.key;
}

function errorOf(jurisdiction: JurisdictionCode, raw: string): string {
  const result = parsePlate(jurisdiction, raw);
  if (result.ok) throw new Error(`${raw} parsed as ${result.plate.key}`);
  return result.code;
}

describe('Jordan plates', () => {
  it.each([
    '13-20697',
    '20697 / 13',
    '20697-13',
    '١٣-٢٠٦٩٧',
    '13 20697',
    '۱۳-۲۰۶۹۷',
    '13–20697',
    '13—20697',
    '13ـ20697',
    '13/20697',
    '\u200f13-20697\u200e',
    '13\u00a0-\u00a020697',
    ' 13 - 20697 ',
    '013-020697',
    'JORDAN 13-20697',
    'الأردن ١٣ - ٢٠٦٩٧',
    '\u202b١٣\u202c-\u2066٢٠٦٩٧\u2069',
    '１３-２０６９７',
    '13.20697',
  ])('%s is JO:13-20697', (raw) => {
    expect(keyOf('JO', raw)).toBe('JO:13-20697');
  });

  it('gives fields and display', () => {
    expect(parsePlate('JO', '20697 / 13')).toEqual({
      ok: true,
      plate: {
        key: 'JO:13-20697',
        fields: { scheme: 'jo', code: '13', number: '20697' },
        display: '13-20697',
      },
    });
  });

  it('takes the first written group as the code when both are short', () => {
    expect(keyOf('JO', '10-5')).toBe('JO:10-5');
    expect(keyOf('JO', '5-10')).toBe('JO:5-10');
  });

  it('accepts single-digit codes and six-digit numbers', () => {
    expect(keyOf('JO', '1-123456')).toBe('JO:1-123456');
  });

  it('accepts letter codes for government and diplomatic series', () => {
    expect(keyOf('JO', 'CD 1234')).toBe('JO:CD-1234');
    expect(keyOf('JO', '1234-cd')).toBe('JO:CD-1234');
    expect(keyOf('JO', 'UN-77')).toBe('JO:UN-77');
    expect(errorOf('JO', 'ABCD-77')).toBe('plate.code_invalid');
  });

  it.each([
    ['', 'plate.empty'],
    ['   ', 'plate.empty'],
    ['\u200f\u200e', 'plate.empty'],
    ['الأردن', 'plate.empty'],
    ['1320697', 'plate.code_missing'],
    ['123-20697', 'plate.code_invalid'],
    ['0-20697', 'plate.code_invalid'],
    ['13-1234567', 'plate.number_too_long'],
    ['13-0', 'plate.number_invalid'],
    ['13-000', 'plate.number_invalid'],
    ['13-20697-5', 'plate.unrecognised'],
    ['13 ب 20697', 'plate.unrecognised'],
    ['13@20697', 'plate.invalid_character'],
    ['13-20697 🚗', 'plate.invalid_character'],
    ['1'.repeat(70), 'plate.too_long'],
    ['x'.repeat(10_000), 'plate.too_long'],
  ])('%j is refused with %s', (raw, code) => {
    expect(errorOf('JO', raw)).toBe(code);
  });

  it('explains errors in English and Arabic', () => {
    const result = parsePlate('JO', '13-1234567');
    expect(result).toMatchObject({ ok: false, code: 'plate.number_too_long' });
    if (result.ok) return;
    expect(result.message).toContain('1234567');
    expect(result.message).toContain('6');
    expect(result.messageAr).toMatch(/[\u0600-\u06ff]/);
  });
});

describe('Iraq plates', () => {
  it.each([
    '11 ب 12345',
    '11-ب-12345',
    '12345 ب 11',
    '١١ ب ١٢٣٤٥',
    'بغداد ب 12345',
    'Baghdad B 12345',
    '11 B 12345',
    '11 ب B 12345',
    'العراق 11 ب 12345',
    'بغداد 11 ب 12345',
    '11 بـ 12345',
    '011 ب 012345',
  ])('%s is the Baghdad national plate IQ:11-ب-12345', (raw) => {
    expect(keyOf('IQ', raw)).toBe('IQ:11-ب-12345');
  });

  it('folds letter variants (أ إ آ → ا)', () => {
    expect(keyOf('IQ', '11 أ 100')).toBe('IQ:11-ا-100');
    expect(keyOf('IQ', '11 إ 100')).toBe('IQ:11-ا-100');
    expect(keyOf('IQ', '11 A 100')).toBe('IQ:11-ا-100');
  });

  it('describes national plates with governorate and region', () => {
    expect(parsePlate('IQ', '14 ر 555')).toEqual({
      ok: true,
      plate: {
        key: 'IQ:14-ر-555',
        fields: {
          scheme: 'iq',
          form: 'national',
          governorateCode: 14,
          governorate: 'Basra',
          region: 'federal',
          letter: 'ر',
          number: '555',
        },
        display: '14 ر 555',
      },
    });
  });

  it.each([
    ['21 ا 4567', 'Erbil'],
    ['اربيل ا 4567', 'Erbil'],
    ['اقليم كوردستان 22 د 4567', 'Sulaymaniyah'],
    ['KRG 23 D 4567', 'Duhok'],
    ['هولير ا 4567', 'Erbil'],
  ])('%s is a Kurdistan-region plate of %s', (raw, governorate) => {
    const result = parsePlate('IQ', raw);
    expect(result).toMatchObject({ ok: true, plate: { fields: { region: 'kurdistan', governorate } } });
  });

  it('refuses a Kurdistan marker on a federal governorate', () => {
    expect(errorOf('IQ', 'اقليم 11 ب 12345')).toBe('plate.region_mismatch');
    expect(errorOf('IQ', 'KRG بغداد 12345')).toBe('plate.region_mismatch');
  });

  it.each([
    ['بغداد 123456', 'IQ:OLD:BAGHDAD-123456', 'بغداد 123456'],
    ['بغداد خصوصي 1234', 'IQ:OLD:BAGHDAD-PRIVATE-1234', 'بغداد خصوصي 1234'],
    ['أجرة بغداد 1234', 'IQ:OLD:BAGHDAD-TAXI-1234', 'بغداد اجرة 1234'],
    ['البصرة ٧٧٧', 'IQ:OLD:BASRA-777', 'البصرة 777'],
    ['البصره 777', 'IQ:OLD:BASRA-777', 'البصرة 777'],
    ['صلاح الدين 42', 'IQ:OLD:SALAHADDIN-42', 'صلاح الدين 42'],
    ['Salah al-Din 42', 'IQ:OLD:SALAHADDIN-42', 'صلاح الدين 42'],
    ['نينوى 9', 'IQ:OLD:NINEVEH-9', 'نينوى 9'],
    ['نينوي 9', 'IQ:OLD:NINEVEH-9', 'نينوى 9'],
  ])('pre-2003 plate %s → %s', (raw, key, display) => {
    const result = parsePlate('IQ', raw);
    expect(result).toMatchObject({ ok: true, plate: { key, display, fields: { form: 'legacy' } } });
  });

  it('keeps national and pre-2003 forms apart', () => {
    expect(keyOf('IQ', 'بغداد 12345')).not.toBe(keyOf('IQ', 'بغداد ب 12345'));
  });

  it.each([
    ['', 'plate.empty'],
    ['11 12345', 'plate.letter_missing'],
    ['ب 12345', 'plate.governorate_missing'],
    ['99 ب 12345', 'plate.code_invalid'],
    ['111 ب 12345', 'plate.code_invalid'],
    ['البصرة 11 ب 12345', 'plate.governorate_mismatch'],
    ['11 ب C 12345', 'plate.letter_invalid'],
    ['11 X 12345', 'plate.letter_invalid'],
    ['11 ب D 12345', 'plate.letter_mismatch'],
    ['11 بج 12345', 'plate.unrecognised'],
    ['11 ب ج 12345', 'plate.unrecognised'],
    ['11 ب 1234567', 'plate.number_too_long'],
    ['11 ب 0', 'plate.number_invalid'],
    ['خصوصي 1234', 'plate.unrecognised'],
    ['خصوصي 11 ب 1234', 'plate.unrecognised'],
    ['بغداد 12 34', 'plate.unrecognised'],
    ['بغداد البصرة 1234', 'plate.unrecognised'],
  ])('%j is refused with %s', (raw, code) => {
    expect(errorOf('IQ', raw)).toBe(code);
  });

  it('has unique governorate codes and ids', () => {
    expect(new Set(iraqGovernorates.map((g) => g.code)).size).toBe(iraqGovernorates.length);
    expect(new Set(iraqGovernorates.map((g) => g.id)).size).toBe(iraqGovernorates.length);
  });

  it.each(iraqGovernorates)('recognises $nameEn by code and both names', (governorate) => {
    const expected = `IQ:${governorate.code}-ن-77`;
    expect(keyOf('IQ', `${governorate.code} ن 77`)).toBe(expected);
    expect(keyOf('IQ', `${governorate.nameAr} ن 77`)).toBe(expected);
    expect(keyOf('IQ', `${governorate.nameEn} N 77`)).toBe(expected);
  });
});

describe('Egypt plates', () => {
  it.each([
    'ب ط ر 1234',
    'بطر 1234',
    '1234 ب ط ر',
    'ب ط ر ١٢٣٤',
    'ب-ط-ر-1234',
    'بـطـر ١٢٣٤',
    'مصر ب ط ر 1234',
    'B T R 1234',
    'BTR-1234',
    'btr 1234',
    'ب ط ر BTR 1234',
  ])('%s is EG:بطر-1234', (raw) => {
    expect(keyOf('EG', raw)).toBe('EG:بطر-1234');
  });

  it('gives fields and display', () => {
    expect(parsePlate('EG', 'بطر ١٢٣٤')).toEqual({
      ok: true,
      plate: {
        key: 'EG:بطر-1234',
        fields: { scheme: 'eg', form: 'letters', letters: 'بطر', number: '1234' },
        display: 'ب ط ر 1234',
      },
    });
  });

  it('folds ى → ي and أ → ا', () => {
    expect(keyOf('EG', 'أ ى 12')).toBe('EG:اي-12');
    expect(keyOf('EG', 'ا ي 12')).toBe('EG:اي-12');
  });

  it('accepts one to three letters and one to four digits', () => {
    expect(keyOf('EG', 'ص 1')).toBe('EG:ص-1');
    expect(keyOf('EG', 'س ق 9876')).toBe('EG:سق-9876');
  });

  it('accepts old numbers-only plates as their own form', () => {
    expect(parsePlate('EG', '123456')).toMatchObject({
      ok: true,
      plate: { key: 'EG:OLD:123456', display: '123456', fields: { form: 'numeric' } },
    });
    expect(keyOf('EG', 'ملاكي ٤٥٦٧')).toBe('EG:OLD:4567');
    expect(keyOf('EG', '4567')).not.toBe(keyOf('EG', 'ب 4567'));
  });

  it.each([
    ['', 'plate.empty'],
    ['ب ط ر ه 1234', 'plate.letters_too_many'],
    ['ب ط ر 12345', 'plate.number_too_long'],
    ['1234567', 'plate.number_too_long'],
    ['ث 123', 'plate.letter_invalid'],
    ['ش 123', 'plate.letter_invalid'],
    ['X 123', 'plate.letter_invalid'],
    ['ب ط BTX 123', 'plate.letter_invalid'],
    ['ب ط ر BTD 1234', 'plate.letter_mismatch'],
    ['ب ط ر', 'plate.unrecognised'],
    ['ب 12 34', 'plate.unrecognised'],
    ['ب 0', 'plate.number_invalid'],
  ])('%j is refused with %s', (raw, code) => {
    expect(errorOf('EG', raw)).toBe(code);
  });
});

describe('parsePlate on any input', () => {
  it('never throws and always returns a stable shape', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...jurisdictionCodes),
        fc.string({ unit: 'grapheme', maxLength: 80 }),
        (j, raw) => {
          const result = parsePlate(j, raw);
          if (result.ok) {
            expect(result.plate.key.startsWith(`${j}:`)).toBe(true);
          } else {
            expect(result.code).toMatch(/^plate\.[a-z_]+$/);
            expect(result.message.length).toBeGreaterThan(0);
          }
        },
      ),
      { seed: 20260101, numRuns: 2000 },
    );
  });

  it('is idempotent: parsing a display string gives the same key', () => {
    const samples: [JurisdictionCode, string][] = [
      ['JO', '20697 / 13'],
      ['JO', 'cd 12'],
      ['IQ', 'Baghdad B 12345'],
      ['IQ', 'بغداد اجرة 1234'],
      ['IQ', 'KRG 23 D 4567'],
      ['EG', 'btr 1234'],
      ['EG', '٤٥٦٧'],
    ];
    for (const [j, raw] of samples) {
      const first = parsePlate(j, raw);
      if (!first.ok) throw new Error(raw);
      expect(keyOf(j, first.plate.display)).toBe(first.plate.key);
    }
  });

  it('gives the same key for Arabic-Indic and ASCII digits', () => {
    const arabicIndic = (digits: string) =>
      digits.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 999_999 }), (code, number) => {
        const ascii = `${code}-${number}`;
        expect(keyOf('JO', arabicIndic(ascii))).toBe(keyOf('JO', ascii));
        expect(keyOf('JO', `${number} / ${code}`)).toBe(
          number > 99 ? `JO:${code}-${number}` : `JO:${number}-${code}`,
        );
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
