import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { detectDelimiter } from '../sheets/read.ts';
import { buildZip, workbookMarkers } from '../sheets/zip-builder.test-support.ts';
import { UploadError } from './upload-error.ts';
import type { UploadLimits } from './upload-read.ts';
import { defaultUploadLimits, readUpload } from './upload-read.ts';

const csv = (text: string) => Buffer.from(text, 'utf8');

async function read(bytes: Uint8Array, fileName = 'fleet.csv', limits: Partial<UploadLimits> = {}) {
  return readUpload({ fileName, bytes }, { limits: { ...defaultUploadLimits, ...limits } });
}

async function refusal(
  bytes: Uint8Array,
  fileName = 'fleet.csv',
  limits: Partial<UploadLimits> = {},
): Promise<UploadError> {
  try {
    await read(bytes, fileName, limits);
  } catch (error) {
    if (error instanceof UploadError) return error;
    throw error;
  }
  throw new Error('the upload was accepted');
}

async function workbook(fill: (sheet: ExcelJS.Worksheet, book: ExcelJS.Workbook) => void): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  fill(book.addWorksheet('Fleet'), book);
  return Buffer.from(await book.xlsx.writeBuffer());
}

describe('file type and size', () => {
  it('refuses files over the size limit before looking inside', async () => {
    const error = await refusal(csv('Plate\n13-1\n'), 'fleet.csv', { maxBytes: 5 });
    expect(error.code).toBe('upload.too_large');
    expect(error.message).toMatch(/^fleet\.csv: /);
  });

  it('refuses an empty file', async () => {
    expect((await refusal(new Uint8Array(0))).code).toBe('upload.empty');
    expect((await refusal(csv('\r\n\r\n ,, \r\n'))).code).toBe('upload.empty');
  });

  it.each([
    ['an old .xls', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0], /97–2003/],
    ['a PDF', [...Buffer.from('%PDF-1.7\n')], /PDF/],
    ['a PNG', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], /PNG/],
    ['an ELF program', [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], /ELF/],
    ['an empty zip', [0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)], /empty zip/],
  ])('refuses %s whatever its extension', async (_name, bytes, description) => {
    const error = await refusal(Uint8Array.from(bytes), 'vehicles.csv');
    expect(error.code).toBe('upload.unsupported_type');
    expect(error.message).toMatch(description);
  });

  it('refuses binary data dressed as CSV and HTML dressed as .xls', async () => {
    expect((await refusal(Uint8Array.from([0x50, 0x6c, 0, 0, 0, 0x74, 0x65, 0, 0x01, 0x02]))).code).toBe(
      'upload.unsupported_type',
    );
    expect((await refusal(csv('<html><body><table></table></body></html>'), 'fleet.xls')).code).toBe(
      'upload.unsupported_type',
    );
  });

  it('refuses a zip that is not a workbook', async () => {
    const error = await refusal(buildZip([{ name: 'word/document.xml', data: '<w/>' }]), 'fleet.xlsx');
    expect(error.code).toBe('upload.unsupported_type');
    expect(error.message).toContain('not an Excel workbook');
  });

  it('refuses zip bombs by declared size, ratio or lying directory', async () => {
    const declared = buildZip([
      ...workbookMarkers,
      { name: 'xl/worksheets/sheet1.xml', data: 'x', declaredUncompressedSize: 2 ** 31 },
    ]);
    expect((await refusal(declared, 'fleet.xlsx')).code).toBe('upload.zip_bomb');
    const ratio = buildZip([
      ...workbookMarkers,
      { name: 'xl/worksheets/sheet1.xml', data: new Uint8Array(4 * 1024 * 1024) },
    ]);
    expect((await refusal(ratio, 'fleet.xlsx')).code).toBe('upload.zip_bomb');
    const lying = buildZip([
      ...workbookMarkers,
      {
        name: 'xl/worksheets/sheet1.xml',
        data: new Uint8Array(100_000),
        declaredUncompressedSize: 10,
        localUncompressedSize: 10,
      },
    ]);
    expect((await refusal(lying, 'fleet.xlsx')).code).toBe('upload.zip_bomb');
  });

  it('detects an xlsx by content even when it is named .csv', async () => {
    const bytes = await workbook((sheet) => {
      sheet.addRow(['Plate']);
      sheet.addRow(['13-20697']);
    });
    expect(await read(bytes, 'fleet.csv')).toMatchObject({
      format: 'xlsx',
      rows: [{ rowNumber: 2, values: { plate: '13-20697' } }],
    });
  });

  it('reports a workbook that is a valid zip but not valid XML as corrupt', async () => {
    const bytes = buildZip([
      ...workbookMarkers,
      { name: 'xl/_rels/workbook.xml.rels', data: '<Relationships' },
      {
        name: 'xl/worksheets/sheet1.xml',
        data: '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Plate',
      },
    ]);
    const error = await refusal(bytes, 'fleet.xlsx');
    expect(['upload.corrupt', 'upload.missing_column', 'upload.empty']).toContain(error.code);
  });
});

describe('CSV', () => {
  it('reads rows with spreadsheet row numbers, skipping blank rows', async () => {
    const table = await read(csv('Plate,Driver\r\n13-20697,Ali\r\n\r\n,\r\n14-1,Omar\r\n'));
    expect(table).toMatchObject({ format: 'csv', encoding: 'utf-8', delimiter: ',', headerRowNumber: 1 });
    expect(table.rows.map((row) => [row.rowNumber, row.values.plate, row.values.driver])).toEqual([
      [2, '13-20697', 'Ali'],
      [5, '14-1', 'Omar'],
    ]);
  });

  it('detects semicolon and tab delimiters', async () => {
    expect(await read(csv('رقم اللوحة;السائق\n13-20697;علي\n'))).toMatchObject({
      delimiter: ';',
      rows: [{ values: { driver: 'علي' } }],
    });
    expect(await read(csv('Plate\tDriver\n13-20697\tAli\n'))).toMatchObject({
      delimiter: '\t',
      rows: [{ values: { driver: 'Ali' } }],
    });
  });

  it('reads a single-column list', async () => {
    expect(await read(csv('Plate\n13-20697\n'))).toMatchObject({ rows: [{ values: { plate: '13-20697' } }] });
  });

  it('reads Windows-1256 Arabic', async () => {
    const decoder = new TextDecoder('windows-1256');
    const table = new Map<string, number>();
    for (let byte = 0; byte < 256; byte += 1) table.set(decoder.decode(Uint8Array.of(byte)), byte);
    const bytes = Uint8Array.from([...'رقم اللوحة,الوصف\r\n13-20697,شاحنة\r\n'], (char) => table.get(char)!);
    expect(await read(bytes)).toMatchObject({
      encoding: 'windows-1256',
      rows: [{ values: { plate: '13-20697', label: 'شاحنة' } }],
    });
  });

  it('refuses text with replacement characters', async () => {
    const error = await refusal(csv('Plate\n13-\ufffd\n'));
    expect(error.code).toBe('upload.encoding');
    expect(error.message).toContain('CSV UTF-8');
  });

  it('keeps unknown columns as attributes and cleans cell text', async () => {
    const table = await read(csv('Plate,Colour,\u200fملاحظات\u200f\n 13-20697 ,\u00a0White\u00a0,\n'));
    expect(table.rows[0]).toMatchObject({ values: { plate: '13-20697' }, attributes: { Colour: 'White' } });
    expect(table.columns.map((column) => [column.letter, column.header, column.field])).toEqual([
      ['A', 'Plate', 'plate'],
      ['B', 'Colour', null],
      ['C', 'ملاحظات', null],
    ]);
  });

  it('ignores columns with no header', async () => {
    const table = await read(csv('Plate,,Driver\n13-1,junk,Ali\n'));
    expect(table.columns.map((column) => column.header)).toEqual(['Plate', 'Driver']);
    expect(table.rows[0]?.attributes).toEqual({});
  });

  it('finds the header below a title row', async () => {
    const table = await read(csv('Fleet list 2026,,\n,,\nPlate,Driver\n13-1,Ali\n'));
    expect(table.headerRowNumber).toBe(3);
    expect(table.rows[0]?.rowNumber).toBe(4);
  });

  it('reports a missing plate column naming the headers found', async () => {
    const error = await refusal(csv('Vehicle,Driver\nTruck,Ali\n'));
    expect(error.code).toBe('upload.missing_column');
    expect(error.message).toContain('"Vehicle"');
    expect(error.message).toContain('رقم اللوحة');
    expect(error.location).toEqual({ fileName: 'fleet.csv', rowNumber: 1 });
  });

  it('names, when no plate is found, the headers seen and those expected in Arabic and English', async () => {
    const error = await readUpload(
      { fileName: 'fleet.csv', bytes: csv('Vehicle,Gov.,Driver\nTruck,11,Ali\n') },
      { jurisdiction: 'IQ' },
    ).catch((caught: unknown) => caught as UploadError);
    expect(error).toBeInstanceOf(UploadError);
    expect((error as UploadError).message).toBe(
      'fleet.csv, row 1: no plate column was found. Headers seen: "Vehicle", "Gov.", "Driver". Expected a column ' +
        '"رقم اللوحة" / "Plate number", or the plate in parts: "نوع اللوحة" / "Plate type", "المحافظة" / ' +
        '"Governorate", "الحرف" / "Letter", "الرقم" / "No." (Iraq / العراق).',
    );
  });

  it('says why a short number header was not taken for the plate', async () => {
    const error = await refusal(csv('No.,Letters,Driver\n1,ب,Ali\n2,س,Omar\n3,ط,Sami\n'));
    expect(error.code).toBe('upload.missing_column');
    expect(error.message).toContain(
      '"No." was kept as an extra column: its values run 1, 2, 3…, a row number.',
    );
    expect(error.message).toContain('"الحروف" / "Letters", "الأرقام" / "Digits" (Egypt / مصر)');
  });

  it('decides a split plate from the rows under the header and keeps their row numbers', async () => {
    const rows = ['No.,Code,Number,Driver', '1,13,20697,Ali', '', '2,CD,120,Omar', '3,14,555,Sami'];
    const table = await readUpload(
      { fileName: 'fleet.csv', bytes: csv(rows.join('\n')) },
      { jurisdiction: 'JO' },
    );
    expect(table.columns.map((column) => column.field)).toEqual([null, 'plateCode', 'plate', 'driver']);
    expect(
      table.rows.map((row) => [row.rowNumber, row.values.plateCode, row.values.plate, row.attributes['No.']]),
    ).toEqual([
      [2, '13', '20697', '1'],
      [4, 'CD', '120', '2'],
      [5, '14', '555', '3'],
    ]);
  });

  it('reports duplicate headers, including two names for the same field', async () => {
    const same = await refusal(csv('Plate,رقم اللوحة\n1,2\n'));
    expect(same.code).toBe('upload.duplicate_header');
    expect(same.message).toMatch(/columns A \("Plate"\) and B \("رقم اللوحة"\) both mean "Plate number"/);
    expect((await refusal(csv('Plate,Colour,colour\n1,2,3\n'))).code).toBe('upload.duplicate_header');
  });

  it('refuses a header with no vehicle rows', async () => {
    const error = await refusal(csv('Plate,Driver\n,\n'));
    expect(error.code).toBe('upload.empty');
    expect(error.message).toContain('no vehicle rows');
  });

  it('counts only vehicle rows against the row limit', async () => {
    const rows = Array.from({ length: 5 }, (_, index) => `13-${index + 1}`).join('\n\n');
    expect((await read(csv(`Plate\n${rows}\n`), 'fleet.csv', { maxRows: 5 })).rows).toHaveLength(5);
    const error = await refusal(csv(`Plate\n${rows}\n13-6\n`), 'fleet.csv', { maxRows: 5 });
    expect(error.code).toBe('upload.too_many_rows');
    expect(error.location.rowNumber).toBe(11);
  });

  it('refuses a huge cell, naming row and column', async () => {
    const error = await refusal(csv(`Plate,Notes\n13-1,${'x'.repeat(5000)}\n`));
    expect(error.code).toBe('upload.cell_too_large');
    expect(error.message).toBe('fleet.csv, row 2, column "B": a cell holds 5000 characters (at most 4000).');
  });

  it('refuses an unterminated quote', async () => {
    const error = await refusal(csv('Plate,Notes\n13-1,"open\n14-2,x\n'));
    expect(error.code).toBe('upload.corrupt');
  });

  it('reports ragged rows: extra cells as an error, missing cells as a warning', async () => {
    const table = await read(csv('Plate,Label,Driver\n13-1,Truck, white,Ali\n13-2\n13-3,Van,Omar\n'));
    expect(table.issues.map((issue) => [issue.rowNumber, issue.code, issue.severity])).toEqual([
      [2, 'row.ragged', 'error'],
      [3, 'row.short', 'warning'],
    ]);
    expect(table.rows).toHaveLength(3);
  });

  it('does not treat trailing empty cells as ragged', async () => {
    const table = await read(csv('Plate,Label\n13-1,Truck,,\n'));
    expect(table.issues).toEqual([]);
  });
});

describe('XLSX', () => {
  it('reads the first sheet with numbers, dates, rich text, hyperlinks and formulas', async () => {
    const bytes = await workbook((sheet, book) => {
      sheet.addRow(['رقم اللوحة', 'رمز اللوحة', 'Label', 'Driver', 'Licence expiry', 'Link', 'Weight']);
      sheet.addRow([
        20697,
        13,
        { formula: '"Truck "&"1"', result: 'Truck 1' },
        { richText: [{ text: 'Ali ', font: { bold: true } }, { text: 'Hassan' }] },
        new Date(Date.UTC(2026, 2, 31)),
        { text: 'portal', hyperlink: 'https://example.com' },
        2.5,
      ]);
      sheet.addRow(['14-1', '', { formula: 'A1' }, true, new Date(Date.UTC(2026, 2, 31, 8, 30)), '', 1e21]);
      book.addWorksheet('Other').addRow(['Plate']);
    });
    const table = await read(bytes, 'fleet.xlsx');
    expect(table).toMatchObject({ format: 'xlsx', encoding: null, delimiter: null });
    expect(table.rows).toEqual([
      {
        rowNumber: 2,
        values: { plate: '20697', plateCode: '13', label: 'Truck 1', driver: 'Ali Hassan' },
        attributes: { 'Licence expiry': '2026-03-31', Link: 'portal', Weight: '2.5' },
        formulaColumns: ['Label'],
        uncalculatedColumns: [],
      },
      {
        rowNumber: 3,
        values: { plate: '14-1', driver: 'TRUE' },
        attributes: { 'Licence expiry': '2026-03-31T08:30:00.000Z', Weight: '1e+21' },
        formulaColumns: [],
        uncalculatedColumns: ['Label'],
      },
    ]);
  });

  it('keeps sheet row numbers across blank rows', async () => {
    const bytes = await workbook((sheet) => {
      sheet.getCell('A3').value = 'Plate';
      sheet.getCell('A4').value = '13-1';
      sheet.getCell('A9').value = '13-2';
    });
    const table = await read(bytes, 'fleet.xlsx');
    expect(table.headerRowNumber).toBe(3);
    expect(table.rows.map((row) => row.rowNumber)).toEqual([4, 9]);
  });

  it('stops at the row limit while streaming', async () => {
    const bytes = await workbook((sheet) => {
      sheet.addRow(['Plate']);
      for (let index = 1; index <= 50; index += 1) sheet.addRow([`13-${index}`]);
    });
    const error = await refusal(bytes, 'fleet.xlsx', { maxRows: 20 });
    expect(error.code).toBe('upload.too_many_rows');
    expect(error.location.rowNumber).toBe(22);
  });

  it('refuses an uploaded workbook with duplicate headers', async () => {
    const bytes = await workbook((sheet) => {
      sheet.addRow(['Plate', 'VIN', 'رقم الشاصي']);
      sheet.addRow(['13-1', 'x', 'y']);
    });
    expect((await refusal(bytes, 'fleet.xlsx')).code).toBe('upload.duplicate_header');
  });
});

describe('detectDelimiter', () => {
  it.each([
    ['a,b\n1,2\n', ','],
    ['a;b\n1;2\n', ';'],
    ['a\tb\n1\t2\n', '\t'],
    ['plate\n13-1\n', ','],
    ['"a;1",b\n"x;y",c\n', ','],
    ['label;plate\nTruck, white;13-1\nVan, red;13-2\n', ';'],
  ])('%j → %j', (text, delimiter) => {
    expect(detectDelimiter(text)).toBe(delimiter);
  });
});
