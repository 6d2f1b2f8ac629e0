import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { readSheet, readSheetText, SheetError, type SheetRow } from './read.ts';

const limits = {
  maxBytes: 10_000,
  maxUncompressedBytes: 1_000_000,
  maxCompressionRatio: 200,
  maxZipEntries: 50,
};

async function rows(bytes: Uint8Array, extra: Partial<typeof limits & { maxCellChars: number }> = {}) {
  const read: SheetRow[] = [];
  const source = await readSheet({ bytes }, { ...limits, ...extra }, { row: (row) => void read.push(row) });
  return { source, read };
}

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

describe('readSheet', () => {
  it('streams a CSV without blank rows, numbered as the spreadsheet shows them', async () => {
    const { source, read } = await rows(utf8('\uFEFFa;b\n\n1;2\n;\n3;4\n'));
    expect(source).toEqual({ format: 'csv', encoding: 'utf-8', delimiter: ';' });
    expect(read).toEqual([
      { rowNumber: 1, texts: ['a', 'b'], values: null },
      { rowNumber: 3, texts: ['1', '2'], values: null },
      { rowNumber: 5, texts: ['3', '4'], values: null },
    ]);
  });

  it('gives an XLSX its cell values beside their texts, and stops when the sink says so', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('one');
    sheet.addRow(['name', 'when']);
    sheet.addRow(['x', new Date('2025-01-10T00:00:00Z')]);
    sheet.addRow(['y', { formula: 'A1', result: 'name' }]);
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer());
    const read: SheetRow[] = [];
    const source = await readSheet({ bytes }, limits, { row: (row) => read.push(row) < 2 });
    expect(source.format).toBe('xlsx');
    expect(read.map((row) => row.texts)).toEqual([
      ['name', 'when'],
      ['x', '2025-01-10'],
    ]);
    expect(read[1]!.values![1]).toBeInstanceOf(Date);
  });

  it('refuses by what the bytes are, not by name, with advice', async () => {
    const error = await rows(utf8('%PDF-1.4 ...')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SheetError);
    expect(error).toMatchObject({
      kind: 'unsupported_type',
      reason: 'file_type',
      advice: expect.any(String),
    });
    await expect(rows(new Uint8Array())).rejects.toMatchObject({ kind: 'empty' });
    await expect(rows(new Uint8Array(10_001))).rejects.toMatchObject({ kind: 'too_large', reason: 'size' });
  });

  it('caps cells, naming the row and column', async () => {
    await expect(rows(utf8(`a,b\n1,${'x'.repeat(11)}\n`), { maxCellChars: 10 })).rejects.toMatchObject({
      kind: 'cell_too_large',
      row: 2,
      column: 'B',
    });
  });

  it('refuses a CSV with an unbalanced quote at its row; text already decoded reads the same', () => {
    expect(() => readSheetText('a,b\n1,2\n3,"4\n', limits, { row: () => true })).toThrow(
      expect.objectContaining({ reason: 'csv_quotes', row: 3 }),
    );
  });
});
