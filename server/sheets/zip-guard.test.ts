import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { buildZip, workbookMarkers } from './zip-builder.test-support.ts';
import {
  checkDeclaredSizes,
  guardZip,
  readCentralDirectory,
  ZipGuardError,
  zipRecords,
} from './zip-guard.ts';

const limits = { maxUncompressedBytes: 10 * 1024 * 1024, maxCompressionRatio: 200, maxEntries: 50 };
const MiB = 1024 * 1024;

async function problemOf(bytes: Uint8Array, custom = limits): Promise<ZipGuardError['problem']> {
  try {
    await guardZip(bytes, custom);
  } catch (error) {
    if (error instanceof ZipGuardError) return error.problem;
    throw error;
  }
  throw new Error('the zip was accepted');
}

describe('guardZip', () => {
  it('accepts a workbook written by exceljs (data descriptors) and lists its entries', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Fleet').addRow(['Plate', '13-20697']);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    const names = await guardZip(bytes, limits);
    expect(names).toContain('xl/workbook.xml');
    expect(names).toContain('xl/worksheets/sheet1.xml');
  });

  it('accepts a plain archive with stored and deflated entries', async () => {
    const bytes = buildZip([...workbookMarkers, { name: 'a.txt', data: 'hello', method: 'stored' }]);
    expect(await guardZip(bytes, limits)).toEqual(['[Content_Types].xml', 'xl/workbook.xml', 'a.txt']);
  });

  it('refuses from the declared total size alone, before inflating anything', () => {
    // The data is tiny; only the directory claims 50 MiB. No inflation happens in this check.
    const bytes = buildZip([
      { name: 'xl/worksheets/sheet1.xml', data: 'x', declaredUncompressedSize: 50 * MiB },
    ]);
    const { entries } = readCentralDirectory(bytes);
    expect(() => checkDeclaredSizes(entries, limits)).toThrow(/expand to more than/);
  });

  it('refuses a high compression ratio', async () => {
    const bytes = buildZip([{ name: 'xl/worksheets/sheet1.xml', data: new Uint8Array(8 * MiB) }]);
    expect(await problemOf(bytes)).toMatchObject({
      kind: 'bomb',
      detail: expect.stringMatching(/expands \d+×/),
    });
  });

  it('ignores the ratio of small entries (styles compress extremely well)', async () => {
    const bytes = buildZip([...workbookMarkers, { name: 'xl/styles.xml', data: new Uint8Array(512 * 1024) }]);
    await expect(guardZip(bytes, limits)).resolves.toHaveLength(3);
  });

  it('refuses an entry that inflates past what its directory declares', async () => {
    const bytes = buildZip([
      {
        name: 'xl/worksheets/sheet1.xml',
        data: new Uint8Array(2 * MiB),
        declaredUncompressedSize: 1000,
        localUncompressedSize: 1000,
      },
    ]);
    expect(await problemOf(bytes)).toMatchObject({
      kind: 'bomb',
      detail: expect.stringContaining('past its declared size'),
    });
  });

  it('refuses local headers that disagree with the directory', async () => {
    const bytes = buildZip([{ name: 'xl/a.xml', data: 'abc', localUncompressedSize: 999 }]);
    expect(await problemOf(bytes)).toMatchObject({
      kind: 'corrupt',
      detail: expect.stringContaining('different sizes'),
    });
  });

  it('refuses data the directory does not list (a hidden second sheet for streaming readers)', async () => {
    const bytes = buildZip([
      ...workbookMarkers,
      { name: 'xl/worksheets/sheet1.xml', data: new Uint8Array(100), hidden: true },
    ]);
    expect(await problemOf(bytes)).toMatchObject({
      kind: 'corrupt',
      detail: expect.stringContaining('does not list'),
    });
  });

  it('refuses too many entries', async () => {
    const entries = Array.from({ length: 51 }, (_, index) => ({ name: `f${index}`, data: 'x' }));
    expect(await problemOf(buildZip(entries))).toMatchObject({ kind: 'bomb' });
  });

  it('refuses encrypted entries and unknown compression methods', async () => {
    expect(await problemOf(buildZip([{ name: 'a', data: 'x', flags: 1 }]))).toMatchObject({
      kind: 'unsupported',
    });
    const bzip = buildZip([{ name: 'a', data: 'x', method: 'stored' }]);
    // Patch the directory's method field to 12 (bzip2).
    const directoryOffset = bzip.readUInt32LE(bzip.length - 6);
    bzip.writeUInt16LE(12, directoryOffset + 10);
    expect(await problemOf(bzip)).toMatchObject({ kind: 'unsupported' });
  });

  it('refuses truncated and damaged archives', async () => {
    const bytes = buildZip([...workbookMarkers]);
    expect(await problemOf(bytes.subarray(0, bytes.length - 10))).toMatchObject({ kind: 'corrupt' });
    expect(await problemOf(bytes.subarray(0, 10))).toMatchObject({ kind: 'corrupt' });
    const damaged = Buffer.from(bytes);
    damaged.writeUInt32LE(0xdeadbeef, damaged.readUInt32LE(damaged.length - 6));
    expect(await problemOf(damaged)).toMatchObject({ kind: 'corrupt' });
    const garbled = buildZip([{ name: 'a.xml', data: 'hello world hello world' }]);
    const dataStart = 30 + 'a.xml'.length;
    garbled.writeUInt8(garbled.readUInt8(dataStart) ^ 0xff, dataStart);
    expect(await problemOf(garbled)).toMatchObject({ kind: 'corrupt' });
  });
});

describe('zipRecords', () => {
  it('cuts a guarded archive into its entries, in file order, and the directory after them', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Fleet').addRow(['Plate', '13-20697']);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    await guardZip(bytes, limits);
    const { records, directory } = zipRecords(bytes);
    const { entries } = readCentralDirectory(bytes);
    expect(records.map((record) => record.name)).toEqual(
      [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset).map((entry) => entry.name),
    );
    expect(Buffer.concat([...records.map((record) => record.bytes), directory]).equals(bytes)).toBe(true);
  });
});
