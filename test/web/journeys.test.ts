import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/demo/demo.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { useProduct } from '../support/http.ts';
import { expectAccessible, newPage, screenshot, signIn, useBrowser } from './browser.ts';

// The product as a newcomer gets it: demo accounts with a fleet and two nights run by the
// pipeline against the built-in simulator; the web app built into web/dist and served by it.
const test = useTestDatabase();
const app = useProduct(test, { DEMO: 'true' });
const chrome = useBrowser();
const MESSY = path.resolve(import.meta.dirname, '../../fixtures/fleets/jo-messy.xlsx');

let page: Page;

/** Waits for a condition as a busy machine allows (the default second is too short here). */
const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 20_000, interval: 200 });

/** A link of the main navigation, by its exact name. */
const nav = (p: Page, name: string) => p.locator('nav.mainnav').getByRole('link', { name, exact: true });

beforeAll(async () => {
  page = await newPage(chrome.browser, app.product.url!);
}, 60_000);

describe('the web app in a real browser', { timeout: 120_000 }, () => {
  it('names the demo users on the sign-in page and says a wrong password in words', async () => {
    await page.goto('/');
    await poll(() => page.getByText('fleet.jo@demo.fleet').count()).toBe(1);
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'journey-en-sign-in');
    await page.getByLabel('Email').fill('fleet.jo@demo.fleet');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.getByRole('alert').textContent()).toBe('Wrong email or password.');
  });

  it('shows the first minute: outstanding money, last night’s changes and deadlines', async () => {
    await signIn(page, 'fleet.jo@demo.fleet', DEMO_PASSWORD);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const outstanding = await page.getByTestId('outstanding-amount').textContent();
    // Jordanian dinars with the currency's three decimals, and more than nothing.
    expect(outstanding).toMatch(/^JOD\s[\d,]+\.\d{3}$/);
    expect(outstanding).not.toMatch(/^JOD\s0\.000$/);
    // Last night (the demo's second night, a week after its first) changed something.
    expect(
      await page.locator('section:has(h2:text("What the last run changed")) tbody tr').count(),
    ).toBeGreaterThan(0);
    await page.getByRole('heading', { name: 'Next escalation deadlines' }).waitFor();
    expect(
      await page.locator('section:has(h2:text("Next escalation deadlines")) tbody tr').count(),
    ).toBeGreaterThan(0);
    await page.locator('.chart canvas').first().waitFor();
    await expectAccessible(page, 'dashboard');
    await screenshot(page, 'journey-en-dashboard');
  });

  it('previews a messy file in the browser, shows the server’s errors, and applies it', async () => {
    await nav(page, 'Fleet').click();
    await page.getByRole('heading', { name: 'Upload a vehicle list' }).waitFor();
    await page.locator('input[type=file]').setInputFiles(MESSY);
    // The first rows, read in the browser before anything is sent.
    await page.locator('table.preview tbody tr').first().waitFor();
    expect(await page.locator('table.preview tbody tr').count()).toBeGreaterThan(3);
    await page.getByRole('button', { name: 'Check the file' }).click();
    await page.getByRole('heading', { name: 'Rejected rows' }).waitFor();
    const rows = page.locator('table.issues').first().locator('tbody tr');
    expect(await rows.count()).toBeGreaterThan(0);
    const first = await rows.first().locator('td').allTextContents();
    expect(first[0]).toMatch(/^\d+$/);
    expect(first[2]).toMatch(/plate/i);
    await expectAccessible(page, 'fleet with a report');
    await screenshot(page, 'journey-en-fleet-report');
    const apply = page.getByRole('button', { name: 'Apply to the fleet' });
    // Replacing with rejected rows needs the person to say so.
    expect(await apply.isDisabled()).toBe(true);
    await page.getByLabel(/Apply without the \d+ rejected rows/).check();
    await apply.click();
    await page.getByText('The fleet is updated.').waitFor();
    await page.getByRole('link', { name: 'Start a run' }).waitFor();
  });

  it('finds a vehicle by its plate written in Arabic-Indic digits', async () => {
    // The list refetches after the apply, later on a busy machine: a reload reads the fleet as it is now.
    await page.reload();
    const firstPlate = page.locator('table:has(th:text("Driver")) tbody tr td a').first();
    await firstPlate.waitFor();
    const plate = (await firstPlate.textContent())!;
    const arabic = plate.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
    await page.getByLabel('Plate, registration, VIN or name').fill(arabic);
    await page.getByRole('button', { name: 'Search' }).click();
    await poll(() => page.locator('table:has(th:text("Driver")) tbody tr td a').allTextContents()).toEqual([
      plate,
    ]);
  });

  it('starts a run, watches it finish, and filters its changes', async () => {
    await nav(page, 'Runs').click();
    await page.getByRole('button', { name: 'Start a run' }).click();
    await page.waitForURL(/\/runs\/\d+$/);
    await page.locator('progress').waitFor();
    await page.locator('h1 .badge', { hasText: /^(Done|Partial)$/ }).waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { name: 'Changes' }).waitFor();
    await page.getByLabel('Show').selectOption('new');
    await page.waitForURL(/change=new/);
    await poll(async () => {
      const kinds = await page.locator('[data-testid=changes] tbody tr td:nth-child(2)').allTextContents();
      return kinds.length > 0 && kinds.every((k) => k.startsWith('New'));
    }).toBe(true);
    await expectAccessible(page, 'run');
    await screenshot(page, 'journey-en-run');
  }, 90_000);

  it('switches to Arabic, mirrored, and keeps it after a reload', async () => {
    await page.getByRole('button', { name: 'العربية' }).click();
    await poll(() => page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ar');
    await page.reload();
    await page.getByRole('heading', { name: 'التغييرات' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await expectAccessible(page, 'run in Arabic');
    await screenshot(page, 'journey-ar-run');
    await nav(page, 'لوحة المتابعة').click();
    await page.getByRole('heading', { name: 'أقرب مواعيد مضاعفة الغرامات' }).waitFor();
    await expectAccessible(page, 'dashboard in Arabic');
    await screenshot(page, 'journey-ar-dashboard');
  });

  it('shows Arabic-Indic digits when chosen', async () => {
    await nav(page, 'الإعدادات').click();
    await page.getByLabel('الأرقام').selectOption('arab');
    await nav(page, 'لوحة المتابعة').click();
    await poll(() => page.getByTestId('outstanding-amount').textContent()).toMatch(/[\u0660-\u0669]/);
    const text = (await page.getByTestId('outstanding-amount').textContent())!;
    expect(text).not.toMatch(/[0-9]/);
    // Dinars keep their three decimals after the Arabic decimal separator.
    expect(text).toMatch(/٫[\u0660-\u0669]{3}/);
    await nav(page, 'الإعدادات').click();
    await page.getByLabel('الأرقام').selectOption('latn');
  });

  it('hides what a role may not do', async () => {
    const accountant = await newPage(chrome.browser, app.product.url!);
    await signIn(accountant, 'accountant.jo@demo.fleet', DEMO_PASSWORD);
    await nav(accountant, 'Runs').click();
    await accountant.getByRole('heading', { name: 'History' }).waitFor();
    expect(await accountant.getByRole('button', { name: 'Start a run' }).count()).toBe(0);
    await nav(accountant, 'Fleet').click();
    await accountant.getByRole('heading', { name: 'Vehicles' }).waitFor();
    expect(await accountant.locator('input[type=file]').count()).toBe(0);
    // The alerts page is not in an accountant's navigation; opened by its address, it says why.
    expect(await nav(accountant, 'Alerts').count()).toBe(0);
    await accountant.goto(`${app.product.url}/alerts`);
    await accountant.getByText('Your role in this account does not allow this.').waitFor();
    expect(await accountant.locator('form, input, select').count()).toBe(0);
    await accountant.context().close();
  });

  it('lets an accountant download a run statement and see payment numbers whose lines add up', async () => {
    const accountant = await newPage(chrome.browser, app.product.url!);
    await signIn(accountant, 'accountant.jo@demo.fleet', DEMO_PASSWORD);
    await nav(accountant, 'Runs').click();
    await accountant.getByRole('heading', { name: 'History' }).waitFor();
    // The demo's first night: finished and rendered before the browser opened.
    await accountant.locator('table a[href^="/runs/"]').last().click();
    await accountant.locator('h1 .badge', { hasText: /^(Done|Partial)$/ }).waitFor();
    await accountant.getByRole('heading', { name: 'Statement' }).waitFor();
    // A statement still rendering answers 202, which the page says in words; then it is asked again.
    let bytes: Buffer | undefined;
    for (let attempt = 0; attempt < 12 && !bytes; attempt++) {
      const saved = accountant.waitForEvent('download', { timeout: 5_000 }).catch(() => undefined);
      await accountant.getByRole('button', { name: 'PDF, English' }).click();
      const download = await saved;
      if (download) bytes = fs.readFileSync((await download.path())!);
      else await accountant.getByText(/being prepared/).waitFor();
    }
    expect(bytes?.subarray(0, 4).toString('latin1')).toBe('%PDF');

    await nav(accountant, 'Payments').click();
    await accountant.getByRole('heading', { name: 'Payment numbers' }).waitFor();
    const first = accountant.locator('[data-testid=payment-numbers] tbody tr[data-number]').first();
    await first.waitFor();
    const number = (await first.getAttribute('data-number'))!;
    const total = BigInt((await first.locator('td[data-minor]').getAttribute('data-minor'))!);
    expect(total).toBeGreaterThan(0n);
    await first.getByRole('button', { name: /\d+ lines?$/ }).click();
    const lines = accountant.getByTestId(`lines-${number}`);
    await lines.locator('tbody tr').first().waitFor();
    const amounts = await lines
      .locator('tbody td[data-minor]')
      .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-minor')!));
    expect(amounts.length).toBeGreaterThan(0);
    expect(amounts.reduce((sum, a) => sum + BigInt(a), 0n)).toBe(total);
    expect(BigInt((await lines.locator('tfoot td[data-minor]').getAttribute('data-minor'))!)).toBe(total);
    // What the lines come to after their next deadlines adds up to what the number says it will cost.
    const account = (await (await accountant.request.get('/api/v1/me')).json()).accounts[0].id;
    const detail = await (
      await accountant.request.get(`/api/v1/payment-numbers/${number}`, {
        headers: { 'x-account-id': account },
      })
    ).json();
    expect(detail.nextDeadlineAt).not.toBeNull();
    const later = await lines
      .locator('tbody td[data-later-minor]')
      .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-later-minor')!));
    expect(later).toHaveLength(amounts.length);
    expect(later.reduce((sum, a) => sum + BigInt(a), 0n)).toBe(BigInt(detail.totalAfterDeadlineMinor));
    expect(await lines.locator('tfoot td[data-later-minor]').getAttribute('data-later-minor')).toBe(
      detail.totalAfterDeadlineMinor,
    );
    await accountant.getByText(/^After each line's next deadline \(the first: /).waitFor();
    await expectAccessible(accountant, 'payments');
    await screenshot(accountant, 'journey-en-payments');
    // A vehicle with something outstanding gets no clearance certificate, and the page says why.
    await accountant.locator('[data-testid=payment-numbers] a[href^="/vehicles/"]').first().click();
    await accountant.getByRole('heading', { name: 'Statement, clearance and payment' }).waitFor();
    await accountant.getByRole('button', { name: 'Issue a clearance certificate' }).click();
    await poll(() => accountant.getByRole('alert').first().textContent()).toMatch(
      /^No certificate: the vehicle has \d+ outstanding violations?\./,
    );
    expect(await accountant.locator('[role=alert] li').count()).toBeGreaterThan(0);
    await nav(accountant, 'Payments').click();
    await accountant.getByRole('heading', { name: 'Payment numbers' }).waitFor();
    await accountant.getByRole('button', { name: 'العربية' }).click();
    await accountant.getByRole('heading', { name: 'أرقام الدفع' }).waitFor();
    await expectAccessible(accountant, 'payments in Arabic');
    await screenshot(accountant, 'journey-ar-payments');
    await accountant.context().close();
  }, 120_000);

  it('says in Arabic why a whole file was refused: the sentence for its code, then which file and why', async () => {
    const admin = await newPage(chrome.browser, app.product.url!);
    await admin.addInitScript(() => localStorage.setItem('ff.language', 'ar'));
    await signIn(admin, 'fleet.jo@demo.fleet', DEMO_PASSWORD);
    await admin.goto('/fleet');
    await admin.getByRole('heading', { name: 'رفع قائمة المركبات' }).waitFor();
    await admin.locator('input[type=file]').setInputFiles({
      name: 'fleet.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4 not a spreadsheet'),
    });
    await admin.getByRole('button', { name: 'فحص الملف' }).click();
    const alert = admin.getByRole('alert');
    await poll(() => alert.getByTestId('error-detail').textContent()).toBe(
      'fleet.pdf: هذا الملف مستند PDF، وليس CSV ولا XLSX. ارفع جدول البيانات الذي صُنع منه ملف PDF.',
    );
    expect(await alert.textContent()).toMatch(/^هذا ليس ملف CSV أو XLSX\./);
    await expectAccessible(admin, 'a refused file in Arabic');
    await admin.context().close();
  });

  it('lets an owner invite a person, see the invitation waiting, and withdraw it (in Arabic)', async () => {
    const owner = await newPage(chrome.browser, app.product.url!);
    await owner.addInitScript(() => localStorage.setItem('ff.language', 'ar'));
    await signIn(owner, 'owner.jo@demo.fleet', DEMO_PASSWORD);
    await nav(owner, 'الإعدادات').click();
    await owner.getByLabel('دعوة بالبريد الإلكتروني').fill('new.accountant@example.com');
    await owner.getByRole('button', { name: 'دعوة', exact: true }).click();
    const invitations = owner.getByTestId('invitations');
    await invitations.getByText('new.accountant@example.com').waitFor();
    await expectAccessible(owner, 'settings with an invitation, Arabic');
    await screenshot(owner, 'journey-ar-settings-invitation');
    await owner.getByRole('button', { name: 'سحب دعوة new.accountant@example.com' }).click();
    await poll(() => owner.getByTestId('invitations').count()).toBe(0);
    await owner.context().close();
  });
});
