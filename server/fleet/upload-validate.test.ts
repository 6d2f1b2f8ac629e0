import { describe, expect, it } from 'vitest';
import { columnLetter } from '../sheets/columns.ts';
import type { VehicleField } from './upload-columns.ts';
import { matchHeader } from './upload-columns.ts';
import type { RowIssue, UploadRow, UploadTable } from './upload-read.ts';
import { validateUpload } from './upload-validate.ts';

/** A read table from headers and rows of cells, as `readUpload` would give it. */
function table(headers: string[], rows: (string | null)[][], issues: RowIssue[] = []): UploadTable {
  const columns = headers.map((header, index) => ({
    index,
    letter: columnLetter(index),
    header,
    field: matchHeader(header),
    note: null,
  }));
  return {
    fileName: 'fleet.csv',
    format: 'csv',
    encoding: 'utf-8',
    delimiter: ',',
    headerRowNumber: 1,
    columns,
    issues,
    rows: rows.map((cells, index): UploadRow => {
      const row: UploadRow = {
        rowNumber: index + 2,
        values: {},
        attributes: {},
        formulaColumns: [],
        uncalculatedColumns: [],
      };
      cells.forEach((cell, position) => {
        const column = columns[position]!;
        if (cell === null || cell === '') return;
        if (column.field) row.values[column.field as VehicleField] = cell;
        else row.attributes[column.header] = cell;
      });
      return row;
    }),
  };
}

const codes = (issues: RowIssue[]) =>
  issues.map((issue) => `${issue.rowNumber} ${issue.column} ${issue.code}`);

describe('validateUpload', () => {
  it('turns valid rows into vehicle candidates', () => {
    const result = validateUpload(
      'JO',
      table(
        ['Plate', 'Registration', 'VIN', 'Label', 'Cost centre', 'Driver', 'Colour'],
        [['٢٠٦٩٧ / ١٣', 'r-١٢٣', '1hgcm 8263-3a004352', 'Hilux', 'CC-1', 'Ali', 'White']],
      ),
    );
    expect(result).toEqual({
      rowCount: 1,
      errors: [],
      warnings: [],
      vehicles: [
        {
          rowNumber: 2,
          plateKey: 'JO:13-20697',
          plateFields: { scheme: 'jo', code: '13', number: '20697' },
          plateDisplay: '13-20697',
          registrationNumber: 'R-123',
          vin: '1HGCM82633A004352',
          label: 'Hilux',
          costCentre: 'CC-1',
          driver: 'Ali',
          attributes: { Colour: 'White' },
        },
      ],
    });
  });

  it('leaves out optional fields that are empty', () => {
    const [vehicle] = validateUpload('JO', table(['Plate', 'VIN'], [['13-1', '']])).vehicles;
    expect(vehicle).toEqual({
      rowNumber: 2,
      plateKey: 'JO:13-1',
      plateFields: { scheme: 'jo', code: '13', number: '1' },
      plateDisplay: '13-1',
      attributes: {},
    });
  });

  it('reports plate errors on the plate column with the parser code', () => {
    const result = validateUpload(
      'JO',
      table(
        ['رقم اللوحة', 'Label'],
        [
          ['1320697', 'x'],
          ['', 'no plate'],
        ],
      ),
    );
    expect(codes(result.errors)).toEqual(['2 رقم اللوحة plate.code_missing', '3 رقم اللوحة plate.empty']);
    expect(result.vehicles).toEqual([]);
    expect(result.errors[0]?.messageAr).toMatch(/[\u0600-\u06ff]/);
  });

  it('combines plate-part columns in plate order', () => {
    expect(
      validateUpload(
        'JO',
        table(
          ['رمز اللوحة', 'رقم اللوحة'],
          [
            ['13', '20697'],
            ['', '14-20697'],
          ],
        ),
      ).vehicles.map((v) => v.plateKey),
    ).toEqual(['JO:13-20697', 'JO:14-20697']);
    expect(
      validateUpload(
        'IQ',
        table(
          ['Plate', 'Governorate', 'Plate letter'],
          [
            ['12345', 'بغداد', 'ب'],
            ['777', 'البصرة', ''],
          ],
        ),
      ).vehicles.map((v) => v.plateKey),
    ).toEqual(['IQ:11-ب-12345', 'IQ:OLD:BASRA-777']);
    expect(
      validateUpload('EG', table(['حروف اللوحة', 'ارقام اللوحة'], [['ب ط ر', '١٢٣٤']])).vehicles[0]?.plateKey,
    ).toBe('EG:بطر-1234');
  });

  it('reports duplicates after normalisation on the later rows, naming the first', () => {
    const result = validateUpload(
      'JO',
      table(['Plate'], [['13-20697'], ['14-1'], ['20697 / 13'], ['١٣-٢٠٦٩٧']]),
    );
    expect(codes(result.errors)).toEqual(['4 Plate row.duplicate_plate', '5 Plate row.duplicate_plate']);
    expect(result.errors[0]?.message).toBe('The plate 13-20697 is already listed in row 2.');
    expect(result.vehicles.map((vehicle) => vehicle.rowNumber)).toEqual([2, 3]);
  });

  it('checks VINs: 17 characters, no I, O or Q, unique in the file', () => {
    const result = validateUpload(
      'JO',
      table(
        ['Plate', 'VIN'],
        [
          ['13-1', '1HGCM82633A00435'],
          ['13-2', '1HGCM82633A0O4352'],
          ['13-3', '1HGCM82633A00435Q'],
          ['13-4', '1HGCM82633A004352'],
          ['13-5', '1hgcm82633a004352'],
        ],
      ),
    );
    expect(codes(result.errors)).toEqual([
      '2 VIN vin.invalid_length',
      '3 VIN vin.invalid_character',
      '4 VIN vin.invalid_character',
      '6 VIN row.duplicate_vin',
    ]);
    expect(result.errors[3]?.message).toContain('row 5');
  });

  it('refuses values too long for their field and huge extra cells', () => {
    const result = validateUpload(
      'JO',
      table(
        ['Plate', 'Label', 'Notes'],
        [
          ['13-1', 'x'.repeat(201), 'y'.repeat(501)],
          ['13-2', 'x'.repeat(200), 'ok'],
        ],
      ),
    );
    expect(codes(result.errors)).toEqual(['2 Label cell.too_long', '2 Notes cell.too_long']);
    expect(result.vehicles.map((vehicle) => vehicle.rowNumber)).toEqual([3]);
  });

  it('warns about formula values and refuses uncalculated formulas in vehicle fields', () => {
    const read = table(
      ['Plate', 'Label', 'Notes'],
      [
        ['13-1', 'Truck', ''],
        ['13-2', '', ''],
        ['13-3', 'Van', ''],
      ],
    );
    read.rows[0]!.formulaColumns = ['Label'];
    read.rows[1]!.uncalculatedColumns = ['Label'];
    read.rows[2]!.uncalculatedColumns = ['Notes'];
    const result = validateUpload('JO', read);
    expect(codes(result.warnings)).toEqual(['2 Label cell.formula', '4 Notes cell.formula_no_value']);
    expect(codes(result.errors)).toEqual(['3 Label cell.formula_no_value']);
    expect(result.vehicles.map((vehicle) => vehicle.rowNumber)).toEqual([2, 4]);
  });

  it('carries reading issues: ragged rows fail, short rows warn', () => {
    const issue = (rowNumber: number, code: string, severity: 'error' | 'warning'): RowIssue => ({
      rowNumber,
      column: null,
      code,
      severity,
      message: code,
      messageAr: code,
    });
    const result = validateUpload(
      'JO',
      table(
        ['Plate', 'Label'],
        [['13-1', 'a'], ['13-2']],
        [issue(2, 'row.ragged', 'error'), issue(3, 'row.short', 'warning')],
      ),
    );
    expect(codes(result.errors)).toEqual(['2 null row.ragged']);
    expect(codes(result.warnings)).toEqual(['3 null row.short']);
    expect(result.vehicles.map((vehicle) => vehicle.rowNumber)).toEqual([3]);
  });

  it('validates by the jurisdiction given', () => {
    const read = table(['Plate'], [['ب ط ر 1234']]);
    expect(validateUpload('EG', read).vehicles).toHaveLength(1);
    expect(codes(validateUpload('JO', read).errors)).toEqual(['2 Plate plate.unrecognised']);
  });
});
