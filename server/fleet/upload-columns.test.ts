import { describe, expect, it } from 'vitest';
import { columnLetter } from '../sheets/columns.ts';
import { columnTitles, matchAmbiguousHeader, matchHeader, vehicleFields } from './upload-columns.ts';

describe('matchHeader', () => {
  it.each([
    ['رقم اللوحة', 'plate'],
    ['رقم اللوحه', 'plate'],
    ['رَقْمُ اللَّوحة', 'plate'],
    ['  PLATE   NO. ', 'plate'],
    ['Plate Number', 'plate'],
    ['plate #', 'plate'],
    ['اللوحة', 'plate'],
    ['رمز اللوحة', 'plateCode'],
    ['Plate code', 'plateCode'],
    ['حرف اللوحة', 'plateLetters'],
    ['المحافظة', 'governorate'],
    ['رقم التسجيل', 'registrationNumber'],
    ['Registration No.', 'registrationNumber'],
    ['VIN', 'vin'],
    ['vin no', 'vin'],
    ['رقم الشاصي', 'vin'],
    ['رقم الشاصى', 'vin'],
    ['Chassis Number', 'vin'],
    ['الوصف', 'label'],
    ['اسم المركبة', 'label'],
    ['Label', 'label'],
    ['Cost Center', 'costCentre'],
    ['cost-centre', 'costCentre'],
    ['مركز الكلفة', 'costCentre'],
    ['مركز التكلفة', 'costCentre'],
    ['Driver', 'driver'],
    ['السائق', 'driver'],
    ['اسم السائق', 'driver'],
    ['رقم اللوحة / Plate number', 'plate'],
    ['Plate (رقم اللوحة)', 'plate'],
    ['السائق\nDriver', 'driver'],
    ['نوع اللوحة', 'plateType'],
    ['Plate type', 'plateType'],
    ['Gov.', 'governorate'],
    ['رمز المحافظة', 'governorate'],
    ['Letter', 'plateLetters'],
    ['حروف', 'plateLetters'],
  ])('%j → %s', (header, field) => {
    expect(matchHeader(header)).toBe(field);
  });

  it.each(['Colour', 'ملاحظات', '', 'Plate / Driver', 'Model year'])(
    '%j is not a vehicle field',
    (header) => {
      expect(matchHeader(header)).toBeNull();
    },
  );

  it('matches every field by its own Arabic and English titles', () => {
    for (const field of vehicleFields) {
      expect(matchHeader(columnTitles[field].ar)).toBe(field);
      expect(matchHeader(columnTitles[field].en)).toBe(field);
    }
  });
});

describe('matchAmbiguousHeader', () => {
  it.each([
    ['الرقم', 'plate'],
    ['No.', 'plate'],
    ['Number', 'plate'],
    ['الأرقام', 'plate'],
    ['Digits', 'plate'],
    ['Type', 'plateType'],
    ['النوع', 'plateType'],
    ['Code', 'plateCode'],
  ])('%j may be %s', (header, field) => {
    expect(matchHeader(header)).toBeNull();
    expect(matchAmbiguousHeader(header)).toBe(field);
  });
});

describe('columnLetter', () => {
  it.each([
    [0, 'A'],
    [25, 'Z'],
    [26, 'AA'],
    [51, 'AZ'],
    [701, 'ZZ'],
    [702, 'AAA'],
  ])('%i → %s', (index, letter) => {
    expect(columnLetter(index)).toBe(letter);
  });
});
