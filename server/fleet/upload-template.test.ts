import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import { jurisdictionCodes } from '../jurisdictions/profiles.ts';
import { UploadError } from './upload-error.ts';
import { readUpload } from './upload-read.ts';
import { writeUploadTemplate } from './upload-template.ts';
import { validateUpload } from './upload-validate.ts';

/** exceljs's `load` is typed for an ArrayBuffer. */
const arrayBufferOf = (bytes: Buffer) =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

const sampleRows: Record<JurisdictionCode, { cells: string[]; key: string }> = {
  JO: { cells: ['13', '20697'], key: 'JO:13-20697' },
  IQ: { cells: ['11', 'ب', '12345'], key: 'IQ:11-ب-12345' },
  EG: { cells: ['ب ط ر', '1234'], key: 'EG:بطر-1234' },
};

describe('writeUploadTemplate', () => {
  it.each(jurisdictionCodes)(
    '%s: bilingual headers that the reader maps back to vehicle fields',
    async (jurisdiction) => {
      const bytes = await writeUploadTemplate(jurisdiction);
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(arrayBufferOf(bytes));
      const sheet = book.worksheets[0]!;
      expect(sheet.views[0]?.rightToLeft).toBe(true);
      const headers = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
      for (const header of headers) expect(header).toMatch(/^[\u0600-\u06ff ]+ \/ [A-Za-z ]+$/);
      expect(book.worksheets[1]?.name).toBe('Instructions');

      // Blank template: headers but no vehicles.
      await expect(readUpload({ fileName: 'template.xlsx', bytes })).rejects.toMatchObject({
        code: 'upload.empty',
      });
      await expect(readUpload({ fileName: 'template.xlsx', bytes })).rejects.toBeInstanceOf(UploadError);

      // Filled in the way a user would: one vehicle on the first sheet.
      const { cells, key } = sampleRows[jurisdiction];
      sheet.addRow([...cells, 'R-1', '1HGCM82633A004352', 'شاحنة', 'CC-1', 'علي']);
      const filled = Buffer.from(await book.xlsx.writeBuffer());
      const table = await readUpload({ fileName: 'template.xlsx', bytes: filled });
      expect(table.columns.every((column) => column.field !== null)).toBe(true);
      const result = validateUpload(jurisdiction, table);
      expect(result.errors).toEqual([]);
      expect(result.vehicles).toEqual([
        expect.objectContaining({
          rowNumber: 2,
          plateKey: key,
          registrationNumber: 'R-1',
          vin: '1HGCM82633A004352',
          label: 'شاحنة',
          costCentre: 'CC-1',
          driver: 'علي',
          attributes: {},
        }),
      ]);
    },
  );

  it('lays out the plate columns of each scheme', async () => {
    const fields = async (jurisdiction: JurisdictionCode) => {
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(arrayBufferOf(await writeUploadTemplate(jurisdiction)));
      return ((book.worksheets[0]!.getRow(1).values as unknown[]).slice(1) as string[]).map(
        (header) => header.split(' / ')[1],
      );
    };
    expect((await fields('JO')).slice(0, 2)).toEqual(['Plate code', 'Plate number']);
    expect((await fields('IQ')).slice(0, 3)).toEqual(['Governorate', 'Plate letters', 'Plate number']);
    expect((await fields('EG')).slice(0, 2)).toEqual(['Plate letters', 'Plate number']);
  });
});
