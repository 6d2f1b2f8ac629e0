/**
 * Hostile and broken files: each gets a specific 4xx with a stable code, and the fleet does not
 * change (vehicles, applied uploads and the fleet version counted before and after).
 */
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { fleetUploadLimits } from '../../server/fleet/fleet.service.ts';
import { buildZip, workbookMarkers } from '../../server/sheets/zip-builder.test-support.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';
import { apply, csv, type FleetCounts, fixture, fleetCounts, upload, uploadAndApply } from './support.ts';

const test = useTestDatabase();
const app = useProduct(test);
let account: AccountFixture;
let client: ApiClient;
let before: FleetCounts;

async function workbook(fill: (sheet: ExcelJS.Worksheet) => void): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  fill(book.addWorksheet('Fleet'));
  return Buffer.from(await book.xlsx.writeBuffer());
}

beforeAll(async () => {
  account = await makeAccount(test.db, 'JO');
  client = new ApiClient(app.product.url!);
  await client.signIn(account.users.fleet_admin.email);
  client.accountId = account.id.toString();
  await uploadAndApply(client, await fixture('jo-clean.csv'), 'jo-clean.csv', 'replace');
  before = await fleetCounts(test.ownerDb, account.id);
  expect(before.active).toBe(40);
});

type Case = [
  name: string,
  make: () => Buffer | Promise<Buffer>,
  fileName: string,
  status: number,
  code: string,
];

const refusedFiles: Case[] = [
  ['an empty file', () => Buffer.alloc(0), 'fleet.csv', 422, 'upload.empty'],
  ['only blank lines', () => Buffer.from('\r\n \r\n,,,\r\n'), 'fleet.csv', 422, 'upload.empty'],
  [
    'binary data named .csv',
    () => Buffer.from([0x50, 0x6c, 0, 0, 0, 0x74, 0x65, 0, 1, 2, 3]),
    'fleet.csv',
    415,
    'upload.unsupported_type',
  ],
  [
    'a program named .xlsx',
    () => Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]),
    'fleet.xlsx',
    415,
    'upload.unsupported_type',
  ],
  [
    'an old .xls',
    () => Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]),
    'fleet.xls',
    415,
    'upload.unsupported_type',
  ],
  [
    'a web page named .xls',
    () => Buffer.from('<html><body><table><tr><td>13-1</td></tr></table></body></html>'),
    'fleet.xls',
    415,
    'upload.unsupported_type',
  ],
  [
    'a zip that is not a workbook',
    () => buildZip([{ name: 'word/document.xml', data: '<w/>' }]),
    'fleet.xlsx',
    415,
    'upload.unsupported_type',
  ],
  [
    'a zip bomb (declared size)',
    () =>
      buildZip([
        ...workbookMarkers,
        { name: 'xl/worksheets/sheet1.xml', data: 'x', declaredUncompressedSize: 2 ** 31 },
      ]),
    'fleet.xlsx',
    422,
    'upload.zip_bomb',
  ],
  [
    'a zip bomb (compression ratio)',
    () =>
      buildZip([
        ...workbookMarkers,
        { name: 'xl/worksheets/sheet1.xml', data: new Uint8Array(8 * 1024 * 1024) },
      ]),
    'fleet.xlsx',
    422,
    'upload.zip_bomb',
  ],
  [
    'a zip bomb (lying directory)',
    () =>
      buildZip([
        ...workbookMarkers,
        {
          name: 'xl/worksheets/sheet1.xml',
          data: new Uint8Array(200_000),
          declaredUncompressedSize: 10,
          localUncompressedSize: 10,
        },
      ]),
    'fleet.xlsx',
    422,
    'upload.zip_bomb',
  ],
  [
    'a truncated workbook',
    async () => (await fixture('jo-clean.xlsx')).subarray(0, 2000),
    'fleet.xlsx',
    422,
    'upload.corrupt',
  ],
  [
    'a huge cell',
    () => csv(['Plate,Label', `13-1,${'x'.repeat(5_000)}`]),
    'fleet.csv',
    422,
    'upload.cell_too_large',
  ],
  [
    'an unterminated quote',
    () => csv(['Plate,Label', '13-1,"never closed', '13-2,fine']),
    'fleet.csv',
    422,
    'upload.corrupt',
  ],
  [
    'duplicate headers',
    () => csv(['Plate,Label,رقم اللوحة', '13-1,a,13-2']),
    'fleet.csv',
    422,
    'upload.duplicate_header',
  ],
  ['no plate column', () => csv(['Name,Colour', 'Van,White']), 'fleet.csv', 422, 'upload.missing_column'],
  [
    'text damaged by a wrong conversion (U+FFFD)',
    () => csv(['Plate,Label', '13-1,\ufffd\ufffd\ufffd']),
    'fleet.csv',
    422,
    'upload.encoding',
  ],
  [
    'UTF-16 with a broken surrogate',
    () =>
      Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from('Plate\r\n13-1\r\n', 'utf16le'),
        Buffer.from([0x00, 0xd8, 0x41, 0x00]),
      ]),
    'fleet.csv',
    422,
    'upload.encoding',
  ],
  [
    'too many rows',
    () => csv(['Plate', ...Array.from({ length: fleetUploadLimits.maxRows + 1 }, (_, i) => `13-${i + 1}`)]),
    'fleet.csv',
    413,
    'upload.too_many_rows',
  ],
  [
    'a file over the size limit',
    () => Buffer.alloc(fleetUploadLimits.maxBytes + 1, 0x41),
    'fleet.csv',
    413,
    'upload.too_large',
  ],
];

describe('refused files', () => {
  it.each(refusedFiles)(
    'refuses %s with a specific 4xx and changes nothing',
    async (_name, make, fileName, status, code) => {
      const res = await upload(client, await make(), fileName, 'replace');
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toContain(fileName);
      const details = res.body.error.details as { uploadId: string };
      // Recorded as a rejected upload, which cannot be applied.
      const stored = await client.get<{ status: string; fileError: { code: string } }>(
        `/uploads/${details.uploadId}`,
      );
      expect(stored.body).toMatchObject({ status: 'rejected', fileError: { code } });
      const applied = await apply(client, details.uploadId);
      expect(applied.status).toBe(409);
      expect(applied.body.error.code).toBe('upload.rejected');
      expect(await fleetCounts(test.ownerDb, account.id)).toEqual(before);
    },
  );
});

/** Latin words an Arabic message may hold: formats, programs and encodings have no Arabic names. */
const LATIN_NAMES = new Set([
  'xml',
  'utf-8',
  'utf-16le',
  'utf-16be',
  'windows-1256',
  'csv',
  'xlsx',
  'xls',
  'excel',
  'office',
  'zip',
  'zip64',
  'utf',
  'pdf',
  'png',
  'jpeg',
  'gif',
  'elf',
  'windows',
  'gzip',
  'rar',
]);

/** Latin words left in an Arabic message once the file's name and quoted headers are taken out. */
function englishWordsIn(text: string, fileName: string): string[] {
  // Names of the parts inside a workbook (xl/worksheets/sheet1.xml) are the file's, not words.
  const rest = text
    .replaceAll(fileName, '')
    .replace(/"[^"]*"/g, '')
    .replace(/\S+\/\S+/g, '');
  return (rest.match(/[A-Za-z][A-Za-z0-9-]{2,}/g) ?? []).filter(
    (word) => !LATIN_NAMES.has(word.toLowerCase()),
  );
}

describe('refused files, in Arabic', () => {
  it.each(refusedFiles)(
    'says why %s was refused in Arabic too, in the envelope and the stored report',
    async (_name, make, fileName, _status, code) => {
      const res = await upload(client, await make(), fileName, 'replace');
      expect(res.body.error.code).toBe(code);
      const { messageAr } = res.body.error as { messageAr?: string };
      expect(messageAr, 'the envelope carries messageAr').toMatch(/[\u0600-\u06ff]/);
      expect(messageAr).toContain(fileName);
      expect(englishWordsIn(messageAr!, fileName)).toEqual([]);
      const details = res.body.error.details as { uploadId: string };
      const stored = await client.get<{ fileError: { messageAr: string } }>(`/uploads/${details.uploadId}`);
      expect(stored.body.fileError.messageAr).toBe(messageAr);
    },
  );
});

describe('broken rows', () => {
  it('reports ragged rows by row and refuses to replace the fleet with them', async () => {
    const res = await upload(
      client,
      csv(['Plate,Label', '13-1,Van, with a comma', '13-2', '13-3,fine']),
      'ragged.csv',
      'replace',
    );
    expect(res.status).toBe(201);
    expect(res.body.errors).toEqual([expect.objectContaining({ row: 2, code: 'row.ragged', column: null })]);
    expect(res.body.warnings).toEqual([expect.objectContaining({ row: 3, code: 'row.short' })]);
    const refused = await apply(client, res.body.id);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('upload.has_errors');
    expect(await fleetCounts(test.ownerDb, account.id)).toEqual(before);
  });

  it('rejects formula cells saved without a value, and will not replace the fleet with nothing', async () => {
    const bytes = await workbook((sheet) => {
      sheet.addRow(['Plate code', 'Plate']);
      sheet.addRow([{ formula: '10+3' }, '20697']);
      sheet.addRow(['13', { formula: 'A1&"-1"' }]);
    });
    const res = await upload(client, bytes, 'formulas.xlsx', 'replace');
    expect(res.status).toBe(201);
    expect(res.body.counts).toMatchObject({ rows: 2, valid: 0, invalid: 2 });
    expect(res.body.errors.map((error) => error.code)).toContain('cell.formula_no_value');
    for (const options of [{}, { skipInvalidRows: true }]) {
      const refused = await apply(client, res.body.id, options);
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('upload.no_valid_rows');
    }
    expect(await fleetCounts(test.ownerDb, account.id)).toEqual(before);
  });

  it('accepts a formula with its saved result, with a warning', async () => {
    const bytes = await workbook((sheet) => {
      sheet.addRow(['Plate']);
      sheet.addRow([{ formula: '"13-"&"1"', result: '13-1' }]);
    });
    const res = await upload(client, bytes, 'cached.xlsx', 'merge');
    expect(res.status).toBe(201);
    expect(res.body.warnings.map((warning) => warning.code)).toEqual(['cell.formula']);
    expect(res.body.counts.valid).toBe(1);
  });
});

describe('malformed requests', () => {
  it('refuses what is not a multipart upload of one file with a mode', async () => {
    const json = await client.post<{ error: { code: string } }>('/uploads', { file: 'x' });
    expect(json.status).toBe(415);
    expect(json.body.error.code).toBe('upload.not_multipart');

    const headers: Record<string, string> = {
      cookie: client.cookie!,
      'x-csrf-token': client.csrfToken!,
      'x-account-id': client.accountId!,
    };
    const post = async (form: FormData) => {
      const res = await fetch(`${client.baseUrl}/api/v1/uploads`, { method: 'POST', headers, body: form });
      return { status: res.status, body: (await res.json()) as { error: { code: string } } };
    };
    const noFile = new FormData();
    noFile.append('mode', 'merge');
    expect(await post(noFile)).toMatchObject({ status: 400, body: { error: { code: 'upload.no_file' } } });

    const twoFiles = new FormData();
    twoFiles.append('mode', 'merge');
    twoFiles.append('file', new Blob(['Plate\n13-1\n']), 'a.csv');
    twoFiles.append('file', new Blob(['Plate\n13-2\n']), 'b.csv');
    expect(await post(twoFiles)).toMatchObject({
      status: 400,
      body: { error: { code: 'upload.unexpected_file' } },
    });

    const noMode = await upload(client, csv(['Plate', '13-1']), 'fleet.csv', null);
    expect(noMode.status).toBe(400);
    expect(noMode.body.error.code).toBe('invalid_request');
    const badMode = await upload(client, csv(['Plate', '13-1']), 'fleet.csv', 'delete-everything');
    expect(badMode.status).toBe(400);

    const broken = await fetch(`${client.baseUrl}/api/v1/uploads`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nPlate\n13-1',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('upload.bad_multipart');

    expect(await fleetCounts(test.ownerDb, account.id)).toEqual(before);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from uploads where account_id = ${account.id} and status = 'previewed'
        and file_name = 'fleet.csv'`.execute(test.ownerDb);
    expect(rows[0]!.n).toBe(0);
  });

  it('keeps a cleaned file name', async () => {
    const res = await upload(client, csv(['Plate', '13-77']), '../../etc/أسطول\u202e.csv', 'merge');
    expect(res.status).toBe(201);
    expect(res.body.fileName).toBe('أسطول.csv');
  });
});
