import { describe, expect, it } from 'vitest';
import { columnLetter } from '../sheets/columns.ts';
import { decidePlateColumns, needsContents, type ProposedColumn } from './plate-columns.ts';
import { matchAmbiguousHeader, matchHeader } from './upload-columns.ts';

function propose(headers: string[]): ProposedColumn[] {
  return headers.map((header, index) => {
    const field = matchHeader(header);
    return {
      index,
      letter: columnLetter(index),
      header,
      field,
      ambiguous: field ? null : matchAmbiguousHeader(header),
    };
  });
}

function decide(headers: string[], rows: string[][], jurisdiction?: 'IQ' | 'JO' | 'EG') {
  return decidePlateColumns(propose(headers), rows, jurisdiction);
}

const fields = (decided: ReturnType<typeof decide>) => decided.map((column) => column.field);

describe('decidePlateColumns', () => {
  const iraqi = [
    ['1', 'وطنية', 'بغداد', 'ب', '12345'],
    ['2', 'KRG', '21', 'د', '778'],
    ['3', 'قديمة', 'البصرة', '', '4521'],
  ];

  it('takes الرقم beside المحافظة and الحرف as the plate number, and a column counting rows as a row number', () => {
    const decided = decide(['الرقم', 'نوع اللوحة', 'المحافظة', 'الحرف', 'رقم'], iraqi, 'IQ');
    expect(fields(decided)).toEqual([null, 'plateType', 'governorate', 'plateLetters', 'plate']);
    expect(decided[0]!.note?.en).toBe('kept as an extra column: its values run 1, 2, 3…, a row number');
    expect(decided[4]!.note?.en).toMatch(/^the plate number, read with "نوع اللوحة", "المحافظة", "الحرف"/);
    expect(decided[4]!.note?.ar).toMatch(/^رقم اللوحة/);
  });

  it('decides English short headers the same way', () => {
    expect(fields(decide(['No.', 'Type', 'Gov.', 'Letter', 'Number'], iraqi, 'IQ'))).toEqual([
      null,
      'plateType',
      'governorate',
      'plateLetters',
      'plate',
    ]);
  });

  it('keeps a short number header as an extra column when the list has a plate column', () => {
    const decided = decide(['No.', 'Plate number'], [['7', '13-20697']], 'JO');
    expect(fields(decided)).toEqual([null, 'plate']);
    expect(decided[0]!.note?.en).toBe('kept as an extra column: the plate is in "Plate number"');
  });

  it('takes a short number header alone as the whole plate only when its values are plates', () => {
    expect(
      fields(
        decide(
          ['الرقم', 'Driver'],
          [
            ['13-20697', 'a'],
            ['14-1234', 'b'],
            ['20 555', 'c'],
          ],
          'JO',
        ),
      ),
    ).toEqual(['plate', 'driver']);
    expect(
      fields(
        decide(
          ['الرقم', 'Driver'],
          [
            ['7', 'a'],
            ['19', 'b'],
            ['4', 'c'],
          ],
          'JO',
        ),
      ),
    ).toEqual([null, 'driver']);
  });

  it('takes Code as the plate code beside a number, but not beside a plate column', () => {
    const rows = [
      ['13', '20697'],
      ['CD', '120'],
      ['١٤', '555'],
    ];
    expect(fields(decide(['Code', 'No.'], rows, 'JO'))).toEqual(['plateCode', 'plate']);
    expect(fields(decide(['Code', 'Plate'], rows, 'JO'))).toEqual([null, 'plate']);
  });

  it('keeps a Type column of vehicle kinds as an extra column, saying why', () => {
    const decided = decide(
      ['الحروف', 'الأرقام', 'النوع'],
      [
        ['ب ط', '12', 'ملاكي'],
        ['س', '7', 'نقل'],
      ],
      'EG',
    );
    expect(fields(decided)).toEqual(['plateLetters', 'plate', null]);
    expect(decided[2]!.note?.en).toBe(
      'kept as an extra column, not the plate type: its values (such as "ملاكي") are not plate types',
    );
  });

  it('takes plate numbers that run on as the plate number when no other column could be it', () => {
    const rows = [
      ['11', 'ب', '5001'],
      ['11', 'ب', '5002'],
      ['11', 'ب', '5003'],
      ['11', 'ب', '5004'],
    ];
    expect(fields(decide(['Gov.', 'Letter', 'No.'], rows, 'IQ'))).toEqual([
      'governorate',
      'plateLetters',
      'plate',
    ]);
    const withSerial = rows.map((row, index) => [String(index + 1), ...row]);
    expect(fields(decide(['No.', 'Gov.', 'Letter', 'Number'], withSerial, 'IQ'))).toEqual([
      null,
      'governorate',
      'plateLetters',
      'plate',
    ]);
  });

  it('finds no plate where the only candidate counts the rows', () => {
    const decided = decide(
      ['No.', 'Driver'],
      [
        ['1', 'a'],
        ['2', 'b'],
        ['3', 'c'],
      ],
      'IQ',
    );
    expect(decided.some((column) => column.field === 'plate')).toBe(false);
  });

  it('needs the contents only for ambiguous or plate-type columns', () => {
    expect(needsContents(propose(['Plate', 'VIN', 'Driver']))).toBe(false);
    expect(needsContents(propose(['Plate', 'Type']))).toBe(true);
    expect(needsContents(propose(['الحرف', 'الرقم']))).toBe(true);
  });
});
