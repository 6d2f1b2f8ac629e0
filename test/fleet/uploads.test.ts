import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';
import {
  activePlates,
  apply,
  csv,
  download,
  type ErrorBody,
  fixture,
  fleetCounts,
  upload,
  uploadAndApply,
} from './support.ts';

const test = useTestDatabase();
const app = useProduct(test);

interface ManifestEntry {
  file: string;
  jurisdiction: 'JO' | 'IQ' | 'EG';
  errors: { row: number; code: string }[];
  warnings: { row: number; code: string }[];
  vehicles: number;
}
const manifest: ManifestEntry[] = JSON.parse(
  await readFile(
    join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/fleets/manifest.json'),
    'utf8',
  ),
);
const entry = (file: string) => manifest.find((item) => item.file === file)!;

async function signedIn(account: AccountFixture, role: 'owner' | 'fleet_admin' | 'viewer' = 'fleet_admin') {
  const client = new ApiClient(app.product.url!);
  const res = await client.signIn(account.users[role].email);
  expect(res.status).toBe(200);
  client.accountId = account.id.toString();
  return client;
}

/** A Jordanian fleet list: plates 13-<n> for each n, with a label. */
function joFleet(numbers: number[], label = (n: number) => `Van ${n}`): Buffer {
  return csv(['Plate,Label', ...numbers.map((n) => `13-${n},${label(n)}`)]);
}
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('previewing an upload', () => {
  it('previews the clean sample fleet of each jurisdiction without touching the fleet', async () => {
    for (const file of ['jo-clean.csv', 'iq-clean.xlsx', 'eg-clean.csv']) {
      const expected = entry(file);
      const account = await makeAccount(test.db, expected.jurisdiction);
      const client = await signedIn(account);
      const res = await upload(client, await fixture(file), file, 'replace');
      expect(res.status, file).toBe(201);
      expect(res.body, file).toMatchObject({
        status: 'previewed',
        fileName: file,
        mode: 'replace',
        counts: { rows: expected.vehicles, valid: expected.vehicles, invalid: 0, duplicate: 0 },
        errors: [],
        diff: { added: expected.vehicles, removed: 0, changed: 0, unchanged: 0 },
        stale: false,
      });
      expect(res.body.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(await fleetCounts(test.ownerDb, account.id)).toEqual({
        active: 0,
        total: 0,
        uploadsApplied: 0,
        version: 0,
      });
    }
  });

  it('reports every rejected row by row, column and code, as the manifest says', async () => {
    for (const file of ['jo-messy-1256.csv', 'iq-messy-utf16.csv', 'eg-messy.xlsx']) {
      const expected = entry(file);
      const account = await makeAccount(test.db, expected.jurisdiction);
      const res = await upload(await signedIn(account), await fixture(file), file, 'merge');
      expect(res.status, file).toBe(201);
      const rejectedRows = new Set(expected.errors.map((error) => error.row)).size;
      const duplicates = new Set(
        expected.errors.filter((error) => error.code === 'row.duplicate_plate').map((error) => error.row),
      ).size;
      expect(res.body.counts, file).toEqual({
        rows: expected.vehicles + rejectedRows,
        valid: expected.vehicles,
        invalid: rejectedRows - duplicates,
        duplicate: duplicates,
        warnings: expected.warnings.length,
      });
      expect(res.body.errors.map((error) => `${error.row} ${error.code}`).sort(), file).toEqual(
        expected.errors.map((error) => `${error.row} ${error.code}`).sort(),
      );
      for (const error of res.body.errors) {
        expect(error.column, file).toEqual(expect.any(String));
        expect(error.message.length).toBeGreaterThan(5);
        expect(error.messageAr).toMatch(/[\u0600-\u06ff]/);
      }
      expect(res.body.diff).toEqual({ added: expected.vehicles, removed: 0, changed: 0, unchanged: 0 });
    }
  });

  it('gives the same report for the same file sent twice', async () => {
    const account = await makeAccount(test.db, 'JO');
    const client = await signedIn(account);
    const bytes = await fixture('jo-messy.xlsx');
    const first = await upload(client, bytes, 'jo-messy.xlsx', 'merge');
    const second = await upload(client, bytes, 'jo-messy.xlsx', 'merge');
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const again = await client.get(`/uploads/${first.body.id}`);
    expect(again.body).toEqual(first.body);
  });

  it('gives the template with Arabic and English headers, for a jurisdiction or the account', async () => {
    const account = await makeAccount(test.db, 'IQ');
    const client = await signedIn(account, 'viewer');
    const asked = await download(client, '/uploads/template.xlsx?jurisdiction=EG');
    expect(asked.status).toBe(200);
    expect(asked.type).toContain('spreadsheetml');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(asked.bytes as unknown as ArrayBuffer);
    const headers = (book.worksheets[0]!.getRow(1).values as string[]).filter(Boolean);
    expect(headers).toContain('حروف اللوحة / Plate letters');
    const own = await download(client, '/uploads/template.xlsx');
    await book.xlsx.load(own.bytes as unknown as ArrayBuffer);
    expect((book.worksheets[0]!.getRow(1).values as string[]).filter(Boolean)).toContain(
      'المحافظة / Governorate',
    );
    // The blank template uploads as a list with no rows: refused, nothing stored as a fleet.
    const writer = await signedIn(account);
    const blank = await upload(writer, own.bytes, 'template.xlsx', 'replace');
    expect(blank.status).toBe(422);
    expect(blank.body.error.code).toBe('upload.empty');
  });
});

describe('applying an upload', () => {
  it('merge adds and updates the listed vehicles and keeps the others', async () => {
    const account = await makeAccount(test.db, 'JO');
    const client = await signedIn(account);
    await uploadAndApply(client, joFleet(range(1000, 10)), 'first.csv', 'replace');
    const { preview, applied } = await uploadAndApply(
      client,
      csv(['Plate,Label', '13-1000,Van 1000', '13-1001,Renamed', '13-2000,New van']),
      'merge.csv',
      'merge',
    );
    expect(preview.diff).toEqual({ added: 1, removed: 0, changed: 1, unchanged: 1 });
    expect(applied).toMatchObject({ outcome: 'applied', status: 'applied', diff: preview.diff });
    expect(await activePlates(test.ownerDb, account.id)).toHaveLength(11);
    const renamed = await client.get<{ vehicles: { label: string }[] }>('/vehicles?q=13-1001');
    expect(renamed.body.vehicles.map((v) => v.label)).toEqual(['Renamed']);
  });

  it('keeps fields whose column the file does not have, and extra columns as attributes', async () => {
    const account = await makeAccount(test.db, 'JO');
    const client = await signedIn(account);
    await uploadAndApply(
      client,
      csv(['Plate,Label,Driver,Colour,Notes', '13-5,Truck,Omar,White,old note']),
      'full.csv',
      'replace',
    );
    const { preview } = await uploadAndApply(
      client,
      csv(['Plate,Driver,Colour', '13-5,Sami,']),
      'drivers.csv',
      'merge',
    );
    expect(preview.diff).toEqual({ added: 0, removed: 0, changed: 1, unchanged: 0 });
    const res = await client.get<{ vehicles: Record<string, unknown>[] }>('/vehicles');
    expect(res.body.vehicles).toEqual([
      expect.objectContaining({ label: 'Truck', driver: 'Sami', attributes: { Notes: 'old note' } }),
    ]);
  });

  it('replace ends the active period of unlisted vehicles; re-adding reopens the same vehicle', async () => {
    const account = await makeAccount(test.db, 'JO');
    const client = await signedIn(account);
    await uploadAndApply(client, joFleet(range(1, 5)), 'five.csv', 'replace');
    const before = await client.get<{ vehicles: { id: string; plateKey: string }[] }>('/vehicles');
    const idOf = (key: string) => before.body.vehicles.find((v) => v.plateKey === key)!.id;

    const { preview } = await uploadAndApply(client, joFleet([1, 2, 3, 6]), 'four.csv', 'replace');
    expect(preview.diff).toEqual({ added: 1, removed: 2, changed: 0, unchanged: 3 });
    expect(await activePlates(test.ownerDb, account.id)).toEqual([
      'JO:13-1',
      'JO:13-2',
      'JO:13-3',
      'JO:13-6',
    ]);
    // Nothing is deleted: the removed vehicles are still there, ended.
    const removed = await client.get<{
      vehicles: { plateKey: string; active: boolean; activeUntil: string }[];
    }>('/vehicles?status=removed');
    expect(removed.body.vehicles.map((v) => [v.plateKey, v.active])).toEqual([
      ['JO:13-4', false],
      ['JO:13-5', false],
    ]);
    expect(removed.body.vehicles.every((v) => v.activeUntil !== null)).toBe(true);

    const back = await uploadAndApply(client, joFleet([1, 2, 3, 4, 6]), 'back.csv', 'replace');
    expect(back.preview.diff).toEqual({ added: 1, removed: 0, changed: 0, unchanged: 4 });
    const reopened = await client.get<{ id: string; active: boolean; activeUntil: null }>(
      `/vehicles/${idOf('JO:13-4')}`,
    );
    expect(reopened.body).toMatchObject({ id: idOf('JO:13-4'), active: true, activeUntil: null });
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from vehicles where account_id = ${account.id} and plate_key = 'JO:13-4'`.execute(
      test.ownerDb,
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('is idempotent: the same upload or the same file again changes nothing', async () => {
    const account = await makeAccount(test.db, 'EG');
    const client = await signedIn(account);
    const bytes = await fixture('eg-clean.xlsx');
    const { preview } = await uploadAndApply(client, bytes, 'eg-clean.xlsx', 'replace');
    const after = await fleetCounts(test.ownerDb, account.id);
    const stamps = await sql<{ updated_at: Date }>`
      select max(updated_at) as updated_at from vehicles where account_id = ${account.id}`.execute(
      test.ownerDb,
    );

    const twice = await apply(client, preview.id);
    expect(twice.status).toBe(200);
    expect(twice.body).toMatchObject({ outcome: 'already_applied', status: 'applied' });

    const again = await uploadAndApply(client, bytes, 'eg-clean.xlsx', 'replace');
    expect(again.preview.id).not.toBe(preview.id);
    expect(again.preview.diff).toEqual({ added: 0, removed: 0, changed: 0, unchanged: 40 });
    expect(await fleetCounts(test.ownerDb, account.id)).toEqual({
      ...after,
      uploadsApplied: after.uploadsApplied + 1,
    });
    const stampsAfter = await sql<{ updated_at: Date }>`
      select max(updated_at) as updated_at from vehicles where account_id = ${account.id}`.execute(
      test.ownerDb,
    );
    expect(stampsAfter.rows[0]!.updated_at).toEqual(stamps.rows[0]!.updated_at);
  });

  it('refuses a stale preview with 409 and a recomputed diff, which the next apply confirms', async () => {
    const account = await makeAccount(test.db, 'JO');
    const client = await signedIn(account);
    await uploadAndApply(client, joFleet(range(1, 3)), 'base.csv', 'replace');
    const a = await upload(client, joFleet(range(1, 4)), 'a.csv', 'replace');
    const b = await upload(client, joFleet([1, 10, 11]), 'b.csv', 'replace');
    expect(b.body.diff).toEqual({ added: 2, removed: 2, changed: 0, unchanged: 1 });
    expect((await apply(client, a.body.id)).status).toBe(200);

    expect((await client.get<{ stale: boolean }>(`/uploads/${b.body.id}`)).body.stale).toBe(true);
    const stale = await apply(client, b.body.id);
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('upload.stale');
    expect((stale.body.error.details as { upload: { diff: unknown } }).upload.diff).toEqual({
      added: 2,
      removed: 3,
      changed: 0,
      unchanged: 1,
    });
    expect(await activePlates(test.ownerDb, account.id)).toHaveLength(4);
    const confirmed = await apply(client, b.body.id);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.diff).toEqual({ added: 2, removed: 3, changed: 0, unchanged: 1 });
    expect(await activePlates(test.ownerDb, account.id)).toEqual(['JO:13-1', 'JO:13-10', 'JO:13-11']);
  });

  it('will not replace the fleet with a list that has rejected rows unless told to skip them', async () => {
    const account = await makeAccount(test.db, 'JO');
    const client = await signedIn(account);
    await uploadAndApply(client, joFleet(range(1, 3)), 'base.csv', 'replace');
    const before = await fleetCounts(test.ownerDb, account.id);
    const res = await upload(client, csv(['Plate', '13-1', '13-2', 'not a plate!']), 'typo.csv', 'replace');
    expect(res.body.counts).toMatchObject({ valid: 2, invalid: 1 });
    const refused = await apply(client, res.body.id);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('upload.has_errors');
    expect(await fleetCounts(test.ownerDb, account.id)).toEqual(before);
    const skipped = await apply(client, res.body.id, { skipInvalidRows: true });
    expect(skipped.status).toBe(200);
    expect(await activePlates(test.ownerDb, account.id)).toEqual(['JO:13-1', 'JO:13-2']);
  });

  it('audits every applied upload', async () => {
    const account = await makeAccount(test.db, 'JO');
    const client = await signedIn(account);
    const { preview } = await uploadAndApply(client, joFleet(range(1, 2)), 'audit.csv', 'merge');
    const { rows } = await sql<{ action: string; target: string; actor_user_id: bigint; details: unknown }>`
      select action, target, actor_user_id, details from audit_log
      where account_id = ${account.id} and action = 'fleet.upload.applied'`.execute(test.ownerDb);
    expect(rows).toEqual([
      {
        action: 'fleet.upload.applied',
        target: `upload:${preview.id}`,
        actor_user_id: account.users.fleet_admin.id,
        details: expect.objectContaining({ mode: 'merge', added: 2, removed: 0, fileName: 'audit.csv' }),
      },
    ]);
  });
});

describe('concurrent applies for one account', () => {
  it('never interleave: one replace wins, the other is refused as stale', async () => {
    const account = await makeAccount(test.db, 'JO');
    const client = await signedIn(account);
    await uploadAndApply(client, joFleet(range(1, 200)), 'base.csv', 'replace');
    const a = await upload(client, joFleet(range(100, 300)), 'a.csv', 'replace');
    const b = await upload(client, joFleet(range(150, 400)), 'b.csv', 'replace');
    const results = await Promise.all([apply(client, a.body.id), apply(client, b.body.id)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results[0]!.status === 200 ? a : b;
    const expected = (winner === a ? range(100, 300) : range(150, 400)).map((n) => `JO:13-${n}`).sort();
    expect(await activePlates(test.ownerDb, account.id)).toEqual(expected);
    expect((await fleetCounts(test.ownerDb, account.id)).version).toBe(2);
  });

  it('apply the same upload once however many times it is sent at once', async () => {
    const account = await makeAccount(test.db, 'JO');
    const client = await signedIn(account);
    const preview = await upload(client, joFleet(range(1, 500)), 'many.csv', 'merge');
    const results = await Promise.all(range(0, 4).map(() => apply(client, preview.body.id)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(results.map((r) => r.body.outcome).sort()).toEqual([
      'already_applied',
      'already_applied',
      'already_applied',
      'applied',
    ]);
    expect(await fleetCounts(test.ownerDb, account.id)).toEqual({
      active: 500,
      total: 500,
      uploadsApplied: 1,
      version: 1,
    });
  });
});

describe('the errors file', () => {
  it('holds the rejected rows with a reason; fixed and uploaded again, it applies cleanly', async () => {
    const account = await makeAccount(test.db, 'JO');
    const client = await signedIn(account);
    const file = 'jo-messy-1256.csv';
    const expected = entry(file);
    const { preview } = await uploadAndApply(client, await fixture(file), file, 'merge');
    expect(await activePlates(test.ownerDb, account.id)).toHaveLength(expected.vehicles);

    const errors = await download(client, `/uploads/${preview.id}/errors.xlsx`);
    expect(errors.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(errors.bytes as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    const headers = (sheet.getRow(1).values as string[]).slice(1);
    expect(headers.slice(-2)).toEqual(['سبب الرفض / Rejection reason', 'الصف الأصلي / Original row']);
    const plateColumn = headers.indexOf('رقم اللوحة') + 1;
    const vinColumn = headers.indexOf('رقم الشاصي') + 1;
    expect(plateColumn).toBeGreaterThan(0);
    const rejected = new Set(expected.errors.map((error) => error.row));
    expect(sheet.actualRowCount - 1).toBe(rejected.size);
    const originalRows: number[] = [];
    sheet.eachRow((row, number) => {
      if (number === 1) return;
      const reason = String(row.getCell(headers.length - 1).value);
      // In both languages: an Arabic line, then an English one.
      expect(reason).toMatch(/^[^\n]*[\u0600-\u06ff][^\n]*\n[^\n]*[A-Za-z]{4}/);
      originalRows.push(Number(row.getCell(headers.length).value));
      // The fix: a plate of the right form that is not in the fleet, and no VIN.
      row.getCell(plateColumn).value = `77-${9000 + number}`;
      row.getCell(vinColumn).value = '';
    });
    expect(originalRows.sort((x, y) => x - y)).toEqual([...rejected].sort((x, y) => x - y));

    const fixed = Buffer.from(await book.xlsx.writeBuffer());
    const again = await upload(client, fixed, 'fixed.xlsx', 'merge');
    expect(again.status).toBe(201);
    expect(again.body.errors).toEqual([]);
    expect(again.body.counts).toMatchObject({ valid: rejected.size, invalid: 0, duplicate: 0 });
    expect(again.body.diff).toEqual({ added: rejected.size, removed: 0, changed: 0, unchanged: 0 });
    expect((await apply(client, again.body.id)).status).toBe(200);
    expect(await activePlates(test.ownerDb, account.id)).toHaveLength(expected.vehicles + rejected.size);
    // The added columns were dropped, not kept as attributes.
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from vehicles
      where account_id = ${account.id} and attributes ?| array['سبب الرفض / Rejection reason', 'الصف الأصلي / Original row']`.execute(
      test.ownerDb,
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('writes formula-looking text as text, never as a formula', async () => {
    const account = await makeAccount(test.db, 'JO');
    const client = await signedIn(account);
    const res = await upload(
      client,
      csv(['Plate,Label', '"=HYPERLINK(""http://evil.example"",""x"")",=1+2', '13-1,ok']),
      'formula.csv',
      'merge',
    );
    expect(res.body.errors.map((error) => error.code)).toEqual(['plate.invalid_character']);
    const errors = await download(client, `/uploads/${res.body.id}/errors.xlsx`);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(errors.bytes as unknown as ArrayBuffer);
    const row = book.worksheets[0]!.getRow(2);
    expect(row.getCell(1).type).toBe(ExcelJS.ValueType.String);
    expect(row.getCell(1).value).toBe('=HYPERLINK("http://evil.example","x")');
    expect(row.getCell(2).value).toBe('=1+2');
  });
});

describe('tenants', () => {
  it("answers another tenant's upload ids with 404 and never reveals its plates", async () => {
    const mine = await makeAccount(test.db, 'JO');
    const theirs = await makeAccount(test.db, 'JO');
    const me = await signedIn(mine, 'owner');
    const them = await signedIn(theirs);
    const their = await uploadAndApply(them, joFleet([42, 43]), 'theirs.csv', 'replace');
    const theirVehicles = await them.get<{ vehicles: { id: string }[] }>('/vehicles');

    for (const path of [`/uploads/${their.preview.id}`, `/uploads/${their.preview.id}/errors.xlsx`]) {
      const res = await me.get<ErrorBody>(path);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('upload_not_found');
    }
    const applyTheirs = await apply(me, their.preview.id);
    expect(applyTheirs.status).toBe(404);
    expect((await me.get(`/vehicles/${theirVehicles.body.vehicles[0]!.id}`)).status).toBe(404);

    // The same plates in my account: simply new to me, with no hint that they exist elsewhere.
    const mineToo = await upload(me, joFleet([42, 44]), 'mine.csv', 'replace');
    expect(mineToo.body).toMatchObject({ errors: [], warnings: [], diff: { added: 2, removed: 0 } });
    expect((await me.get<{ vehicles: unknown[] }>('/vehicles?q=13-42')).body.vehicles).toEqual([]);
    expect((await apply(me, mineToo.body.id)).status).toBe(200);
    expect(await activePlates(test.ownerDb, mine.id)).toEqual(['JO:13-42', 'JO:13-44']);
    expect(await activePlates(test.ownerDb, theirs.id)).toEqual(['JO:13-42', 'JO:13-43']);
  });

  it('lets a viewer read uploads but not upload or apply', async () => {
    const account = await makeAccount(test.db, 'JO');
    const admin = await signedIn(account);
    const viewer = await signedIn(account, 'viewer');
    const preview = await upload(admin, joFleet([1]), 'one.csv', 'merge');
    expect((await viewer.get(`/uploads/${preview.body.id}`)).status).toBe(200);
    expect((await upload(viewer, joFleet([1]), 'one.csv', 'merge')).status).toBe(403);
    expect((await apply(viewer, preview.body.id)).status).toBe(403);
    expect((await fleetCounts(test.ownerDb, account.id)).active).toBe(0);
  });
});
