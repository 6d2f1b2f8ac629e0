import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/demo/demo.service.ts';
import { composePaymentNumber } from '../../server/payments/payment-number.ts';
import { signNotification } from '../../server/payments/signature.ts';
import { useTestDatabase } from '../support/database.ts';
import { useProduct } from '../support/http.ts';
import { expectAccessible, newPage, screenshot, signIn, useBrowser } from './browser.ts';

// The demo product, as a newcomer gets it: an accountant asks for payment numbers for chosen
// violations, sends the bank's settlement file from the Payments page and decides what did not
// match on the Exceptions page.
const test = useTestDatabase();
const app = useProduct(test, { DEMO: 'true' });
const chrome = useBrowser();

const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 20_000, interval: 200 });
const nav = (p: Page, name: string) => p.locator('nav.mainnav').getByRole('link', { name, exact: true });

interface OpenNumber {
  number: string;
  kind: string;
  totalMinor: string;
}

/** The signed-in person's (only) account. */
async function accountOf(page: Page): Promise<string> {
  const session = await (await page.request.get('/api/v1/me')).json();
  return session.accounts[0].id;
}

/** The account's open per-vehicle numbers, through the API with the page's own session. */
async function openVehicleNumbers(page: Page): Promise<OpenNumber[]> {
  const answer = await page.request.get('/api/v1/payment-numbers?state=open&kind=vehicle&limit=10', {
    headers: { 'x-account-id': await accountOf(page) },
  });
  expect(answer.status()).toBe(200);
  return (await answer.json()).paymentNumbers;
}

/** How many payments the account has recorded. */
async function paymentsRecorded(page: Page): Promise<number> {
  const answer = await page.request.get('/api/v1/payments?limit=100', {
    headers: { 'x-account-id': await accountOf(page) },
  });
  expect(answer.status()).toBe(200);
  return (await answer.json()).payments.length;
}

/** Minor units of JOD (three decimals) as the file's major units. */
const major = (minor: bigint) => `${minor / 1000n}.${(minor % 1000n).toString().padStart(3, '0')}`;

async function sendFile(page: Page, name: string, csv: string) {
  await page.getByLabel('Settlement file', { exact: true }).setInputFiles({
    name,
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await page.getByRole('button', { name: 'Record and match' }).click();
}

describe('payments and exceptions in a real browser', { timeout: 120_000 }, () => {
  it('refuses a file with a bad row (row, column, why) and records nothing; then matches a good one; then an accountant resolves the mismatch with a note', async () => {
    const accountant = await newPage(chrome.browser, app.product.url!);
    await signIn(accountant, 'accountant.jo@demo.fleet', DEMO_PASSWORD);
    const [exact, short] = await openVehicleNumbers(accountant);
    expect(exact && short).toBeTruthy();
    const unknown = composePaymentNumber('vehicle', '1', 987_654n);
    const paidAt = new Date().toISOString();

    await nav(accountant, 'Payments').click();
    await accountant.getByRole('heading', { name: 'Upload a settlement file' }).waitFor();

    // A file with one bad amount: refused whole, the row and column named.
    await sendFile(
      accountant,
      'bank-bad.csv',
      [
        'transaction_id,number,amount,paid_at',
        `BANK-1,${exact!.number},${major(BigInt(exact!.totalMinor))},${paidAt}`,
        `BANK-2,${short!.number},twelve,${paidAt}`,
      ].join('\n'),
    );
    await poll(() => accountant.getByRole('alert').first().textContent()).toMatch(
      /^Some rows of the settlement file are not valid; nothing was applied\./,
    );
    const issues = accountant.locator('table.issues tbody tr');
    expect(await issues.count()).toBe(1);
    expect(await issues.first().locator('td').first().textContent()).toBe('3');
    expect(await paymentsRecorded(accountant)).toBe(0);

    // The good file: one exact, one 1.000 JOD short, one for a number nobody issued.
    await sendFile(
      accountant,
      'bank-good.csv',
      [
        'transaction_id,number,amount,paid_at',
        `BANK-1,${exact!.number},${major(BigInt(exact!.totalMinor))},${paidAt}`,
        `BANK-2,${short!.number},${major(BigInt(short!.totalMinor) - 1000n)},${paidAt}`,
        `BANK-3,${unknown},5.000,${paidAt}`,
      ].join('\n'),
    );
    const result = accountant.getByTestId('settlement-result');
    await poll(() => result.locator('p').first().textContent()).toBe(
      'bank-good.csv: 3 rows, 3 payments recorded, none recorded before.',
    );
    expect(await result.locator('dl').textContent()).toBe('Matched1Paid short1Unknown number1');
    expect(await result.textContent()).toContain(
      '2 payments did not match and wait for a decision: Exceptions',
    );
    expect(await paymentsRecorded(accountant)).toBe(3);
    // Payments received, by outcome and by the number they paid (typed in Arabic-Indic digits, spaced).
    const received = accountant.getByTestId('payments');
    await accountant.getByLabel('Outcome').selectOption('short');
    await poll(() => received.locator('tbody tr').count()).toBe(1);
    expect(await received.locator('tbody tr').textContent()).toContain('BANK-2');
    await accountant.getByLabel('Outcome').selectOption('');
    const spaced = exact!.number.replace(/(\d{4})/g, '$1 ').trim();
    await accountant
      .getByLabel('Payment number', { exact: true })
      .fill(spaced.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d))));
    await poll(() => received.locator('tbody tr').count()).toBe(1);
    expect(await received.locator('tbody tr').textContent()).toContain('BANK-1');
    await accountant.getByLabel('Payment number', { exact: true }).fill('');
    await expectAccessible(accountant, 'a settlement file matched');
    await screenshot(accountant, 'settlement-matched');

    // Sending the same file again records nothing twice.
    await sendFile(
      accountant,
      'bank-good.csv',
      [
        'transaction_id,number,amount,paid_at',
        `BANK-1,${exact!.number},${major(BigInt(exact!.totalMinor))},${paidAt}`,
      ].join('\n'),
    );
    await poll(() => result.locator('p').first().textContent()).toBe(
      'bank-good.csv: 1 row, 0 payments recorded, 1 recorded before.',
    );
    expect(await paymentsRecorded(accountant)).toBe(3);

    // The mismatch, with its evidence, on the Exceptions page.
    await nav(accountant, 'Exceptions').click();
    await accountant.getByRole('heading', { name: 'Exceptions', level: 1 }).waitFor();
    const mismatch = accountant.locator('li', {
      has: accountant.getByRole('heading', { name: /^Amount mismatch/ }),
    });
    await mismatch.waitFor();
    const facts = mismatch.locator('dl.facts');
    expect(await facts.locator('div', { hasText: 'Transaction' }).locator('dd').textContent()).toBe('BANK-2');
    expect(await facts.locator('div', { hasText: 'Number paid' }).locator('dd').textContent()).toBe(
      short!.number,
    );
    expect(await facts.locator('div', { hasText: 'Difference' }).locator('dd').textContent()).toBe(
      'JOD\u00a01.000 short',
    );
    const unknownCard = accountant.locator('li', {
      has: accountant.getByRole('heading', { name: /^Unknown payment reference/ }),
    });
    expect(await unknownCard.locator('dl.facts').textContent()).toContain(unknown);
    await expectAccessible(accountant, 'payment exceptions with their evidence');
    await screenshot(accountant, 'exceptions-evidence');

    // Resolved with a note: it leaves the open list and shows the note among the resolved.
    await mismatch.getByRole('button', { name: 'Resolve with a note' }).click();
    await mismatch.getByLabel('What was done').fill('Paid the missing 1.000 JOD by bank transfer.');
    await mismatch.getByRole('button', { name: 'Resolve', exact: true }).click();
    await poll(() => accountant.getByRole('heading', { name: /^Amount mismatch/ }).count()).toBe(0);
    await accountant.getByLabel('Status').selectOption('resolved');
    const resolved = accountant.locator('li', {
      has: accountant.getByRole('heading', { name: /^Amount mismatch/ }),
    });
    await poll(() => resolved.locator('blockquote').textContent()).toBe(
      'Paid the missing 1.000 JOD by bank transfer.',
    );
    expect(await resolved.textContent()).toMatch(/Resolved/);

    // The same page in Arabic, right to left, still showing what was chosen (the resolved ones).
    await accountant.getByRole('button', { name: 'العربية' }).click();
    await accountant.getByRole('heading', { name: 'الاستثناءات', level: 1 }).waitFor();
    expect(await accountant.evaluate(() => document.documentElement.dir)).toBe('rtl');
    expect(await accountant.getByLabel('الحالة').inputValue()).toBe('resolved');
    expect(await accountant.locator('blockquote').textContent()).toBe(
      'Paid the missing 1.000 JOD by bank transfer.',
    );
    await expectAccessible(accountant, 'resolved exceptions in Arabic');
    await screenshot(accountant, 'exceptions-resolved-ar');
    await accountant.context().close();
  });

  it('issues one number per chosen violation, typed in any digits, and names the tickets it could not cover', async () => {
    const accountant = await newPage(chrome.browser, app.product.url!);
    await signIn(accountant, 'accountant.jo@demo.fleet', DEMO_PASSWORD);
    const answer = await accountant.request.get('/api/v1/violations?state=outstanding&limit=2', {
      headers: { 'x-account-id': await accountOf(accountant) },
    });
    const [first, second] = (await answer.json()).violations as Array<{ ticketNumber: string }>;
    // The second ticket typed with Arabic-Indic digits; one ticket nobody issued.
    const arabicIndic = (text: string) =>
      text.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d)));
    const bogus = 'JO-20200101-0000000000';

    await nav(accountant, 'Payments').click();
    const card = accountant.getByTestId('issue-selection');
    await card.getByLabel('Select by').selectOption('tickets');
    await card
      .getByLabel('Ticket numbers, one per line or separated by commas')
      .fill(`${first!.ticketNumber}\n${arabicIndic(second!.ticketNumber)}, ${bogus}`);
    await card.getByLabel('Numbers to issue').selectOption('violation');
    await card.getByRole('button', { name: 'Issue payment numbers' }).click();
    const outcome = accountant.locator('[role=status]', { hasText: /payment numbers? issued|already open/ });
    await poll(() => outcome.locator('li').count()).toBe(2);
    expect(await outcome.textContent()).toContain('One violation');
    await poll(() => accountant.locator('p.warn[role=alert]').textContent()).toBe(
      `Not outstanding in this account, so not covered: ${bogus}`,
    );
    await expectAccessible(accountant, 'numbers for chosen violations');
    await accountant.context().close();
  });

  it("gives a network a new signing secret once, and the network's signed notification pays a number", async () => {
    const accountant = await newPage(chrome.browser, app.product.url!);
    await signIn(accountant, 'accountant.jo@demo.fleet', DEMO_PASSWORD);
    await nav(accountant, 'Settings').click();
    await accountant.getByRole('heading', { name: 'Payment networks' }).waitFor();
    await accountant.getByLabel('Earlier secrets keep working').selectOption({ label: 'For an hour' });
    await accountant.getByRole('button', { name: 'Create a new secret' }).click();
    const shown = accountant.getByTestId('network-secret');
    const secret = (await shown.locator('code').textContent())!;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(await shown.textContent()).toContain('Earlier secrets for this network work for one more hour.');
    await expectAccessible(accountant, 'payment network secrets');

    const [number] = await openVehicleNumbers(accountant);
    const account = await accountOf(accountant);
    const notify = (signedWith: string, transactionId: string) => {
      const body = JSON.stringify({
        transactions: [
          {
            transactionId,
            number: number!.number,
            amountMinor: number!.totalMinor,
            currency: 'JOD',
            paidAt: new Date().toISOString(),
            channel: 'online',
          },
        ],
      });
      const timestamp = String(Math.floor(Date.now() / 1000));
      return fetch(`${app.product.url}/api/v1/payments/notifications`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-account-id': account,
          'x-payment-timestamp': timestamp,
          'x-payment-signature': signNotification(signedWith, timestamp, body),
        },
        body,
      });
    };
    const before = await paymentsRecorded(accountant);
    expect((await notify('not-the-secret-at-all-but-long-enough', 'NET-0')).status).toBe(401);
    const paid = await notify(secret, 'NET-1');
    expect(paid.status).toBe(200);
    expect(JSON.stringify(await paid.json())).toContain('"outcome":"matched"');
    expect(await paymentsRecorded(accountant)).toBe(before + 1);
    await accountant.context().close();
  });

  it("shows what each channel costs where a jurisdiction charges more for one (Egypt's 5% on cash)", async () => {
    const accountant = await newPage(chrome.browser, app.product.url!);
    await signIn(accountant, 'accountant.eg@demo.fleet', DEMO_PASSWORD);
    const [number] = await openVehicleNumbers(accountant);
    const detail = await (
      await accountant.request.get(`/api/v1/payment-numbers/${number!.number}`, {
        headers: { 'x-account-id': await accountOf(accountant) },
      })
    ).json();
    const cash = detail.channels.find((c: { channel: string }) => c.channel === 'cash');
    // 5% of what is due, rounded up to the piastre, on top.
    const due = BigInt(detail.dueNowMinor);
    expect(BigInt(cash.surchargeMinor)).toBe((due * 5n + 99n) / 100n);
    expect(BigInt(cash.totalMinor)).toBe(due + BigInt(cash.surchargeMinor));

    await nav(accountant, 'Payments').click();
    const row = accountant.locator(`[data-testid=payment-numbers] tr[data-number="${number!.number}"]`);
    await row.getByRole('button', { name: /\d+ lines?$/ }).click();
    const facts = accountant.locator('dl.pay-by-when');
    await facts.waitFor();
    const egp = (minor: bigint) =>
      `EGP\u00a0${(minor / 100n).toLocaleString('en')}.${(minor % 100n).toString().padStart(2, '0')}`;
    expect(await facts.locator('div', { hasText: 'Through Fawry' }).locator('dd').textContent()).toBe(
      egp(due),
    );
    expect(await facts.locator('div', { hasText: 'In cash' }).locator('dd').textContent()).toBe(
      `${egp(BigInt(cash.totalMinor))} · ${egp(BigInt(cash.surchargeMinor))} more`,
    );
    await expectAccessible(accountant, 'channel costs');
    await screenshot(accountant, 'payments-channels-eg');
    await accountant.context().close();
  });
});
