import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';
import { activePlates, csv, type ErrorBody, fixture, upload, uploadAndApply } from './support.ts';

const test = useTestDatabase();
const app = useProduct(test);

interface ManifestEntry {
  file: string;
  jurisdiction: 'JO' | 'IQ' | 'EG';
  errors: { row: number; code: string }[];
  vehicles: number;
}
const manifest: ManifestEntry[] = JSON.parse(
  await readFile(
    join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/fleets/manifest.json'),
    'utf8',
  ),
);

async function signedIn(account: AccountFixture) {
  const client = new ApiClient(app.product.url!);
  expect((await client.signIn(account.users.fleet_admin.email)).status).toBe(200);
  client.accountId = account.id.toString();
  return client;
}

describe('vehicle lists with the plate split across columns', () => {
  it.each(['iq', 'jo', 'eg'])(
    '%s: each split list previews with its counts, and applies to the plate keys of the one-column list',
    async (prefix) => {
      for (const file of [`${prefix}-split-utf16.tsv`, `${prefix}-split-1256.csv`, `${prefix}-split.xlsx`]) {
        const expected = manifest.find((item) => item.file === file)!;
        const account = await makeAccount(test.db, expected.jurisdiction);
        const client = await signedIn(account);
        const rejectedRows = new Set(expected.errors.map((error) => error.row)).size;

        const { preview } = await uploadAndApply(client, await fixture(file), file, 'replace', {
          skipInvalidRows: true,
        });
        expect(preview.counts, file).toMatchObject({
          rows: expected.vehicles + rejectedRows,
          valid: expected.vehicles,
        });
        expect(preview.counts.invalid + preview.counts.duplicate, file).toBe(rejectedRows);
        expect(preview.errors.map((error) => `${error.row} ${error.code}`).sort(), file).toEqual(
          expected.errors.map((error) => `${error.row} ${error.code}`).sort(),
        );
        const plate = preview.columns.find((column) => column.field === 'plate')!;
        expect(plate.note?.en, file).toMatch(/^the plate number, read with /);
        expect(plate.note?.ar, file).toMatch(/^رقم اللوحة، يُقرأ مع /);
        const split = await activePlates(test.ownerDb, account.id);
        expect(split, file).toHaveLength(expected.vehicles);

        // The same fleet with one plate column replaces it with nothing added or removed.
        const oneColumn = `${prefix}-split-one-column.csv`;
        const again = await upload(client, await fixture(oneColumn), oneColumn, 'replace');
        expect(again.status).toBe(201);
        expect(again.body.diff, file).toMatchObject({ added: 0, removed: 0 });
        expect(again.body.diff.changed + again.body.diff.unchanged, file).toBe(expected.vehicles);
      }
    },
  );

  it('reports a row whose plate type and parts disagree on the plate type column, in both languages', async () => {
    const account = await makeAccount(test.db, 'IQ');
    const client = await signedIn(account);
    const body = csv(['Type,Gov.,Letter,Number', 'KRG,14,ب,4521', 'وطنية,11,ب,12345']);
    const res = await upload(client, body, 'fleet.csv', 'replace');
    expect(res.status).toBe(201);
    expect(res.body.counts).toMatchObject({ rows: 2, valid: 1, invalid: 1 });
    expect(res.body.errors).toEqual([
      {
        row: 2,
        column: 'Type',
        code: 'plate.type_mismatch',
        message:
          'The plate type "KRG" says a Kurdistan region plate, but the plate 14 ب 4521 is a new national plate.',
        messageAr: 'نوع اللوحة "KRG" يعني لوحة إقليم كوردستان، لكن اللوحة 14 ب 4521 لوحة وطنية جديدة.',
      },
    ]);
  });

  it('refuses a list without a plate, naming the headers seen and expected in both languages', async () => {
    const account = await makeAccount(test.db, 'JO');
    const client = await signedIn(account);
    const res = await upload(
      client,
      csv(['No.,Driver', '1,Ali', '2,Omar', '3,Sami']),
      'fleet.csv',
      'replace',
    );
    expect(res.status).toBe(422);
    const error = (res.body as unknown as ErrorBody).error;
    expect(error.code).toBe('upload.missing_column');
    expect(error.message).toContain('Headers seen: "No.", "Driver".');
    expect(error.message).toContain(
      '"No." was kept as an extra column: its values run 1, 2, 3…, a row number.',
    );
    expect(error.message).toContain(
      '"رقم اللوحة" / "Plate number", or the plate in parts: "الرمز" / "Code", "الرقم" / "No." (Jordan / الأردن)',
    );
  });
});
