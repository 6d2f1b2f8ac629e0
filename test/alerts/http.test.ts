import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeVehicles, TEST_PASSWORD } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';
import { expectAccessible, newPage, screenshot, signIn, useBrowser } from '../web/browser.ts';
import { startWebhookReceiver } from './support.ts';

/**
 * Alerts through the product as it runs on the quick start: settings refused or saved over HTTP,
 * a run's digest delivered by the product's own worker to its own SMTP server and SMS stub and
 * shown in the app, a failing webhook dead-lettered, shown with its reason and sent again.
 */
const test = useTestDatabase();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alerts-http-'));
let simulator: AuthoritySimulator;
beforeAll(async () => {
  simulator = await startAuthoritySimulator({
    seed: 'alerts-http',
    world: { startDate: '2026-06-01', dailyViolationRate: 0.08, notFoundRate: 0 },
  });
  process.env.TEST_ALERTS_AUTHORITY_URL = simulator.url;
});
afterAll(async () => {
  await simulator?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});
const web = useBrowser();
const app = useProduct(test, {
  get AUTHORITY_URL() {
    return process.env.TEST_ALERTS_AUTHORITY_URL!;
  },
  AUTHORITY_RATE_LIMIT: '200',
  AUTHORITY_BATCH_SIZE: '10',
  DATA_DIR: dataDir,
  // One attempt dead-letters at once; the local SMTP server on any free port.
  ALERTS_MAX_ATTEMPTS: '1',
  ALERTS_LOCAL_SMTP_PORT: '0',
  // The test's webhook receiver listens on localhost.
  ALERTS_WEBHOOK_ALLOW_PRIVATE: 'true',
  // The quick start's shape: demo data, so the product runs its own SMTP server and SMS stub.
  DEMO: 'true',
} as Record<string, string>);

let account: AccountFixture;
let owner: ApiClient;
let accountant: ApiClient;
let fleet: ApiClient;
const plates = Array.from({ length: 20 }, (_, i) => `JO:${10 + (i % 30)}-${51000 + i}`);

interface Digest {
  id: string;
  kind: string;
  channel: string;
  destination: string;
  status: string;
  attempts: number;
  lastError: string | null;
  lastErrorAr: string | null;
  idempotencyKey: string;
  history: Array<{ outcome: string; error: string | null; errorAr: string | null }>;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const signedIn = async (email: string) => {
  const client = new ApiClient(app.product.url!);
  await client.signIn(email);
  client.accountId = account.id.toString();
  return client;
};

beforeAll(async () => {
  account = await makeAccount(test.db, 'JO');
  await makeVehicles(test.db, account.id, plates);
  owner = await signedIn(account.users.owner.email);
  accountant = await signedIn(account.users.accountant.email);
  fleet = await signedIn(account.users.fleet_admin.email);
});

describe('alert settings over HTTP', () => {
  it('refuse bad addresses, times and channels with a clear error, and change nothing', async () => {
    const bad = [
      [{ channel: 'email', address: 'not-an-address' }, 'alerts.recipient_email_invalid'],
      [{ channel: 'sms', address: '0791234567' }, 'alerts.recipient_phone_invalid'],
      [{ channel: 'webhook', address: 'http://erp.example.com/hook' }, 'alerts.recipient_url_invalid'],
      [{ channel: 'webhook', address: 'not a url' }, 'alerts.recipient_url_invalid'],
      [{ channel: 'sms', role: 'owner' }, 'alerts.recipient_role_channel'],
    ] as const;
    for (const [body, code] of bad) {
      const res = await owner.post<{
        error: { code: string; message: string; details: { message: { ar: string } } };
      }>('/alerts/recipients', { ...body, language: 'en' });
      expect(res.status, code).toBe(422);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.details.message.ar.length).toBeGreaterThan(5);
    }
    const badTime = await owner.request<{
      error: { code: string; details: Array<{ path: string; message: string }> };
    }>('PUT', '/alerts/settings', {
      horizonDays: 7,
      dailyAllClear: false,
      quietHours: { start: '25:00', end: '07:00' },
    });
    expect(badTime.status).toBe(400);
    expect(badTime.body.error.details[0]).toMatchObject({ path: 'quietHours.start' });
    expect(badTime.body.error.details[0]!.message).toMatch(/HH:MM/);
    const settings = await owner.get<{ horizonDays: number; recipients: unknown[] }>('/alerts/settings');
    expect(settings.body).toMatchObject({ horizonDays: 7, recipients: [] });
    // Only owners manage alerts.
    expect((await accountant.get('/alerts/settings')).status).toBe(403);
  });

  it('save settings and recipients, phone numbers as people write them', async () => {
    const saved = await owner.request<{ horizonDays: number; quietHours: unknown }>(
      'PUT',
      '/alerts/settings',
      {
        horizonDays: 10,
        dailyAllClear: true,
        quietHours: null,
      },
    );
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ horizonDays: 10, quietHours: null });
    const phone = await owner.post<{ address: string }>('/alerts/recipients', {
      channel: 'sms',
      address: '٠٠٩٦٢ ٧٩ ١٢٣ ٤٥٦٧',
      language: 'ar',
    });
    expect(phone.status).toBe(201);
    expect(phone.body.address).toBe('+962791234567');
    const byRole = await owner.post('/alerts/recipients', {
      channel: 'email',
      role: 'owner',
      language: 'ar',
    });
    expect(byRole.status).toBe(201);
    const doc = await owner.get<{ paths: Record<string, unknown> }>('/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/alerts/settings', '/alerts/recipients', '/alerts/outbox', '/alerts/inbox']),
    );
  });
});

describe("a run's digest on the quick start", { timeout: 180_000 }, () => {
  it('reaches the product’s own mailbox and SMS stub, is shown in the app, and a failing webhook is dead-lettered and re-sendable', async () => {
    let secret = '';
    const hook = await startWebhookReceiver(() => secret);
    hook.alwaysAnswer(500);
    try {
      const added = await owner.post<{ id: string; secret: string }>('/alerts/recipients', {
        channel: 'webhook',
        address: hook.url,
        language: 'en',
      });
      secret = added.body.secret;
      expect(secret).toMatch(/^whsec_/);

      const started = await fleet.post<{ id: string }>('/runs');
      expect(started.status).toBe(202);
      const runId = started.body.id;
      const settled = await until('the digests to settle', async () => {
        const res = await owner.get<{ digests: Digest[] }>(`/alerts/outbox?runId=${runId}`);
        const all = res.body.digests;
        return all.length === 3 && all.every((d) => ['sent', 'dead'].includes(d.status)) ? all : undefined;
      });
      const by = (channel: string) => settled.find((d) => d.channel === channel)!;
      expect(by('email')).toMatchObject({ status: 'sent', destination: account.users.owner.email });
      expect(by('sms')).toMatchObject({ status: 'sent', destination: '+962791234567' });
      const dead = by('webhook');
      expect(dead).toMatchObject({ status: 'dead', attempts: 1 });
      expect(dead.lastError).toMatch(/answered 500/);
      expect(dead.lastErrorAr).toMatch(/^أجاب العنوان بالرمز 500/);
      expect(dead.history).toEqual([expect.objectContaining({ outcome: 'dead' })]);
      // Each attempt's reason in Arabic too, the endpoint's own answer quoted in it.
      expect(dead.history[0]!.error).toBe(dead.lastError);
      expect(dead.history[0]!.errorAr).toBe(dead.lastErrorAr);
      expect(dead.lastErrorAr).toMatch(/«.*»$/s);
      const listed = await owner.get<{ digests: Digest[] }>('/alerts/outbox?status=dead');
      expect(listed.body.digests.map((d) => d.id)).toContain(dead.id);

      // The newcomer's view: the mail the product's SMTP server kept and the SMS its stub got.
      const inbox = await until('the inbox', async () => {
        const res = await accountant.get<{
          email: Array<{ to: string; subject: string; html: string; language: string }>;
          sms: Array<{ to: string; text: string; encoding: string; segments: number }>;
        }>('/alerts/inbox');
        return res.body.email.length > 0 && res.body.sms.length > 0 ? res.body : undefined;
      });
      expect(inbox.email[0]).toMatchObject({ to: account.users.owner.email, language: 'ar' });
      expect(inbox.email[0]!.html).toContain('dir="rtl"');
      expect(inbox.sms[0]).toMatchObject({ to: '+962791234567', encoding: 'ucs2' });
      expect(inbox.sms[0]!.text).toContain(`/runs/${runId}`);

      // Fixed on the receiver's side, the dead letter is sent again with its key.
      hook.alwaysAnswer(200);
      const resent = await owner.post(`/alerts/outbox/${dead.id}/resend`);
      expect(resent.status).toBe(202);
      await until('the re-sent webhook', async () =>
        hook.accepted.has(dead.idempotencyKey) ? true : undefined,
      );
      const again = await owner.get<{ digests: Digest[] }>(`/alerts/outbox?runId=${runId}`);
      expect(again.body.digests.find((d) => d.id === dead.id)!.status).toBe('sent');
      expect((await owner.post(`/alerts/outbox/${dead.id}/resend`)).status).toBe(202);
      const pending = await owner.post<{ error: { code: string } }>(`/alerts/outbox/${dead.id}/resend`);
      expect([202, 409]).toContain(pending.status);

      // A test-send goes through the outbox like any digest.
      const test = await owner.post<{ digests: number }>(`/alerts/recipients/${added.body.id}/test`);
      expect(test.status).toBe(202);
      expect(test.body.digests).toBe(1);
      await until('the test alert', async () =>
        [...hook.accepted.values()].some((d) => (d.body as { type: string }).type === 'alerts.test')
          ? true
          : undefined,
      );
    } finally {
      await hook.close();
    }
  });
});

describe('the Alerts page', { timeout: 120_000 }, () => {
  it('shows an owner the settings, recipients, outbox and what the quick start received, in both languages', async () => {
    const page = await newPage(web.browser, app.product.url!);
    await signIn(page, account.users.owner.email, TEST_PASSWORD);
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { name: 'Outbox' }).waitFor();
    await page.locator('table').getByText('sent', { exact: true }).first().waitFor();
    await page.getByText(/Received on this machine/).waitFor();
    await expectAccessible(page, 'alerts (en)');
    await screenshot(page, 'alerts-en');
    // A refused address says why, in the page's language.
    await page.getByLabel('Channel').selectOption('sms');
    await page.getByLabel(/Email, phone/).fill('12345');
    await page.getByRole('button', { name: 'Add recipient' }).click();
    await page.getByText(/not a phone number in international form/).waitFor();
    await page.evaluate(() => localStorage.setItem('ff.language', 'ar'));
    await page.reload();
    await page.getByRole('heading', { name: 'صندوق الصادر' }).waitFor();
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    await expectAccessible(page, 'alerts (ar)');
    await screenshot(page, 'alerts-ar');
    await page.context().close();
  });
});
