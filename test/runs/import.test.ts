import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../server/db/tenant.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeVehicles } from '../support/factories.ts';
import { ApiClient, type ApiResponse, useProduct } from '../support/http.ts';

const test = useTestDatabase();
// Nothing listens on the gateway address: an import run must never need it.
const app = useProduct(test, {
  AUTHORITY_URL: 'http://127.0.0.1:9',
  AUTHORITY_MAX_ATTEMPTS: '1',
  AUTHORITY_TIMEOUT_MS: '500',
  AUTHORITY_BATCH_SIZE: '2',
  SUSPECT_SETTLEMENT_MIN_COUNT: '100',
});

let account: AccountFixture;
let other: AccountFixture;
let client: ApiClient;
let otherClient: ApiClient;
const plates = ['JO:13-1001', 'JO:13-1002', 'JO:13-1003', 'JO:13-1004'];

interface RunBody {
  id: string;
  kind: string;
  status: string;
  progress: { fetching: { done: number; total: number; failed: number } };
  summary: {
    changes: Array<{ change: string; violations: number; amountMinor: string }>;
    failedVehicles: Array<{ plateKey: string; reason: string; reasonAr: string }>;
  } | null;
  import: { fileName: string; format: string; sha256: string; coversAllPlates: boolean } | null;
}
interface ImportBody extends RunBody {
  import: RunBody['import'] & { rows: number; plates: number; platesInFleet: number };
  error: { code: string; message: string; details: Record<string, unknown> };
}

async function postImport(
  as: ApiClient,
  bytes: Uint8Array,
  fileName: string,
  fields: Record<string, string> = {},
): Promise<ApiResponse<ImportBody>> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)]), fileName);
  const res = await fetch(`${as.baseUrl}/api/v1/runs/import`, {
    method: 'POST',
    headers: {
      cookie: as.cookie!,
      'x-csrf-token': as.csrfToken!,
      'x-account-id': as.accountId!,
    },
    body: form,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function waitForRun(id: string, as = client): Promise<RunBody> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const run = await as.get<RunBody>(`/runs/${id}`);
    if (['done', 'partial', 'failed'].includes(run.body.status)) return run.body;
    if (Date.now() > deadline) throw new Error(`run ${id} did not finish: ${JSON.stringify(run.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function importToEnd(bytes: Uint8Array, fileName: string, fields: Record<string, string> = {}) {
  const started = await postImport(client, bytes, fileName, fields);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  expect(started.body.kind).toBe('import');
  return { started: started.body, run: await waitForRun(started.body.id) };
}

const changesOf = async (runId: string, change: string) =>
  (
    await client.get<{ changes: Array<{ ticketNumber: string }> }>(`/runs/${runId}/changes?change=${change}`)
  ).body.changes
    .map((c) => c.ticketNumber)
    .sort();

const violations = async () =>
  Object.fromEntries(
    (
      await client.get<{ violations: Array<{ ticketNumber: string; state: string; amountMinor: string }> }>(
        '/violations?limit=1000',
      )
    ).body.violations.map((v) => [v.ticketNumber, [v.state, v.amountMinor]]),
  );

const runCount = async (accountId: bigint) =>
  (
    await sql<{ n: number }>`select count(*)::int as n from runs where account_id = ${accountId}`.execute(
      test.ownerDb,
    )
  ).rows[0]!.n;

const csvHeader =
  'plate_key,ticket_number,offence_at,type_code,description_ar,description_en,location,amount,currency,status,payment_ref';
const csvLine = (plate: string, ticket: string, amount: string, status = 'unpaid') =>
  `${plate},${ticket},2026-05-10T08:15:00+03:00,SPD,"تجاوز السرعة المقررة",Speeding,"عمّان - طريق المطار",${amount},JOD,${status},`;
const csv = (lines: string[]) => Buffer.from(`\uFEFF${[csvHeader, ...lines].join('\r\n')}\r\n`, 'utf8');

async function xlsx(rows: Array<[plate: string, ticket: string, amount: number, status: string]>) {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('المخالفات', { views: [{ rightToLeft: true }] });
  sheet.addRow([
    'رقم اللوحة',
    'رقم المخالفة',
    'تاريخ المخالفة',
    'رمز المخالفة',
    'وصف المخالفة',
    'الوصف بالإنجليزية',
    'الموقع',
    'المبلغ',
    'العملة',
    'الحالة',
  ]);
  for (const [plate, ticket, amount, status] of rows) {
    sheet.addRow([
      plate,
      ticket,
      '2026-05-20T21:40:00+03:00',
      'RED',
      'قطع الإشارة الضوئية',
      'Red light',
      'إربد',
      amount,
      'JOD',
      status,
    ]);
  }
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

beforeAll(async () => {
  account = await makeAccount(test.db, 'JO');
  other = await makeAccount(test.db, 'JO');
  await makeVehicles(test.db, account.id, plates);
  await makeVehicles(test.db, other.id, plates);
  client = new ApiClient(app.product.url!);
  await client.signIn(account.users.fleet_admin.email);
  client.accountId = account.id.toString();
  otherClient = new ApiClient(app.product.url!);
  await otherClient.signIn(other.users.owner.email);
  otherClient.accountId = other.id.toString();
});

describe('a run answered by an imported authority export', () => {
  let firstRunId: string;

  it('imports a CSV: its violations are new, plates it does not mention fail (stale, never settled)', async () => {
    const { started, run } = await importToEnd(
      csv([
        csvLine('JO:13-1001', 'T-1', '45.000'),
        csvLine('JO:13-1001', 'T-2', '20'),
        csvLine('JO:13-1002', 'T-3', '12.5'),
        // A plate the fleet does not have is read and ignored.
        csvLine('JO:99-9999', 'T-9', '1'),
      ]),
      'amman-export.csv',
    );
    firstRunId = started.id;
    expect(started.import).toMatchObject({
      fileName: 'amman-export.csv',
      format: 'csv',
      coversAllPlates: false,
      rows: 4,
      plates: 3,
      platesInFleet: 2,
    });
    expect(run.status).toBe('partial');
    expect(run.progress.fetching).toEqual({ done: 4, total: 4, failed: 2 });
    expect(run.import).toMatchObject({ fileName: 'amman-export.csv', format: 'csv', coversAllPlates: false });
    expect(run.summary!.failedVehicles.map((f) => [f.plateKey, f.reason]).sort()).toEqual([
      ['JO:13-1003', 'plate not covered by the export'],
      ['JO:13-1004', 'plate not covered by the export'],
    ]);
    // The stored English reason, and beside it its Arabic from the reasons catalogue.
    const notCoveredAr = 'اللوحة غير مشمولة في الملف المصدَّر';
    expect(run.summary!.failedVehicles.map((f) => f.reasonAr)).toEqual([notCoveredAr, notCoveredAr]);
    const failed = await client.get<{
      vehicles: Array<{
        plateKey: string;
        lookup: { status: string; lastError: string; lastErrorAr: string };
      }>;
    }>(`/runs/${run.id}/vehicles?status=failed`);
    expect(failed.body.vehicles.map((v) => [v.plateKey, v.lookup]).sort()).toEqual(
      ['JO:13-1003', 'JO:13-1004'].map((plateKey) => [
        plateKey,
        expect.objectContaining({
          status: 'failed',
          lastError: 'plate not covered by the export',
          lastErrorAr: notCoveredAr,
        }),
      ]),
    );
    expect(await changesOf(run.id, 'new')).toEqual(['T-1', 'T-2', 'T-3']);
    expect(await violations()).toEqual({
      'T-1': ['outstanding', '45000'],
      'T-2': ['outstanding', '20000'],
      'T-3': ['outstanding', '12500'],
    });
    const stored = await sql<{ format: string; size: number }>`
      select format, octet_length(content)::int as size from run_imports
      where account_id = ${account.id} and run_id = ${BigInt(run.id)}`.execute(test.ownerDb);
    expect(stored.rows).toEqual([{ format: 'csv', size: expect.any(Number) }]);
  });

  it('imports an XLSX with Arabic headers: paid fines settle, a plate missing from the file is stale', async () => {
    const { started, run } = await importToEnd(
      await xlsx([
        ['13-1001', 'T-1', 45, 'غير مدفوعة'],
        ['13-1001', 'T-2', 20, 'مدفوعة'],
        ['١٣-١٠٠٣', 'T-4', 30.25, 'unpaid'],
      ]),
      'مخالفات.xlsx',
    );
    expect(started.import).toMatchObject({ format: 'xlsx', rows: 3, plates: 2, platesInFleet: 2 });
    expect(run.status).toBe('partial');
    expect(await changesOf(run.id, 'new')).toEqual(['T-4']);
    expect(await changesOf(run.id, 'settled')).toEqual(['T-2']);
    // JO:13-1002 is not in this file: its fine is stale, carried forward, not settled.
    expect(await changesOf(run.id, 'stale')).toEqual(['T-3']);
    expect(await violations()).toEqual({
      'T-1': ['outstanding', '45000'],
      'T-2': ['settled', '20000'],
      'T-3': ['outstanding', '12500'],
      'T-4': ['outstanding', '30250'],
    });
  });

  it('with coversAllPlates=true, a plate the file does not mention has no violations', async () => {
    const { started, run } = await importToEnd(
      csv([
        csvLine('JO:13-1001', 'T-1', '45.000'),
        csvLine('JO:13-1001', 'T-2', '20', 'paid'),
        csvLine('JO:13-1003', 'T-4', '30.250'),
      ]),
      'complete-export.csv',
      { coversAllPlates: 'true' },
    );
    expect(started.import.coversAllPlates).toBe(true);
    expect(run.status).toBe('done');
    expect(run.progress.fetching).toEqual({ done: 4, total: 4, failed: 0 });
    expect(await changesOf(run.id, 'settled')).toEqual(['T-3']);
    expect(await changesOf(run.id, 'stale')).toEqual([]);
    expect((await violations())['T-3']).toEqual(['settled', '12500']);
  });

  it('refuses a malformed file with the row and column, and starts no run', async () => {
    const before = await runCount(account.id);
    const bad = await postImport(
      client,
      csv([csvLine('JO:13-1001', 'T-1', '45.000'), csvLine('JO:13-1002', 'T-7', '12.5001')]),
      'bad.csv',
    );
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('run_import.invalid_row');
    expect(bad.body.error.message).toMatch(/^bad\.csv: row 3, column "amount" \(H\): /);
    expect(bad.body.error.details).toMatchObject({ row: 3, column: 'amount', problemCount: 1 });

    const wrongCurrency = await postImport(
      client,
      Buffer.from(
        csv([csvLine('JO:13-1001', 'T-1', '45')])
          .toString('utf8')
          .replace('JOD', 'EGP'),
      ),
      'egp.csv',
    );
    expect(wrongCurrency.status).toBe(422);
    expect(wrongCurrency.body.error.details).toMatchObject({ row: 2, column: 'currency' });

    const missing = await postImport(client, Buffer.from('plate_key,amount\nJO:13-1001,5\n'), 'thin.csv');
    expect([missing.status, missing.body.error.code]).toEqual([422, 'run_import.missing_column']);

    const pdf = await postImport(client, Buffer.from('%PDF-1.7\n...'), 'export.csv');
    expect([pdf.status, pdf.body.error.code]).toEqual([415, 'run_import.unsupported_type']);

    const foreign = await postImport(client, csv([csvLine('JO:77-1', 'T-1', '1')]), 'someone-else.csv');
    expect([foreign.status, foreign.body.error.code]).toEqual([422, 'run_import.no_fleet_plates']);

    const badFlag = await postImport(client, csv([csvLine('JO:13-1001', 'T-1', '45')]), 'a.csv', {
      coversAllPlates: 'yes',
    });
    expect([badFlag.status, badFlag.body.error.code]).toEqual([400, 'invalid_request']);

    const json = await client.post<ImportBody>('/runs/import', {});
    expect([json.status, json.body.error.code]).toEqual([415, 'upload.not_multipart']);

    expect(await runCount(account.id)).toBe(before);
    const imports = await sql<{ n: number }>`
      select count(*)::int as n from run_imports where account_id = ${account.id}`.execute(test.ownerDb);
    expect(imports.rows[0]!.n).toBe(3);
  });

  it('keeps an import in its tenant', async () => {
    // Through the API: another account's run id is not found, and their account is not reachable.
    const theirs = await otherClient.get<{ error: { code: string } }>(`/runs/${firstRunId}`);
    expect([theirs.status, theirs.body.error.code]).toEqual([404, 'run_not_found']);
    const crossing = await otherClient.get<{ error: { code: string } }>(`/runs/${firstRunId}`, {
      'x-account-id': account.id.toString(),
    });
    expect([crossing.status, crossing.body.error.code]).toEqual([404, 'account_not_found']);
    // In the database: row-level security shows the other tenant none of the stored files.
    const seen = await withTenant(test.db, other.id, (trx) =>
      trx.selectFrom('run_imports').select(['account_id', 'run_id']).execute(),
    );
    expect(seen).toEqual([]);
    const own = await withTenant(test.db, account.id, (trx) =>
      trx.selectFrom('run_imports').select('run_id').execute(),
    );
    expect(own).toHaveLength(3);
    // And their own import run sees only their fleet's file.
    const their = await postImport(otherClient, csv([csvLine('JO:13-1004', 'X-1', '5')]), 'theirs.csv');
    expect(their.status).toBe(202);
    expect((await client.get(`/runs/${their.body.id}`)).status).toBe(404);
    expect((await waitForRun(their.body.id, otherClient)).status).toBe('partial');
  });

  it('words a refusal in Arabic too: the file, the row, the column and each problem', async () => {
    type Worded = {
      error: {
        code: string;
        message: string;
        messageAr: string;
        wordsFrom: string;
        details: { problems: Array<{ message: string; messageAr: string }> };
      };
    };
    const bad = await postImport(
      client,
      csv([
        csvLine('JO:13-1001', 'T-1', '45.0001'),
        csvLine('JO:13-1002', 'T-2', '1', 'lost'),
        csvLine('JO:13-1003', 'T-3', '1', 'gone'),
      ]),
      'bad.csv',
    );
    const refused = bad.body as unknown as Worded;
    expect(refused.error.wordsFrom).toBe('error');
    expect(refused.error.message).toMatch(/ \(and 2 more problems\); nothing was imported$/);
    expect(refused.error.messageAr).toMatch(
      /^bad\.csv: الصف 2، العمود "amount" \(H\): "45\.0001" ليس مبلغاً بعملة JOD .* \(ومشكلتان أخريان\)؛ لم يُستورد شيء$/,
    );
    expect(refused.error.details.problems.map((p) => p.messageAr)).toEqual([
      expect.stringMatching(/ليس مبلغاً/),
      expect.stringMatching(/^"lost" ليست حالة/),
      expect.stringMatching(/^"gone" ليست حالة/),
    ]);

    const pdf = (await postImport(client, Buffer.from('%PDF-1.7\n...'), 'export.csv'))
      .body as unknown as Worded;
    expect(pdf.error.wordsFrom).toBe('error');
    expect(pdf.error.messageAr).toMatch(/^export\.csv: .*[\u0600-\u06ff]/);

    const foreign = (await postImport(client, csv([csvLine('JO:77-1', 'T-1', '1')]), 'x.csv'))
      .body as unknown as Worded;
    expect(foreign.error.messageAr).toBe(
      'x.csv: لا لوحة من لوحات ملف التصدير (1) مركبةٌ نشطة في هذا الحساب؛ لم يُستورد شيء',
    );
  });
});
