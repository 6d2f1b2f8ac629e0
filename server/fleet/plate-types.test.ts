import { describe, expect, it } from 'vitest';
import { parsePlate } from '../plates/plates.ts';
import { parsePlateParts, plateTypeOf } from './plate-types.ts';

const key = (result: ReturnType<typeof parsePlateParts>) => (result.ok ? result.plate.key : result.code);

describe('plateTypeOf', () => {
  it.each([
    ['IQ', 'وطنية', 'iq.national'],
    ['IQ', 'لوحة جديدة', 'iq.national'],
    ['IQ', 'New', 'iq.national'],
    ['IQ', 'إقليم كوردستان', 'iq.kurdistan'],
    ['IQ', 'KRG', 'iq.kurdistan'],
    ['IQ', 'Old (pre-2003)', 'iq.legacy'],
    ['IQ', 'قديمة', 'iq.legacy'],
    ['JO', 'خصوصي', 'jo.numeric'],
    ['JO', 'Government', 'jo.letters'],
    ['EG', 'قديمة', 'eg.numeric'],
    ['EG', 'حروف وأرقام', 'eg.letters'],
  ] as const)('%s %j → %s', (jurisdiction, text, form) => {
    expect(plateTypeOf(jurisdiction, text)?.form).toBe(form);
  });

  it('knows only its own jurisdiction’s types', () => {
    expect(plateTypeOf('JO', 'KRG')).toBeNull();
    expect(plateTypeOf('IQ', 'ملاكي')).toBeNull();
  });
});

describe('parsePlateParts', () => {
  it('without a type reads the joined parts as one plate', () => {
    const parts = { governorate: 'بغداد', plateLetters: 'ب', plate: '12345' };
    expect(key(parsePlateParts('IQ', parts))).toBe(key(parsePlate('IQ', '11 ب 12345')));
    expect(key(parsePlateParts('JO', { plateCode: '١٣', plate: '20697' }))).toBe('JO:13-20697');
    expect(key(parsePlateParts('EG', { plateLetters: 'ب ط ر', plate: '1234' }))).toBe('EG:بطر-1234');
  });

  it('gives the same key as the plate written in one cell, for every form', () => {
    expect(
      key(parsePlateParts('IQ', { plateType: 'وطنية', governorate: '14', plateLetters: 'ب', plate: '4521' })),
    ).toBe('IQ:14-ب-4521');
    expect(
      key(parsePlateParts('IQ', { plateType: 'KRG', governorate: 'أربيل', plateLetters: 'د', plate: '77' })),
    ).toBe('IQ:21-د-77');
    expect(key(parsePlateParts('JO', { plateType: 'حكومية', plateCode: 'CD', plate: '120' }))).toBe(
      'JO:CD-120',
    );
    expect(key(parsePlateParts('EG', { plateType: 'قديمة', plate: '123456' }))).toBe('EG:OLD:123456');
  });

  it('reads a pre-2003 Iraqi plate given a governorate code by its type', () => {
    const result = parsePlateParts('IQ', { plateType: 'قديمة', governorate: '11', plate: '12345' });
    expect(key(result)).toBe(key(parsePlate('IQ', 'بغداد 12345')));
    expect(key(result)).toBe('IQ:OLD:BAGHDAD-12345');
  });

  it.each([
    [
      { plateType: 'اقليم كوردستان', governorate: '14', plateLetters: 'ب', plate: '4521' },
      /Kurdistan region.*14 ب 4521.*new national/,
    ],
    [
      { plateType: 'قديمة', governorate: 'بغداد', plateLetters: 'ب', plate: '7788' },
      /pre-2003.*11 ب 7788.*new national/,
    ],
    [{ plateType: 'وطنية', governorate: 'البصرة', plate: '3344' }, /new national.*البصرة 3344.*pre-2003/],
  ])('refuses an Iraqi row whose type and parts disagree: %j', (parts, message) => {
    const result = parsePlateParts('IQ', parts);
    expect(result).toMatchObject({ ok: false, code: 'plate.type_mismatch' });
    expect(!result.ok && result.message).toMatch(message);
    expect(!result.ok && result.messageAr).toContain(parts.plateType);
  });

  it('refuses disagreeing types in Jordan and Egypt too', () => {
    expect(key(parsePlateParts('JO', { plateType: 'Government', plateCode: '13', plate: '4521' }))).toBe(
      'plate.type_mismatch',
    );
    expect(key(parsePlateParts('EG', { plateType: 'قديمة', plateLetters: 'ب ط', plate: '12' }))).toBe(
      'plate.type_mismatch',
    );
  });

  it('names the known types when a type is unknown, in both languages', () => {
    const result = parsePlateParts('IQ', {
      plateType: 'خصوصي',
      governorate: '11',
      plateLetters: 'ج',
      plate: '5',
    });
    expect(result).toMatchObject({ ok: false, code: 'plate.type_unknown' });
    expect(!result.ok && result.message).toContain('national / وطنية');
    expect(!result.ok && result.messageAr).toContain('لوحة إقليم كوردستان');
  });

  it('reports what is wrong with the parts before comparing the type', () => {
    expect(key(parsePlateParts('IQ', { plateType: 'وطنية', governorate: '11', plate: '5566' }))).toBe(
      'plate.letter_missing',
    );
  });
});
