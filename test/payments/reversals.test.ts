/**
 * Fawry refunds: a REFUNDED callback for a reference whose PAID event paid one of our numbers
 * takes that payment back — the number and its lines are unpaid again, the payment says it was
 * reversed, an exception tells the accountant — once, however often the refund is delivered.
 */
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuthorityIssuer } from '../../server/authority/issuance-client.ts';
import { minorToMajorText } from '../../server/money/money.ts';
import { fawrySignature } from '../../server/payments/network-adapters.ts';
import { composePaymentNumber } from '../../server/payments/payment-number.ts';
import { issuePaymentNumbers } from '../../server/payments/payment-numbers.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeVehicles, TEST_PASSWORD } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';
import { expectAccessible, newPage, signIn, useBrowser } from '../web/browser.ts';

const test = useTestDatabase();
const app = useProduct(test);
const chrome = useBrowser();
let eg: AccountFixture;
let secret: string;
let numbers: Array<{ id: bigint; number: string; total_minor: bigint }>;
let owner: ApiClient;

const issuer: AuthorityIssuer = {
  async issue(_jurisdiction, items) {
    return new Map(
      items.map((item, i) => [
        item.key,
        {
          status: 'issued' as const,
          number: composePaymentNumber(item.kind, '4', 500n + BigInt(i)),
          amountMinor: item.tickets.reduce((s, t) => s + t.amountMinor, 0n),
          expiresAt: new Date(Date.now() + 10 * 86_400_000),
        },
      ]),
    );
  },
};

function callback(fawryRef: string, number: string, amountMinor: bigint, orderStatus: string) {
  const amount = minorToMajorText(amountMinor, 2);
  const fields = {
    fawryRefNumber: fawryRef,
    merchantRefNumber: number,
    paymentAmount: amount,
    orderAmount: amount,
    orderStatus,
    paymentMethod: 'PAYATFAWRY',
    paymentTime: Date.now(),
  };
  return fetch(`${app.product.url}/api/v1/payments/notifications`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-account-id': eg.id.toString(),
      'x-payment-network': 'fawry',
    },
    body: JSON.stringify({
      requestId: `r-${fawryRef}-${orderStatus}`,
      ...fields,
      messageSignature: fawrySignature(fields as never, secret),
    }),
  });
}

const numberState = async (id: bigint) =>
  (
    await sql<{ state: string; paid_minor: bigint; lines: Array<{ state: string; paid_minor: number }> }>`
      select p.state, p.paid_minor,
             (select jsonb_agg(jsonb_build_object('state', l.state, 'paid_minor', l.paid_minor) order by l.ticket_number)
              from payment_number_lines l where l.account_id = p.account_id and l.payment_number_id = p.id) as lines
      from payment_numbers p where p.account_id = ${eg.id} and p.id = ${id}`.execute(test.ownerDb)
  ).rows[0]!;

const exceptionsOf = async (transactionId: string) =>
  (
    await sql<{ kind: string; status: string; details: Record<string, unknown> }>`
      select e.kind, e.status, e.details from exceptions e join payments p on p.account_id = e.account_id and p.id = e.payment_id
      where e.account_id = ${eg.id} and p.transaction_id = ${transactionId} order by e.kind`.execute(
      test.ownerDb,
    )
  ).rows;

beforeAll(async () => {
  eg = await makeAccount(test.db, 'EG');
  const vehicles = await makeVehicles(test.db, eg.id, ['EG:1-REV', 'EG:2-REV']);
  await sql`
    insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                            description_en, location, amount_minor, currency, authority_status, version,
                            first_seen_run, last_changed_run)
    select ${eg.id}, 'R' || t.i, t.vehicle, 'outstanding', now() - make_interval(days => t.i::int), 'SPD', 'سرعة',
           'Speeding', 'Cairo', t.amount, 'EGP', 'unpaid', 1, 1, 1
    from unnest(${[vehicles[0]!, vehicles[0]!, vehicles[1]!]}::bigint[], ${[15_000n, 20_050n, 9_900n]}::bigint[])
      with ordinality as t(vehicle, amount, i)`.execute(test.ownerDb);
  await issuePaymentNumbers(test.db, issuer, {
    accountId: eg.id,
    kind: 'vehicle',
    selection: { scope: 'account' },
    now: new Date(),
  });
  numbers = (
    await sql<{ id: bigint; number: string; total_minor: bigint }>`
      select id, number, total_minor from payment_numbers where account_id = ${eg.id} order by total_minor desc`.execute(
      test.ownerDb,
    )
  ).rows;
  owner = new ApiClient(app.product.url!);
  await owner.signIn(eg.users.owner.email);
  owner.accountId = eg.id.toString();
  secret = (await owner.post<{ secret: string }>('/payments/secrets', { network: 'fawry' })).body.secret;
});

describe('Fawry refunds', { timeout: 60_000 }, () => {
  it('un-pay an exact payment: number and lines open again, the payment reversed, an exception opened', async () => {
    const [two] = numbers; // the vehicle with two fines
    const paid = await callback('F-100', two!.number, two!.total_minor, 'PAID');
    expect(((await paid.json()) as { recorded: { outcome: string } }).recorded.outcome).toBe('matched');
    expect(await numberState(two!.id)).toMatchObject({ state: 'paid', paid_minor: two!.total_minor });
    expect((await numberState(two!.id)).lines.every((l) => l.state === 'paid_pending')).toBe(true);

    const refunded = await callback('F-100', two!.number, two!.total_minor, 'REFUNDED');
    expect(refunded.status).toBe(200);
    expect(((await refunded.json()) as { recorded: { status: string } }).recorded.status).toBe('reversed');
    expect(await numberState(two!.id)).toEqual({
      state: 'open',
      paid_minor: 0n,
      lines: [
        { state: 'open', paid_minor: 0 },
        { state: 'open', paid_minor: 0 },
      ],
    });
    const payment = await sql<{ reversed_at: Date | null; reversal_transaction_id: string | null }>`
      select reversed_at, reversal_transaction_id from payments where account_id = ${eg.id} and transaction_id = 'F-100:PAID'`.execute(
      test.ownerDb,
    );
    expect(payment.rows[0]!.reversed_at).not.toBeNull();
    expect(payment.rows[0]!.reversal_transaction_id).toBe('F-100:REFUNDED');
    expect(await exceptionsOf('F-100:PAID')).toEqual([
      expect.objectContaining({ kind: 'payment_reversed', status: 'open' }),
    ]);

    // Delivered again: nothing changes.
    const again = await callback('F-100', two!.number, two!.total_minor, 'REFUNDED');
    expect(((await again.json()) as { recorded: { status: string } }).recorded.status).toBe(
      'duplicate_delivery',
    );
    expect((await exceptionsOf('F-100:PAID')).length).toBe(1);
    const listed = await owner.get<{ exceptions: Array<{ kind: string }> }>(
      '/exceptions?kind=payment_reversed',
    );
    expect(listed.status).toBe(200);
    expect(listed.body.exceptions.length).toBeGreaterThan(0);
    // The payments list says when it was taken back.
    const payments = await owner.get<{
      payments: Array<{ transactionId: string; reversedAt: string | null }>;
    }>('/payments');
    const reversed = payments.body.payments.find((p) => p.transactionId === 'F-100:PAID')!;
    expect(new Date(reversed.reversedAt!).getTime()).toBe(payment.rows[0]!.reversed_at!.getTime());
    // Payable again: asking for the vehicle's number answers the same, open number.
    const reissued = await issuePaymentNumbers(test.db, issuer, {
      accountId: eg.id,
      kind: 'vehicle',
      selection: { scope: 'account' },
      now: new Date(),
    });
    expect(reissued.issued).toBe(0);
    expect(reissued.numbers.map((n) => n.number)).toContain(two!.number);
  });

  it('un-pay a short payment and note the refund on its mismatch', async () => {
    const [two] = numbers;
    const short = two!.total_minor - 100n;
    const paid = await callback('F-200', two!.number, short, 'PAID');
    expect(((await paid.json()) as { recorded: { outcome: string } }).recorded.outcome).toBe('short');
    expect((await numberState(two!.id)).state).toBe('partially_paid');
    await callback('F-200', two!.number, short, 'REFUNDED');
    expect(await numberState(two!.id)).toMatchObject({ state: 'open', paid_minor: 0n });
    const exceptions = await exceptionsOf('F-200:PAID');
    expect(exceptions.map((e) => e.kind)).toEqual(['amount_mismatch', 'payment_reversed']);
    expect(exceptions[0]!.details.reversal).toMatchObject({ reversesTransactionId: 'F-200:PAID' });
  });

  it('show a reversed payment on the payments page, in English and Arabic', async () => {
    const words = { en: /^Reversed /, ar: /^استُرد في / };
    for (const language of ['en', 'ar'] as const) {
      const page = await newPage(chrome.browser, app.product.url!);
      await page.addInitScript((lang) => localStorage.setItem('ff.language', lang), language);
      await signIn(page, eg.users.owner.email, TEST_PASSWORD);
      await page.goto('/payments');
      const row = page.locator('[data-testid="payments"] tr', { hasText: numbers[0]!.number }).first();
      await row.getByText(words[language]).first().waitFor();
      await expectAccessible(page, `payments with a reversal, ${language}`);
      await page.context().close();
    }
  });

  it('answer a refund of a payment never received, changing nothing', async () => {
    const res = await callback('F-404', numbers[1]!.number, 100n, 'REFUNDED');
    expect(((await res.json()) as { recorded: { status: string } }).recorded.status).toBe('unknown_payment');
    expect((await numberState(numbers[1]!.id)).state).toBe('open');
  });
});
