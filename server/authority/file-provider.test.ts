import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { readReason, reasonWords } from '../i18n/reasons.ts';
import { buildZip } from '../sheets/zip-builder.test-support.ts';
import { matchExportHeader } from './export-columns.ts';
import { describeProblem, exportProblem } from './export-problems.ts';
import {
  AuthorityExportError,
  createFileAuthorityProvider,
  defaultExportLimits,
  type ExportLimits,
  readAuthorityExport,
  readAuthorityExportCsv,
} from './file-provider.ts';

const header =
  'plate_key,ticket_number,offence_at,type_code,description_ar,description_en,location,amount,currency,status,payment_ref';
const row = (
  plate: string,
  ticket: string,
  amount: string,
  extra: Partial<Record<'currency' | 'at' | 'status', string>> = {},
) =>
  [
    plate,
    ticket,
    extra.at ?? '2025-01-10T08:15:00+03:00',
    'SPD',
    '"تجاوز السرعة المقررة"',
    'Speeding',
    '"عمّان - طريق المطار"',
    amount,
    extra.currency ?? 'JOD',
    extra.status ?? 'unpaid',
    '',
  ].join(',');

describe('file authority provider', () => {
  const csv = [
    `\uFEFF${header}`,
    row('JO:13-1', 'T-1', '45.000'),
    row('JO:13-1', 'T-2', '20', { status: 'paid' }),
    row('JO:13-2', 'T-3', '45.5'),
    row('JO:13-3', 'T-4', '10', { currency: 'EGP' }),
    row('JO:13-4', 'T-5', '10', { at: '2025-01-10 08:15' }),
    row('JO:13-5', 'T-6', '10.0001'),
  ].join('\r\n');

  it('answers plates with rows, covered plates without rows, and fails the rest', async () => {
    const provider = createFileAuthorityProvider({
      jurisdiction: 'JO',
      csv,
      coveredPlates: ['JO:13-1', 'JO:13-9'],
    });
    const lookups = await provider.queryPlates(['JO:13-1', 'JO:13-2', 'JO:13-9', 'JO:13-10']);
    const first = lookups.get('JO:13-1');
    expect(
      first?.status === 'ok' && first.violations.map((v) => [v.ticketNumber, v.amountMinor, v.status]),
    ).toEqual([
      ['T-1', 45_000n, 'unpaid'],
      ['T-2', 20_000n, 'paid'],
    ]);
    expect(lookups.get('JO:13-2')).toEqual({
      status: 'ok',
      violations: [expect.objectContaining({ amountMinor: 45_500n })],
    });
    expect(lookups.get('JO:13-9')).toEqual({ status: 'ok', violations: [] });
    expect(lookups.get('JO:13-10')).toEqual({
      status: 'failed',
      attempts: 1,
      lastError: 'plate not covered by the export',
    });
  });

  it('fails a plate with any bad row instead of answering part of it', async () => {
    const provider = createFileAuthorityProvider({
      jurisdiction: 'JO',
      csv,
      coveredPlates: ['JO:13-3', 'JO:13-4', 'JO:13-5'],
    });
    const lookups = await provider.queryPlates(['JO:13-3', 'JO:13-4', 'JO:13-5']);
    expect(lookups.get('JO:13-3')).toMatchObject({
      status: 'failed',
      lastError: expect.stringMatching(/currency EGP/),
    });
    expect(lookups.get('JO:13-4')).toMatchObject({
      status: 'failed',
      lastError: expect.stringMatching(/row 6, column "offence_at" \(C\): .*offset/),
    });
    expect(lookups.get('JO:13-5')).toMatchObject({
      status: 'failed',
      lastError: expect.stringMatching(/row 7, column "amount" \(H\)/),
    });
  });

  it("stores a bad row's failure as catalogued reasons, worded in Arabic as the row's own problem", async () => {
    const plates = ['JO:13-3', 'JO:13-4', 'JO:13-5'];
    const parsed = readAuthorityExportCsv('JO', csv);
    const provider = createFileAuthorityProvider({ jurisdiction: 'JO', parsed, coveredPlates: plates });
    const lookups = await provider.queryPlates(plates);
    const codes: string[] = [];
    for (const plate of plates) {
      const lookup = lookups.get(plate);
      if (lookup?.status !== 'failed') throw new Error(`${plate} should have failed`);
      const problem = parsed.plateProblems.get(plate)!;
      const read = readReason('lookup', lookup.lastError)!;
      expect(read.code).toBe('lookup.export_row_column');
      codes.push(readReason('lookup', read.values.reason!)!.code);
      // The stored English is the row problem's, and its Arabic the problem's Arabic.
      expect(lookup.lastError).toBe(exportProblem(problem).en);
      const arabic = reasonWords('ar', 'lookup', lookup.lastError);
      expect(arabic).toBe(exportProblem(problem).ar);
      // Outside the file's own words (its header, a cell's text, quoted) no English is left.
      expect(arabic.replace(/"[^"]*"/g, '')).not.toMatch(/\b[a-z]{3,}\b/);
    }
    expect(codes).toEqual([
      'lookup.export_wrong_currency',
      'lookup.export_bad_offence_at',
      'lookup.export_bad_amount',
    ]);
  });

  it('refuses a file without the expected columns', () => {
    expect(() => createFileAuthorityProvider({ jurisdiction: 'JO', csv: 'plate,amount\nJO:1,5' })).toThrow(
      AuthorityExportError,
    );
  });
});

async function xlsx(rows: unknown[][], options: { title?: string } = {}): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('مخالفات', { views: [{ rightToLeft: true }] });
  if (options.title) sheet.addRow([options.title]);
  for (const row of rows) sheet.addRow(row);
  workbook.addWorksheet('notes').addRow(['plate_key', 'ticket_number']);
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

const arabicHeader = [
  'رقم اللوحة',
  'رقم المخالفة / Ticket',
  'تاريخ المخالفة',
  'رمز المخالفة',
  'وصف المخالفة',
  'Description (English)',
  'الموقع',
  'المبلغ',
  'العملة',
  'الحالة',
  'رقم الدفع',
];
const xlsxRow = (
  plate: unknown,
  ticket: unknown,
  amount: unknown,
  status = 'غير مدفوعة',
  at: unknown = '2025-01-10T08:15:00+03:00',
) => [
  plate,
  ticket,
  at,
  'SPD',
  'تجاوز السرعة المقررة',
  'Speeding',
  'عمّان - طريق المطار',
  amount,
  'JOD',
  status,
  null,
];

describe('reading an export', () => {
  it('matches Arabic and English header synonyms, no phrase meaning two columns', () => {
    expect(matchExportHeader('رقم المخالفة')).toBe('ticket_number');
    expect(matchExportHeader('Ticket No.')).toBe('ticket_number');
    expect(matchExportHeader('رقم اللوحة / Plate')).toBe('plate_key');
    expect(matchExportHeader('PLATE_KEY')).toBe('plate_key');
    expect(matchExportHeader('المبلغ (Amount)')).toBe('amount');
    expect(matchExportHeader('رقم اللوحة / Amount')).toBeNull();
    expect(matchExportHeader('driver')).toBeNull();
  });

  it('reads an XLSX export with Arabic headers, a title row, written plates and number cells', async () => {
    const bytes = await xlsx(
      [
        arabicHeader,
        xlsxRow('13-20697', 'T-100', 45),
        xlsxRow('١٣-٢٠٦٩٧', 90_001, 20.5, 'مدفوعة'),
        xlsxRow('JO:7-1234', 'T-102', '12.250', 'under objection'),
        xlsxRow('JO:7-1234', 'T-103', 0.125, 'ملغاة'),
      ],
      { title: 'Greater Amman traffic violations export' },
    );
    const parsed = await readAuthorityExport('JO', bytes);
    expect(parsed).toMatchObject({ format: 'xlsx', headerRow: 2, rows: 4, problems: [] });
    const provider = createFileAuthorityProvider({ jurisdiction: 'JO', parsed });
    const lookups = await provider.queryPlates(['JO:13-20697', 'JO:7-1234']);
    const summary = (plate: string) => {
      const lookup = lookups.get(plate);
      return lookup?.status === 'ok'
        ? lookup.violations.map((v) => [v.ticketNumber, v.amountMinor, v.status])
        : lookup;
    };
    expect(summary('JO:13-20697')).toEqual([
      ['T-100', 45_000n, 'unpaid'],
      ['90001', 20_500n, 'paid'],
    ]);
    expect(summary('JO:7-1234')).toEqual([
      ['T-102', 12_250n, 'under_objection'],
      ['T-103', 125n, 'cancelled'],
    ]);
  });

  it("names the row and column of every bad cell in an XLSX, in the file's own headers", async () => {
    const bytes = await xlsx([
      arabicHeader,
      xlsxRow('13-1', 'T-1', 45),
      xlsxRow('13-2', 'T-2', 45.0001),
      xlsxRow('13-3', 'T-3', 45, 'unknown'),
      xlsxRow('13-4', 'T-4', 45, 'مدفوعة', new Date(Date.UTC(2025, 0, 10, 8, 15))),
      xlsxRow('not a plate ***', 'T-5', 45),
      xlsxRow('13-6', 'T-1', 45),
      xlsxRow('IQ:11-ب-1', 'T-7', 45),
    ]);
    const parsed = await readAuthorityExport('JO', bytes);
    expect(parsed.problems.map((p) => [p.row, p.column, p.columnLetter])).toEqual([
      [3, 'المبلغ', 'H'],
      [4, 'الحالة', 'J'],
      [5, 'تاريخ المخالفة', 'C'],
      [6, 'رقم اللوحة', 'A'],
      [7, 'رقم المخالفة / Ticket', 'B'],
      [8, 'رقم اللوحة', 'A'],
    ]);
    expect(describeProblem(parsed.problems[2]!)).toMatch(
      /row 5, column "تاريخ المخالفة" \(C\): is an Excel date/,
    );
    expect(parsed.problems[4]!.message).toBe('ticket T-1 is also on row 2');
    // A row without a readable plate could be anyone's: the provider refuses the whole file.
    expect(() => createFileAuthorityProvider({ jurisdiction: 'JO', parsed })).toThrow(/row 6/);
  });

  it('words every row problem in Arabic too, from the catalogue', async () => {
    const csv = [
      header,
      row('JO:13-1', 'T-1', '45.0001'),
      row('JO:13-2', 'T-2', '1', { status: 'lost' }),
      row('JO:13-3', 'T-3', '1', { at: 'yesterday' }),
      row('JO:13-4', 'T-4', '1', { currency: 'XYZ' }),
      row('JO:13-5', 'T-5', '1', { currency: 'EGP' }),
      row('JO:13-6', 'T-1', '1'),
      row('IQ:11-ب-1', 'T-7', '1'),
      row('JO:13-8', '', '1'),
      `${row('JO:13-9', 'T-9', '1')},extra`,
    ].join('\n');
    const parsed = await readAuthorityExport('JO', new TextEncoder().encode(csv));
    expect(parsed.problems.map((p) => [p.row, p.field])).toEqual([
      [2, 'amount'],
      [3, 'status'],
      [4, 'offence_at'],
      [5, 'currency'],
      [6, 'currency'],
      [7, 'ticket_number'],
      [8, 'plate_key'],
      [9, 'ticket_number'],
      [10, null],
    ]);
    for (const problem of parsed.problems) {
      expect(problem.messageAr, problem.message).toMatch(/[\u0600-\u06ff]/);
      expect(problem.messageAr).not.toBe(problem.message);
    }
    expect(describeProblem(parsed.problems[5]!, 'ar')).toBe(
      'الصف 7، العمود "ticket_number" (B): المخالفة T-1 مذكورة أيضاً في الصف 2',
    );
    expect(parsed.problems[4]!.messageAr).toBe('العملة EGP، والمتوقع JOD في الأردن');
    expect(parsed.problems[6]!.messageAr).toBe('اللوحة IQ:11-ب-1 لوحة من العراق والحساب في الأردن');
    expect(describeProblem(parsed.problems[8]!, 'ar')).toMatch(
      /^الصف 10: في الصف 12 خلية وفي صف العناوين 11؛/,
    );
    try {
      createFileAuthorityProvider({ jurisdiction: 'JO', parsed });
      expect.unreachable();
    } catch (error) {
      expect((error as AuthorityExportError).messageAr).toMatch(
        /^ملف التصدير، الصف 8، العمود "plate_key" \(A\): /,
      );
    }
  });

  it('fails both plates of a ticket listed twice, answers the rest', async () => {
    const csv = [
      header,
      row('JO:13-1', 'T-1', '1'),
      row('JO:13-2', 'T-1', '1'),
      row('JO:13-3', 'T-3', '1'),
    ].join('\n');
    const provider = createFileAuthorityProvider({ jurisdiction: 'JO', csv, coveredPlates: 'all' });
    const lookups = await provider.queryPlates(['JO:13-1', 'JO:13-2', 'JO:13-3', 'JO:13-4']);
    expect(lookups.get('JO:13-1')).toMatchObject({ status: 'failed', lastError: /T-1 is also on row 2/ });
    expect(lookups.get('JO:13-2')).toMatchObject({ status: 'failed' });
    expect(lookups.get('JO:13-3')).toMatchObject({ status: 'ok', violations: [expect.anything()] });
    expect(lookups.get('JO:13-4')).toEqual({ status: 'ok', violations: [] });
  });

  it('reads CSV bytes in Windows-1256 with semicolons', async () => {
    const text = [
      arabicHeader.join(';'),
      xlsxRow('13-20697', 'T-1', '45.000')
        .map((c) => c ?? '')
        .join(';'),
    ].join('\r\n');
    const bytes = new Uint8Array(iconvWindows1256(text));
    const parsed = await readAuthorityExport('JO', bytes);
    expect(parsed).toMatchObject({ format: 'csv', rows: 1, problems: [] });
    expect(parsed.byPlate.get('JO:13-20697')?.[0]).toMatchObject({
      ticketNumber: 'T-1',
      amountMinor: '45000',
    });
  });

  it('refuses whole files that are not exports, with a kind', async () => {
    const kind = async (bytes: Uint8Array, limits?: Partial<ExportLimits>) => {
      try {
        await readAuthorityExport('JO', bytes, { ...defaultExportLimits, ...limits });
      } catch (error) {
        if (error instanceof AuthorityExportError) return error.kind;
        throw error;
      }
      return 'accepted';
    };
    expect(await kind(new Uint8Array())).toBe('empty');
    expect(await kind(Buffer.from('%PDF-1.7 ...'))).toBe('unsupported_type');
    expect(await kind(Buffer.from(`${header}\n`))).toBe('empty');
    expect(await kind(Buffer.from('plate,amount\nJO:1,5'))).toBe('missing_column');
    expect(await kind(Buffer.from('رقم اللوحة,رقم المخالفة,amount\nJO:1,T,5'))).toBe('missing_column');
    expect(await kind(Buffer.from(`${header},plate\n${row('JO:13-1', 'T', '1')},x`))).toBe(
      'duplicate_header',
    );
    expect(await kind(Buffer.from(`${header}\n${row('JO:13-1', 'T', '1')}`), { maxBytes: 10 })).toBe(
      'too_large',
    );
    expect(
      await kind(Buffer.from([header, row('JO:13-1', 'T', '1'), row('JO:13-2', 'U', '1')].join('\n')), {
        maxRows: 1,
      }),
    ).toBe('too_many_rows');
    expect(await kind(Buffer.from(`${header}\n"unterminated,${row('JO:13-1', 'T', '1')}`))).toBe('corrupt');
    const markers = [
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'xl/workbook.xml', data: '<workbook/>' },
    ];
    expect(
      await kind(
        buildZip([...markers, { name: 'xl/worksheets/sheet1.xml', data: new Uint8Array(4 * 1024 * 1024) }]),
      ),
    ).toBe('zip_bomb');
    expect(await kind(buildZip([{ name: 'readme.txt', data: 'hello' }]))).toBe('unsupported_type');
    // A workbook without a readable sheet has nothing in it.
    expect(await kind(buildZip([...markers, { name: 'xl/worksheets/sheet1.xml', data: '<not xml' }]))).toBe(
      'empty',
    );
  });
});

/** Windows-1256 for the Arabic letters used above (TextEncoder only writes UTF-8). */
function iconvWindows1256(text: string): Buffer {
  const decoder = new TextDecoder('windows-1256');
  const table = new Map<string, number>();
  for (let byte = 0; byte < 256; byte += 1) table.set(decoder.decode(new Uint8Array([byte])), byte);
  return Buffer.from(
    [...text].map((char) => {
      const byte = table.get(char);
      if (byte === undefined) throw new Error(`no Windows-1256 byte for ${char}`);
      return byte;
    }),
  );
}
