import fs from 'node:fs';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import type { Download, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertMembership, insertUser } from '../../server/accounts/accounts.repo.ts';
import { hashPassword } from '../../server/auth/secrets.ts';
import { lastLookup, outstandingOfVehicle } from '../../server/clearances/clearances.repo.ts';
import { DEMO_PASSWORD } from '../../server/demo/demo.service.ts';
import { currencies, formatMinor } from '../../server/money/money.ts';
import { pdfText } from '../statements/support.ts';
import { useTestDatabase } from '../support/database.ts';
import { useProduct } from '../support/http.ts';
import { expectAccessible, newPage, screenshot, signIn, useBrowser } from './browser.ts';

// An accountant's money journeys on the demo product, in a real browser: a payment number issued
// from the Payments page, a run's statements downloaded and read back, a clearance certificate
// obtained for a vehicle with nothing outstanding, verified, listed and revoked.
const test = useTestDatabase();
const app = useProduct(test, { DEMO: 'true' });
const chrome = useBrowser();
const JOD = currencies.JOD;

let page: Page;

const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 20_000, interval: 200 });
const nav = (p: Page, name: string) => p.locator('nav.mainnav').getByRole('link', { name, exact: true });
const minorOf = async (p: Page, selector: string, attribute = 'data-minor') =>
  BigInt((await p.locator(selector).first().getAttribute(attribute))!);
/** An xlsx amount cell (a number in major units with the currency's decimals) in minor units. */
const cellMinor = (value: ExcelJS.CellValue) => BigInt(Math.round((value as number) * 10 ** JOD.minorUnits));

/** Clicks a document button until the file comes (a statement still rendering says so in words). */
async function downloadBytes(p: Page, button: string): Promise<{ bytes: Buffer; name: string }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const saved = p.waitForEvent('download', { timeout: 5_000 }).catch(() => undefined);
    await p.getByRole('button', { name: button, exact: true }).first().click();
    const download: Download | undefined = await saved;
    if (download) {
      return { bytes: fs.readFileSync((await download.path())!), name: download.suggestedFilename() };
    }
    await p
      .getByText(/being prepared|قيد الإعداد/)
      .first()
      .waitFor();
  }
  throw new Error(`${button}: no file came`);
}

function rowsOf(sheet: ExcelJS.Worksheet): ExcelJS.Row[] {
  const rows: ExcelJS.Row[] = [];
  sheet.eachRow((row, n) => {
    if (n > 1) rows.push(row);
  });
  return rows;
}

/** The column whose header cell (row 1) says `header`. */
function columnOf(sheet: ExcelJS.Worksheet, header: string): number {
  let found = 0;
  sheet.getRow(1).eachCell((cell, n) => {
    if (cell.value === header) found = n;
  });
  expect(found, `${sheet.name} has a "${header}" column`).toBeGreaterThan(0);
  return found;
}

/** A vehicle of the demo's Jordanian account whose last lookup succeeded with nothing outstanding. */
async function cleanVehicle(): Promise<{ id: bigint; plate: string }> {
  const { rows } = await sql<{ account_id: bigint; id: bigint; plate_display: string }>`
    select v.account_id, v.id, v.plate_display from vehicles v join accounts a on a.id = v.account_id
    where a.registry_number = 'DEMO-JO-0001' and v.active_until is null order by v.id`.execute(test.ownerDb);
  for (const v of rows) {
    const lookup = await lastLookup(test.ownerDb, v.account_id, v.id);
    if (lookup?.status !== 'ok') continue;
    if ((await outstandingOfVehicle(test.ownerDb, v.account_id, v.id)).length === 0)
      return { id: v.id, plate: v.plate_display };
  }
  throw new Error('the demo fleet has no vehicle with nothing outstanding');
}

beforeAll(async () => {
  page = await newPage(chrome.browser, app.product.url!);
  await signIn(page, 'accountant.jo@demo.fleet', DEMO_PASSWORD);
}, 60_000);

describe('an accountant’s documents and money in a real browser', { timeout: 120_000 }, () => {
  it('issues a payment number for the whole account and sees it with lines that add up', async () => {
    await nav(page, 'Payments').click();
    await page.getByRole('heading', { name: 'Payment numbers' }).waitFor();
    await screenshot(page, 'payments-en-selection-form');
    await page.getByRole('button', { name: 'Issue a payment number for the whole account' }).click();
    const outcome = page.getByRole('status').filter({ has: page.locator('li .mono') });
    await outcome.waitFor();
    expect(await outcome.locator('p').first().textContent()).toMatch(
      /^(One new payment number issued\.|\d+ new payment numbers issued\.|These violations already have an open payment number:)$/,
    );
    const issued = (await outcome.locator('li .mono').first().textContent())!.trim();
    expect(issued).toMatch(/^\S+$/);
    // The new number is in the list, open, with its lines; they add up to its total.
    const row = page.locator(`[data-testid=payment-numbers] tbody tr[data-number="${issued}"]`);
    await row.waitFor();
    expect(await row.locator('.badge').first().textContent()).toBe('Open');
    const total = BigInt((await row.locator('td[data-minor]').getAttribute('data-minor'))!);
    expect(total).toBeGreaterThan(0n);
    await row.getByRole('button', { name: /\d+ lines?$/ }).click();
    const lines = page.getByTestId(`lines-${issued}`);
    await lines.locator('tbody tr').first().waitFor();
    const amounts = await lines
      .locator('tbody td[data-minor]')
      .evaluateAll((cells) => cells.map((c) => BigInt(c.getAttribute('data-minor')!).toString()));
    expect(amounts.reduce((sum, a) => sum + BigInt(a), 0n)).toBe(total);
    await expectAccessible(page, 'payments after issuing');
  });

  it('downloads the run statement as XLSX and PDF whose totals are the page’s', async () => {
    await nav(page, 'Runs').click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    // The newest night of the demo.
    await page.locator('table a[href^="/runs/"]').first().click();
    await page.locator('h1 .badge', { hasText: /^(Done|Partial)$/ }).waitFor();
    const total = await minorOf(page, '[data-testid=run-outstanding]');
    const count = Number(await page.getByTestId('run-outstanding').getAttribute('data-count'));
    expect(total).toBeGreaterThan(0n);
    const shown = (await page.getByTestId('run-outstanding').textContent())!;
    expect(shown).toContain(formatMinor(total, JOD, { locale: 'en' }));

    // XLSX in Arabic: the summary's total row, and the violations sheet adding up to it.
    const xlsx = await downloadBytes(page, 'Excel, Arabic');
    expect(xlsx.name).toMatch(/_ar\.xlsx$/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.bytes as unknown as ArrayBuffer);
    const [summary, , violations] = workbook.worksheets as [
      ExcelJS.Worksheet,
      ExcelJS.Worksheet,
      ExcelJS.Worksheet,
    ];
    const totalRow = rowsOf(summary).find((r) => r.getCell(1).value === 'إجمالي المستحق')!;
    expect(totalRow, 'the summary has its total row').toBeTruthy();
    expect(totalRow.getCell(columnOf(summary, 'العدد')).value).toBe(count);
    expect(cellMinor(totalRow.getCell(columnOf(summary, 'المبلغ')).value)).toBe(total);
    const amountColumn = columnOf(violations, 'المبلغ');
    const lines = rowsOf(violations);
    expect(lines).toHaveLength(count);
    expect(lines.reduce((sum, r) => sum + cellMinor(r.getCell(amountColumn).value), 0n)).toBe(total);

    // PDF in English: the total line says the page's amount and count.
    const pdf = await downloadBytes(page, 'PDF, English');
    expect(pdf.bytes.subarray(0, 4).toString('latin1')).toBe('%PDF');
    const text = await pdfText(pdf.bytes);
    const totalLine = text.split('\n').find((l) => l.includes('Outstanding total'));
    expect(totalLine, text.slice(0, 1500)).toBeTruthy();
    expect(totalLine).toContain(formatMinor(total, JOD, { locale: 'en' }));
    expect(totalLine).toContain(String(count));
  }, 120_000);

  it('filters the vehicles list by cost centre and status on the server', async () => {
    await nav(page, 'Fleet').click();
    const vehicles = page.getByTestId('vehicles');
    await poll(() => vehicles.locator('tbody tr').count()).toBeGreaterThan(1);
    const centres = await vehicles.locator('tbody td:nth-child(4)').allTextContents();
    const centre = centres.find((c) => c.trim() !== '')!;
    await page.getByLabel('Cost centre', { exact: true }).fill(centre);
    await page.getByLabel('Status').selectOption('all');
    await page.getByRole('button', { name: 'Search' }).click();
    await poll(async () => {
      const shown = await vehicles.locator('tbody td:nth-child(4)').allTextContents();
      return shown.length > 0 && shown.every((c) => c === centre);
    }).toBe(true);
    await page.getByLabel('Cost centre', { exact: true }).fill('no such centre');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No vehicle matches these filters.').waitFor();
  });

  it('obtains a clearance certificate in Arabic, opens it and its verification page, then revokes it', async () => {
    const vehicle = await cleanVehicle();
    await page.getByRole('button', { name: 'العربية' }).click();
    await poll(() => page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await page.goto(`/vehicles/${vehicle.id}`);
    await page.getByRole('heading', { name: 'الكشف وبراءة الذمة والدفع' }).waitFor();
    await page.getByRole('button', { name: 'إصدار شهادة براءة ذمة' }).click();
    const notice = page.getByRole('status').filter({ has: page.locator('a[href*="/verify/"]') });
    await notice.waitFor();
    const verifyUrl = (await notice.locator('a[href*="/verify/"]').getAttribute('href'))!;
    await expectAccessible(page, 'vehicle with a certificate, Arabic');
    await screenshot(page, 'journey-ar-vehicle-clearance');

    // The certificate: a PDF naming the plate and the verification address.
    const certificate = await downloadBytes(page, 'الشهادة PDF (بالعربية والإنجليزية)');
    expect(certificate.bytes.subarray(0, 4).toString('latin1')).toBe('%PDF');
    const text = (await pdfText(certificate.bytes, { layout: false })).replace(/\s+/g, '');
    for (const part of vehicle.plate.split(/[-\s]+/)) expect(text).toContain(part);
    expect(text).toContain(verifyUrl.split('/verify/')[1]!.replace(/\s+/g, ''));

    // Anyone with the link sees it valid, without signing in.
    const stranger = await newPage(chrome.browser, app.product.url!);
    await stranger.goto(verifyUrl);
    expect(await stranger.locator('.status').allTextContents()).toEqual(['سارية', 'Valid']);
    expect(await stranger.locator('dd bdi').first().textContent()).toBe(vehicle.plate);

    // The certificates page lists it; revoking asks for a reason, then the link says revoked.
    await nav(page, 'الشهادات').click();
    await page.getByRole('heading', { name: 'شهادات براءة الذمة' }).waitFor();
    const row = page.locator('[data-testid=clearances] tbody tr').filter({ hasText: vehicle.plate });
    await row.waitFor();
    expect(await row.locator('.badge').textContent()).toBe('سارية');
    await expectAccessible(page, 'certificates, Arabic');
    await screenshot(page, 'journey-ar-certificates');
    await row.getByRole('button', { name: 'إلغاء…' }).click();
    const confirm = page.getByRole('button', { name: 'إلغاء الشهادة' });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel('السبب (يظهر في سجل التدقيق)').fill('بيعت المركبة قبل التسليم');
    await confirm.click();
    await poll(() => row.locator('.badge').textContent()).toBe('ملغاة');
    expect(await row.textContent()).toContain('بيعت المركبة قبل التسليم');
    await stranger.reload();
    expect(await stranger.locator('.status').allTextContents()).toEqual(['ملغاة', 'Revoked']);
    await stranger.context().close();
  }, 120_000);

  it('issues one consolidated number for a cost centre, in Arabic, whose lines add up to its total', async () => {
    // A cost centre of the demo's Jordanian account with outstanding violations, and their sum.
    const [centre] = (
      await sql<{ cost_centre: string; total: string }>`
        select ve.cost_centre, sum(v.amount_minor)::text as total
        from violations v join vehicles ve on ve.account_id = v.account_id and ve.id = v.vehicle_id
        join accounts a on a.id = v.account_id
        where a.registry_number = 'DEMO-JO-0001' and v.state = 'outstanding' and v.amount_minor > 0
          and ve.cost_centre is not null
        group by ve.cost_centre order by ve.cost_centre limit 1`.execute(test.ownerDb)
    ).rows;
    expect(centre, 'the demo has a cost centre with outstanding violations').toBeDefined();
    const ar = await newPage(chrome.browser, app.product.url!);
    await ar.addInitScript(() => localStorage.setItem('ff.language', 'ar'));
    await signIn(ar, 'accountant.jo@demo.fleet', DEMO_PASSWORD);
    await nav(ar, 'المدفوعات').click();
    const form = ar.getByTestId('issue-selection');
    await form.waitFor();
    await form.locator('select[name=scope]').selectOption('cost_centre');
    await form.getByLabel('مركز التكلفة', { exact: true }).fill(centre!.cost_centre);
    await form.locator('select[name=kind]').selectOption('consolidated');
    await expectAccessible(ar, 'issue for a selection, Arabic');
    await screenshot(ar, 'payments-ar-selection-form');
    await form.getByRole('button', { name: 'إصدار أرقام الدفع' }).click();
    const outcome = ar.getByRole('status').filter({ has: ar.locator('li .mono') });
    await outcome.waitFor();
    expect(await outcome.locator('p').first().textContent()).toMatch(
      /^(صدر رقم دفع جديد\.|لهذه المخالفات رقم دفع مفتوح بالفعل:)$/,
    );
    expect(await outcome.locator('li').count()).toBe(1);
    const issued = (await outcome.locator('li .mono').first().textContent())!.trim();
    const row = ar.locator(`[data-testid=payment-numbers] tbody tr[data-number="${issued}"]`);
    await row.waitFor();
    expect(await row.locator('.badge').first().textContent()).toBe('مفتوح');
    const total = BigInt((await row.locator('td[data-minor]').getAttribute('data-minor'))!);
    // The number covers exactly the cost centre's outstanding violations, and its lines add up to it.
    expect(total).toBe(BigInt(centre!.total));
    await row.getByRole('button', { name: /بند/ }).click();
    const lines = ar.getByTestId(`lines-${issued}`);
    await lines.locator('tbody tr').first().waitFor();
    const amounts = await lines
      .locator('tbody td[data-minor]')
      .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-minor')!));
    expect(amounts.reduce((sum, a) => sum + BigInt(a), 0n)).toBe(total);
    expect(BigInt((await lines.locator('tfoot td[data-minor]').getAttribute('data-minor'))!)).toBe(total);
    await expectAccessible(ar, 'payments after issuing for a cost centre, Arabic');
    await ar.context().close();
  });

  it('issues one number per vehicle for pasted plates, and names a plate it cannot find first', async () => {
    const vehicles = (
      await sql<{ plate_display: string; total: string }>`
        select ve.plate_display, sum(v.amount_minor)::text as total
        from violations v join vehicles ve on ve.account_id = v.account_id and ve.id = v.vehicle_id
        join accounts a on a.id = v.account_id
        where a.registry_number = 'DEMO-JO-0001' and v.state = 'outstanding' and v.amount_minor > 0
        group by ve.id, ve.plate_display order by ve.id limit 2`.execute(test.ownerDb)
    ).rows;
    expect(vehicles).toHaveLength(2);
    const page = await newPage(chrome.browser, app.product.url!);
    await page.addInitScript(() => localStorage.setItem('ff.language', 'en'));
    await signIn(page, 'accountant.jo@demo.fleet', DEMO_PASSWORD);
    await nav(page, 'Payments').click();
    const form = page.getByTestId('issue-selection');
    await form.locator('select[name=scope]').selectOption('vehicles');
    await form.locator('select[name=kind]').selectOption('vehicle');
    const plates = form.getByLabel('Plates, one per line or separated by commas');
    await plates.fill(`${vehicles[0]!.plate_display}\nNO-SUCH-PLATE`);
    await form.getByRole('button', { name: 'Issue payment numbers' }).click();
    await poll(() => page.getByRole('alert').first().textContent()).toBe(
      'No single vehicle of this account has this plate: NO-SUCH-PLATE',
    );
    await plates.fill(vehicles.map((v) => v.plate_display).join(', '));
    await form.getByRole('button', { name: 'Issue payment numbers' }).click();
    const outcome = page.getByRole('status').filter({ has: page.locator('li .mono') });
    await outcome.waitFor();
    const items = await outcome.locator('li').allTextContents();
    expect(items).toHaveLength(2);
    // One number per vehicle, each for that vehicle's outstanding total.
    for (const v of vehicles) {
      const amount = formatMinor(BigInt(v.total), JOD, { locale: 'en' });
      expect(
        items.some((i) => i.endsWith(amount)),
        `${v.plate_display} ${amount} in ${items}`,
      ).toBe(true);
    }
    expect(items.every((i) => i.includes('One vehicle'))).toBe(true);
    await expectAccessible(page, 'payments after issuing per vehicle');
    await page.context().close();
  });

  it('shows certificates to those who handle money, and revocation only to those who may', async () => {
    const admin = await newPage(chrome.browser, app.product.url!);
    await signIn(admin, 'fleet.jo@demo.fleet', DEMO_PASSWORD);
    expect(await nav(admin, 'Certificates').count()).toBe(0);
    await admin.context().close();
    // A viewer of the demo account reads money but may not revoke.
    const email = 'viewer.jo@demo.fleet';
    const [account] = (
      await sql<{ id: bigint }>`select id from accounts where registry_number = 'DEMO-JO-0001'`.execute(
        test.ownerDb,
      )
    ).rows;
    const user = await insertUser(test.ownerDb, {
      email,
      display_name: 'Viewer (JO)',
      password_hash: await hashPassword(DEMO_PASSWORD),
      status: 'active',
    });
    await insertMembership(test.ownerDb, account!.id, user!.id, 'viewer');
    for (const [who, actions] of [
      ['owner.jo@demo.fleet', 1],
      [email, 0],
    ] as const) {
      const p = await newPage(chrome.browser, app.product.url!);
      await signIn(p, who, DEMO_PASSWORD);
      await nav(p, 'Certificates').click();
      await p.getByRole('heading', { name: 'Clearance certificates' }).waitFor();
      await p.locator('[data-testid=clearances] tbody tr').first().waitFor();
      expect(await p.getByRole('columnheader', { name: 'Actions' }).count(), who).toBe(actions);
      expect(await p.getByRole('button', { name: /^Revoke/ }).count(), who).toBe(0);
      await p.context().close();
    }
  });
});
