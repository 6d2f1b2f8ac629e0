import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';
import { csv, fixture, uploadAndApply } from './support.ts';

const test = useTestDatabase();
const app = useProduct(test);

interface VehicleView {
  id: string;
  plateKey: string;
  plateDisplay: string;
  registrationNumber: string | null;
  label: string | null;
  costCentre: string | null;
  active: boolean;
}
interface Page {
  vehicles: VehicleView[];
  nextCursor: string | null;
}

let jo: AccountFixture;
let client: ApiClient;

async function signedIn(account: AccountFixture, role: 'fleet_admin' | 'viewer' = 'fleet_admin') {
  const c = new ApiClient(app.product.url!);
  await c.signIn(account.users[role].email);
  c.accountId = account.id.toString();
  return c;
}

const arabicIndic = (text: string) => text.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
const search = async (c: ApiClient, q: string) =>
  (await c.get<Page>(`/vehicles?q=${encodeURIComponent(q)}`)).body.vehicles.map((v) => v.plateKey);

beforeAll(async () => {
  jo = await makeAccount(test.db, 'JO');
  client = await signedIn(jo);
  // jo-clean.csv's first vehicle: plate 14-59697, registration R824804, label "مرسيدس أكتروس 2017".
  await uploadAndApply(client, await fixture('jo-clean.csv'), 'jo-clean.csv', 'replace');
});

describe('searching vehicles', () => {
  it('finds a plate in any of its written forms, Arabic-Indic digits included', async () => {
    for (const q of [
      '14-59697',
      '59697 / 14',
      arabicIndic('14-59697'),
      `${arabicIndic('59697')} - ${arabicIndic('14')}`,
      '014 59697',
    ]) {
      expect(await search(client, q), q).toEqual(['JO:14-59697']);
    }
  });

  it('finds by registration number prefix and by label text', async () => {
    expect(await search(client, 'R82480')).toEqual(['JO:14-59697']);
    expect(await search(client, arabicIndic('R824804'))).toEqual(['JO:14-59697']);
    const mercedes = await client.get<Page>(`/vehicles?q=${encodeURIComponent('أكتروس')}&limit=500`);
    expect(mercedes.body.vehicles.length).toBeGreaterThan(0);
    expect(mercedes.body.vehicles.every((v) => v.label?.includes('أكتروس'))).toBe(true);
    expect(await search(client, '%')).toEqual([]);
  });

  it('pages through the whole fleet with a cursor, each vehicle once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: Page } = await client.get<Page>(
        `/vehicles?limit=7${cursor ? `&after=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      seen.push(...res.body.vehicles.map((v) => v.id));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(Math.ceil(40 / 7));
    expect(new Set(seen).size).toBe(40);
  });

  it('shows one vehicle, and answers 404 for another tenant’s vehicle', async () => {
    const [first] = (await client.get<Page>('/vehicles?limit=1')).body.vehicles;
    const one = await client.get<VehicleView>(`/vehicles/${first!.id}`);
    expect(one.body).toMatchObject({ id: first!.id, plateKey: first!.plateKey, active: true });

    const other = await makeAccount(test.db, 'JO');
    const stranger = await signedIn(other, 'viewer');
    const res = await stranger.get<{ error: { code: string } }>(`/vehicles/${first!.id}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('vehicle_not_found');
    expect(await search(stranger, '14-59697')).toEqual([]);
  });

  it('filters by cost centre on the server, with the status filter and paging', async () => {
    const all = (await client.get<Page>('/vehicles?limit=500')).body.vehicles;
    const centre = all.find((v) => v.costCentre)!.costCentre!;
    const expected = all.filter((v) => v.costCentre === centre).map((v) => v.id);
    expect(expected.length).toBeLessThan(all.length);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: Page } = await client.get<Page>(
        `/vehicles?costCentre=${encodeURIComponent(centre)}&limit=2${cursor ? `&after=${cursor}` : ''}`,
      );
      seen.push(...res.body.vehicles.map((v) => v.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected);
    expect(
      (await client.get<Page>(`/vehicles?costCentre=${encodeURIComponent(centre)}&status=removed`)).body
        .vehicles,
    ).toEqual([]);
    expect((await client.get<Page>('/vehicles?costCentre=no-such-centre')).body.vehicles).toEqual([]);
  });

  it('validates its query', async () => {
    expect((await client.get('/vehicles?limit=0')).status).toBe(400);
    expect((await client.get('/vehicles?status=deleted')).status).toBe(400);
    expect((await client.get('/vehicles?after=abc')).status).toBe(400);
  });

  it('searches Iraqi and Egyptian plates with their own schemes', async () => {
    const eg = await makeAccount(test.db, 'EG');
    const egClient = await signedIn(eg);
    await uploadAndApply(egClient, csv(['Plate letters,Plate number', 'ب ط ر,1234']), 'eg.csv', 'merge');
    expect(await search(egClient, 'بطر ١٢٣٤')).toEqual(['EG:بطر-1234']);
    const iq = await makeAccount(test.db, 'IQ');
    const iqClient = await signedIn(iq);
    await uploadAndApply(iqClient, csv(['Governorate,Letter,Plate', 'بغداد,ب,12345']), 'iq.csv', 'merge');
    const [key] = await search(iqClient, '11 ب 12345');
    expect(key).toMatch(/^IQ:11-ب-12345$/);
  });

  it('belong to an account that exists: the account is checked once per insert statement', async () => {
    const insert = (accountIds: bigint[]) =>
      sql`insert into vehicles (account_id, plate_key, plate, plate_display)
          select a, 'JO:99-' || a, '{}'::jsonb, '99-' || a from unnest(${accountIds}::bigint[]) as a`.execute(
        test.ownerDb,
      );
    await expect(insert([jo.id, 987_654_321n])).rejects.toMatchObject({ code: '23503' });
    await expect(insert([jo.id])).resolves.toMatchObject({ numAffectedRows: 1n });
  });
});
