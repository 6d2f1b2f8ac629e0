import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { createPaymentNetworkStub, type PaymentNetworkStub } from '../../fixtures/payment-network/stub.ts';
import { minorToMajorText } from '../../server/money/money.ts';
import { uploadAndApply } from '../fleet/support.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';
import { expectCoverage, type NumberBody, runThroughPayments } from './support.ts';

const test = useTestDatabase();
let simulator: AuthoritySimulator;
beforeAll(async () => {
  simulator = await startAuthoritySimulator({
    seed: 'payments-loop',
    world: { startDate: '2026-06-01', dailyViolationRate: 0.05, notFoundRate: 0 },
  });
  process.env.TEST_PAYMENTS_AUTHORITY_URL = simulator.url;
});
afterAll(async () => {
  await simulator?.close();
});
const app = useProduct(test, {
  get AUTHORITY_URL() {
    return process.env.TEST_PAYMENTS_AUTHORITY_URL!;
  },
  AUTHORITY_RATE_LIMIT: '200',
  AUTHORITY_BATCH_SIZE: '10',
  AUTHORITY_TIMEOUT_MS: '3000',
  AUTHORITY_MAX_ATTEMPTS: '2',
} as Record<string, string>);

let account: AccountFixture;
let fleet: ApiClient;
let accountant: ApiClient;
let network: PaymentNetworkStub;
const plates = Array.from({ length: 12 }, (_, i) => `${10 + i}-${30000 + i * 7}`);

interface PaymentBody {
  transactionId: string;
  outcome: string;
  amountMinor: string;
  number: string | null;
}
interface ExceptionBody {
  id: string;
  kind: string;
  status: string;
  details: Record<string, unknown>;
  paymentId: string | null;
  resolutionNote: string | null;
}

async function uploadSettlement(client: ApiClient, bytes: Buffer, fileName: string) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), fileName);
  const res = await fetch(`${client.baseUrl}/api/v1/payments/settlements`, {
    method: 'POST',
    headers: { cookie: client.cookie!, 'x-csrf-token': client.csrfToken!, 'x-account-id': client.accountId! },
    body: form,
  });
  // biome-ignore lint/suspicious/noExplicitAny: the test reads both the report and the error envelope
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  account = await makeAccount(test.db, 'JO');
  fleet = new ApiClient(app.product.url!);
  await fleet.signIn(account.users.fleet_admin.email);
  fleet.accountId = account.id.toString();
  accountant = new ApiClient(app.product.url!);
  await accountant.signIn(account.users.accountant.email);
  accountant.accountId = account.id.toString();
});

// Runs go through the whole pipeline; on a busy 2-core machine one can take well over the default 30 s.
describe('the payment loop, through HTTP', { timeout: 180_000 }, () => {
  let numbers: NumberBody[];
  const paid: Record<string, NumberBody> = {};

  it('issues a number per vehicle and one consolidated after a run of an uploaded fleet', async () => {
    const csv = `Plate,Registration No\n${plates.map((p, i) => `${p},R${900000 + i}`).join('\n')}\n`;
    await uploadAndApply(fleet, Buffer.from(csv), 'fleet.csv', 'replace');
    const run = await runThroughPayments(fleet, test.ownerDb, account.id);
    expect(run.status).toBe('done');
    const coverage = await expectCoverage(accountant, test.ownerDb, account.id);
    numbers = coverage.vehicleNumbers;
    expect(numbers.length).toBeGreaterThanOrEqual(4);
    expect(coverage.consolidated!.issuer).toBe('authority'); // Jordan's authority issues consolidated numbers
    for (const n of numbers) {
      expect(n.number).toMatch(/^2[0-8][0-9]{12}$/);
      expect(n.issuer).toBe('authority');
      expect(n.channels[0]!.totalMinor).toBe(n.totalMinor);
    }
    // Asking again for a vehicle answers the same open number, and issues nothing.
    const again = await accountant.post<{ paymentNumbers: NumberBody[]; issued: number }>(
      '/payment-numbers',
      {
        kind: 'vehicle',
        selection: { scope: 'vehicles', vehicleIds: [numbers[0]!.vehicleId] },
      },
    );
    expect(again.status).toBe(200);
    expect(again.body.issued).toBe(0);
    expect(again.body.paymentNumbers.map((n) => n.number)).toEqual([numbers[0]!.number]);
    // Fleet admins do not handle money.
    expect((await fleet.get('/payment-numbers')).status).toBe(403);
  });

  it('takes payments from the network: exact, short, twice, and a re-delivery', async () => {
    const secret = await accountant.post<{ secret: string }>('/payments/secrets', { network: 'generic' });
    expect(secret.status).toBe(201);
    network = createPaymentNetworkStub({
      authorityUrl: simulator.url,
      productApiUrl: `${app.product.url}/api/v1`,
      accountId: account.id.toString(),
      secret: secret.body.secret,
    });
    const multi = numbers.find((n) => n.lineCount > 1)!;
    expect(multi).toBeDefined();
    const [exact, twice] = numbers.filter((n) => n !== multi);
    paid.exact = exact!;
    paid.short = multi;
    paid.twice = twice!;
    const firstLine = multi.lines![0]!; // lines come oldest first
    const tExact = await network.pay(exact!.number);
    const tShort = await network.pay(multi.number, { amountMinor: BigInt(firstLine.amountMinor) });
    const tTwice1 = await network.pay(twice!.number);
    const tTwice2 = await network.pay(twice!.number, { force: true, channel: 'branch' });
    const answer = await network.notify([tExact, tShort, tTwice1], { order: 'reversed' });
    expect(answer.status).toBe(200);
    const second = await network.notify([tTwice2]);
    expect(second.status).toBe(200);
    // The network re-sends the first message (new signature, same transactions): nothing changes.
    const again = await network.redeliver([tExact, tShort]);
    expect(again.status).toBe(200);
    expect((again.body as { results: Array<{ status: string }> }).results.map((r) => r.status)).toEqual([
      'duplicate_delivery',
      'duplicate_delivery',
    ]);

    const payments = (await accountant.get<{ payments: PaymentBody[] }>('/payments')).body.payments;
    expect(payments).toHaveLength(4);
    const outcome = (t: { transactionId: string }) =>
      payments.find((p) => p.transactionId === t.transactionId)?.outcome;
    expect(outcome(tExact)).toBe('matched');
    expect(outcome(tShort)).toBe('short');
    expect(outcome(tTwice1)).toBe('matched');
    expect(outcome(tTwice2)).toBe('duplicate');

    const shortNumber = (await accountant.get<NumberBody>(`/payment-numbers/${multi.number}`)).body;
    expect(shortNumber.state).toBe('partially_paid');
    expect(shortNumber.paidMinor).toBe(firstLine.amountMinor);
    expect(shortNumber.lines![0]!.state).toBe('paid_pending');
    expect(shortNumber.lines!.slice(1).every((l) => l.state === 'open' && l.paidMinor === '0')).toBe(true);
    const exactNumber = (await accountant.get<NumberBody>(`/payment-numbers/${exact!.number}`)).body;
    expect(exactNumber.state).toBe('paid');
    expect(exactNumber.lines!.every((l) => l.state === 'paid_pending')).toBe(true);

    const exceptions = (await accountant.get<{ exceptions: ExceptionBody[] }>('/exceptions?status=open')).body
      .exceptions;
    expect(exceptions.map((e) => e.kind).sort()).toEqual(['amount_mismatch', 'duplicate_payment']);
    const mismatch = exceptions.find((e) => e.kind === 'amount_mismatch')!;
    expect(mismatch.details.outcome).toBe('short');
    expect(BigInt(mismatch.details.differenceMinor as string)).toBe(
      BigInt(firstLine.amountMinor) - BigInt(multi.totalMinor),
    );
  });

  it('reads settlement files: the end-of-day CSV counts nothing twice, a bad file records nothing, an XLSX row pays', async () => {
    const before = (await accountant.get<{ payments: PaymentBody[] }>('/payments')).body.payments.length;
    const eod = await uploadSettlement(accountant, Buffer.from(network.endOfDayCsv()), 'eod.csv');
    expect(eod.status).toBe(200);
    expect(eod.body.alreadyRecorded).toBe(4);
    expect(eod.body.recorded).toBe(0);

    const fourth = numbers.find((n) => !Object.values(paid).includes(n))!;
    const t = await network.pay(fourth.number);
    const bad = [
      'Transaction ID,Billing Number,Paid Amount,Currency,Paid At',
      `${t.transactionId},${t.number},${minorToMajorText(BigInt(t.amountMinor), 3)},JOD,${t.paidAt}`,
      `TX-BAD-1,${t.number.slice(0, -1)}0,12.5,JOD,2026-06-01`,
      'TX-BAD-2,,abc,USD,yesterday',
    ].join('\n');
    const refused = await uploadSettlement(accountant, Buffer.from(bad), 'bad.csv');
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('settlement.invalid_rows');
    const errors = refused.body.error.details.errors as Array<{
      row: number;
      column: string;
      code: string;
      messageAr: string;
    }>;
    expect(errors.map((e) => `${e.row}${e.column}:${e.code}`)).toEqual([
      '3B:settlement.bad_number',
      '4B:settlement.bad_number',
      '4C:settlement.bad_amount',
      '4D:settlement.bad_currency',
      '4E:settlement.bad_date',
    ]);
    expect(errors[0]!.messageAr).toMatch(/الصف 3/);
    expect((await accountant.get<{ payments: PaymentBody[] }>('/payments')).body.payments).toHaveLength(
      before,
    );

    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Settlement');
    sheet.addRow(['تقرير التسوية اليومي']);
    sheet.addRow(['رقم العملية / Transaction ID', 'رقم الدفع', 'المبلغ المدفوع', 'تاريخ الدفع']);
    sheet.addRow([t.transactionId, t.number, minorToMajorText(BigInt(t.amountMinor), 3), t.paidAt]);
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    const ok = await uploadSettlement(accountant, xlsx, 'settlement.xlsx');
    expect(ok.status).toBe(200);
    expect(ok.body.outcomes).toEqual({ matched: 1 });
    expect((await accountant.get<NumberBody>(`/payment-numbers/${fourth.number}`)).body.state).toBe('paid');
    paid.fourth = fourth;
  });

  it('confirms settled lines on the next run, supersedes what changed and covers the rest anew', async () => {
    simulator.world.advanceDays(simulator.world.options.settlementDelayDays);
    await runThroughPayments(fleet, test.ownerDb, account.id);
    const lines = await sql<{ number: string; state: string; n: number }>`
      select p.number, l.state, count(*)::int as n from payment_number_lines l
      join payment_numbers p on p.account_id = l.account_id and p.id = l.payment_number_id
      where l.account_id = ${account.id} and p.number = any(${[paid.exact!.number, paid.twice!.number, paid.short!.number]}::text[])
      group by p.number, l.state`.execute(test.ownerDb);
    const stateOf = (number: string) => lines.rows.filter((r) => r.number === number).map((r) => r.state);
    expect(stateOf(paid.exact!.number)).toEqual(['confirmed']);
    expect(lines.rows.length).toBeGreaterThan(0);
    expect(stateOf(paid.twice!.number)).toEqual(['confirmed']);
    expect(stateOf(paid.short!.number).sort()).toEqual(['confirmed', 'open']);
    for (const n of [paid.exact!, paid.twice!]) {
      const now = (await accountant.get<NumberBody>(`/payment-numbers/${n.number}`)).body;
      expect(now.state).toBe('paid');
      // A second payment of a paid number is an exception, not more paid on the number.
      expect(now.paidMinor).toBe(n.totalMinor);
    }
    // The first night's consolidated number covered lines now settled: superseded, and a new one covers the rest.
    const superseded = await accountant.get<{ paymentNumbers: NumberBody[] }>(
      '/payment-numbers?kind=consolidated&state=superseded',
    );
    expect(superseded.body.paymentNumbers).toHaveLength(1);
    await expectCoverage(accountant, test.ownerDb, account.id);
    // The rest of the short-paid vehicle is asked for again in a new number of its own.
    const vehicleAgain = await accountant.get<{ paymentNumbers: NumberBody[] }>(
      `/payment-numbers?kind=vehicle&state=open&vehicleId=${paid.short!.vehicleId}`,
    );
    expect(vehicleAgain.body.paymentNumbers).toHaveLength(1);
    expect(BigInt(vehicleAgain.body.paymentNumbers[0]!.totalMinor)).toBeLessThan(
      BigInt(paid.short!.totalMinor),
    );
  });

  it('lets an accountant resolve an exception with a note, audited', async () => {
    const open = (
      await accountant.get<{ exceptions: ExceptionBody[] }>('/exceptions?status=open&kind=duplicate_payment')
    ).body.exceptions;
    expect(open).toHaveLength(1);
    expect((await accountant.post(`/exceptions/${open[0]!.id}/resolve`, {})).status).toBe(400);
    const resolved = await accountant.post<ExceptionBody>(`/exceptions/${open[0]!.id}/resolve`, {
      note: 'Refund requested from the bank for the second transfer',
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe('resolved');
    expect(resolved.body.resolutionNote).toBe('Refund requested from the bank for the second transfer');
    expect((await accountant.post(`/exceptions/${open[0]!.id}/resolve`, { note: 'again' })).status).toBe(409);
    const audit = await sql<{ action: string }>`
      select action from audit_log where account_id = ${account.id} and action = 'exception.resolved'`.execute(
      test.ownerDb,
    );
    expect(audit.rows).toHaveLength(1);
  });
});
