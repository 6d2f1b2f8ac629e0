import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeVehicles } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';
import { fetchBytes, pdfText } from './support.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const test = useTestDatabase();
let simulator: AuthoritySimulator;
beforeAll(async () => {
  simulator = await startAuthoritySimulator({
    seed: 'clearances-test',
    world: { startDate: '2026-06-01', dailyViolationRate: 0.003, notFoundRate: 0 },
  });
  process.env.TEST_CLEARANCES_AUTHORITY_URL = simulator.url;
});
afterAll(async () => {
  await simulator?.close();
});
const app = useProduct(test, {
  get AUTHORITY_URL() {
    return process.env.TEST_CLEARANCES_AUTHORITY_URL!;
  },
  AUTHORITY_RATE_LIMIT: '500',
  AUTHORITY_BATCH_SIZE: '10',
  AUTHORITY_TIMEOUT_MS: '2000',
  AUTHORITY_MAX_ATTEMPTS: '2',
} as Record<string, string>);

let account: AccountFixture;
let admin: ApiClient;
let accountant: ApiClient;
const ids = new Map<string, string>();
let clean: string[] = [];
let owing: string;

const outstanding = (plate: string) => {
  const answer = simulator.world.answer('JO', plate);
  return answer.status === 'ok'
    ? answer.violations.filter((v) => v.status === 'unpaid' || v.status === 'under_objection').length
    : 0;
};

async function runToEnd(): Promise<{ id: string; status: string }> {
  const started = await admin.post<{ id: string }>('/runs');
  expect(started.status).toBe(202);
  for (;;) {
    const run = await admin.get<{ id: string; status: string }>(`/runs/${started.body.id}`);
    if (['done', 'partial', 'failed'].includes(run.body.status)) return run.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Issued {
  id: string;
  code: string;
  verifyUrl: string;
  status: string;
  plate: string;
  asOf: string;
  certificate: string;
}

const verify = (code: string) => fetch(`${app.product.url}/verify/${code}`);

beforeAll(async () => {
  account = await makeAccount(test.db, 'JO');
  const plates = Array.from({ length: 40 }, (_, i) => `JO:40-${70000 + i}`);
  clean = plates.filter((p) => outstanding(p) === 0).slice(0, 3);
  owing = plates.find((p) => outstanding(p) > 0)!;
  expect(clean).toHaveLength(3);
  expect(owing).toBeTruthy();
  const vehicleIds = await makeVehicles(test.db, account.id, [...clean, owing]);
  for (const [index, plate] of [...clean, owing].entries()) ids.set(plate, vehicleIds[index]!.toString());
  await sql`update vehicles set plate_display = split_part(plate_key, ':', 2) where account_id = ${account.id}`.execute(
    test.ownerDb,
  );
  admin = new ApiClient(app.product.url!);
  await admin.signIn(account.users.fleet_admin.email);
  admin.accountId = account.id.toString();
  accountant = new ApiClient(app.product.url!);
  await accountant.signIn(account.users.accountant.email);
  accountant.accountId = account.id.toString();
});

describe('clearance certificates', () => {
  it('are refused for a vehicle never looked up, with the reason', async () => {
    const refused = await accountant.post<{ error: { code: string } }>(
      `/vehicles/${ids.get(clean[0]!)}/clearance`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('clearance.never_looked_up');
  });

  it('are refused with the outstanding violations listed, and issued for a clean vehicle', async () => {
    expect((await runToEnd()).status).toBe('done');
    const refused = await accountant.post<{
      error: { code: string; details: { violations: Array<{ ticketNumber: string }> } };
    }>(`/vehicles/${ids.get(owing)}/clearance`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('clearance.outstanding');
    expect(refused.body.error.details.violations).toHaveLength(outstanding(owing));

    const issued = await accountant.post<Issued>(`/vehicles/${ids.get(clean[0]!)}/clearance`);
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ status: 'valid', plate: clean[0]!.split(':')[1] });
    expect(issued.body.code).toMatch(/^([A-Z2-9]{4}-){7}[A-Z2-9]{4}$/);
    expect(issued.body.verifyUrl).toBe(`${app.product.url}/verify/${issued.body.code}`);

    const certificate = await fetchBytes(accountant, issued.body.certificate.replace('/api/v1', ''));
    expect(certificate.status).toBe(200);
    const again = await fetchBytes(accountant, issued.body.certificate.replace('/api/v1', ''));
    expect(again.bytes.equals(certificate.bytes)).toBe(true);
    const text = await pdfText(certificate.bytes);
    expect(text).toContain('Clearance certificate');
    expect(text).toContain('شهادة براءة ذمة');
    expect(text).toContain(issued.body.code);
    expect(text).toContain(clean[0]!.split(':')[1]);

    const listed = await accountant.get<{ clearances: Array<{ id: string; status: string }> }>('/clearances');
    expect(listed.body.clearances).toEqual([
      expect.objectContaining({ id: issued.body.id, status: 'valid' }),
    ]);
    expect((await admin.post(`/vehicles/${ids.get(clean[1]!)}/clearance`)).status).toBe(403);
  });

  it('are verified publicly: valid, the plate and the as-of date, nothing about the account', async () => {
    const issued = await accountant.post<Issued>(`/vehicles/${ids.get(clean[1]!)}/clearance`);
    const page = await verify(issued.body.code);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Valid');
    expect(html).toContain('سارية');
    expect(html).toContain(issued.body.plate);
    expect(html).not.toContain(`Company`);
    expect(html).not.toContain('REG-');
    // Lower case and without dashes is the same code; one character off is no certificate.
    expect((await verify(issued.body.code.toLowerCase().replaceAll('-', ''))).status).toBe(200);
    const wrong = issued.body.code.slice(0, -1) + (issued.body.code.endsWith('A') ? 'B' : 'A');
    const unknown = await verify(wrong);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('No certificate has this code.');
  });

  it('are revoked by an accountant with a reason, once', async () => {
    const [latest] = (await accountant.get<{ clearances: Issued[] }>('/clearances?status=valid')).body
      .clearances;
    expect((await admin.post(`/clearances/${latest!.id}/revoke`, { reason: 'sold' })).status).toBe(403);
    expect((await accountant.post(`/clearances/${latest!.id}/revoke`, {})).status).toBe(400);
    const revoked = await accountant.post<{ status: string; revokeReason: string }>(
      `/clearances/${latest!.id}/revoke`,
      { reason: 'vehicle sold' },
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revokeReason: 'vehicle sold' });
    expect((await accountant.post(`/clearances/${latest!.id}/revoke`, { reason: 'again' })).status).toBe(409);
  });

  it('are refused while the last lookup failed', async () => {
    simulator.setFaults({ plateErrorRate: 1 });
    const run = await runToEnd();
    simulator.setFaults({ plateErrorRate: 0 });
    expect(run.status).toBe('partial');
    const refused = await accountant.post<{
      error: { code: string; details: { lookup: { runId: string } } };
    }>(`/vehicles/${ids.get(clean[2]!)}/clearance`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('clearance.lookup_failed');
    expect(refused.body.error.details.lookup.runId).toBe(run.id);
  });

  it('are revoked by a later run that finds a fine committed before the as-of time', async () => {
    expect((await runToEnd()).status).toBe('done');
    const issued = await accountant.post<Issued>(`/vehicles/${ids.get(clean[2]!)}/clearance`);
    expect(issued.status).toBe(201);
    const late = simulator.world.addTicket({ jurisdiction: 'JO', plateKey: clean[2]! });
    expect(Date.parse(late.offenceAt)).toBeLessThan(Date.parse(issued.body.asOf));
    const run = await runToEnd();
    // Revocation is part of the run's last stage: wait for it.
    let row: { status: string; revokedByRun: string | null; revokeReason: string } | undefined;
    for (let i = 0; i < 200; i++) {
      const listed = await accountant.get<{ clearances: Array<typeof row & { id: string }> }>('/clearances');
      row = listed.body.clearances.find((c) => c!.id === issued.body.id);
      if (row?.status === 'revoked') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(row).toMatchObject({ status: 'revoked', revokedByRun: run.id });
    expect(row!.revokeReason).toContain(late.ticketNumber);
    const html = await (await verify(issued.body.code)).text();
    expect(html).toContain('Revoked');
    expect(html).toContain('ملغاة');
  });

  it('rate-limits the public page per client', async () => {
    let last = 200;
    for (let i = 0; i < 40 && last !== 429; i++) last = (await verify('AAAA-BBBB-CCCC-DDDD-EEEE')).status;
    expect(last).toBe(429);
  });
});
