import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { fawrySignature, majorText } from '../../server/payments/network-adapters.ts';
import { composePaymentNumber } from '../../server/payments/payment-number.ts';
import { signNotification } from '../../server/payments/signature.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeVehicles } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';
import { type NumberBody, runThroughPayments } from './support.ts';

const test = useTestDatabase();
let simulator: AuthoritySimulator;
beforeAll(async () => {
  simulator = await startAuthoritySimulator({
    seed: 'payments-faults',
    world: { startDate: '2026-06-01', dailyViolationRate: 0.06, notFoundRate: 0 },
  });
  process.env.TEST_PAYMENT_FAULTS_AUTHORITY_URL = simulator.url;
});
afterAll(async () => {
  await simulator?.close();
});
const app = useProduct(test, {
  get AUTHORITY_URL() {
    return process.env.TEST_PAYMENT_FAULTS_AUTHORITY_URL!;
  },
  AUTHORITY_RATE_LIMIT: '200',
  AUTHORITY_BATCH_SIZE: '10',
  AUTHORITY_TIMEOUT_MS: '3000',
  AUTHORITY_MAX_ATTEMPTS: '2',
  DB_POOL_MAX: '20',
} as Record<string, string>);

let account: AccountFixture;
let fleet: ApiClient;
let accountant: ApiClient;
let owner: ApiClient;
let tickets: string[];

interface IssueBody {
  paymentNumbers: NumberBody[];
  issued: number;
  error?: { code: string; details?: unknown };
}

const openCount = async () =>
  (
    await sql<{
      n: number;
    }>`select count(*)::int as n from payment_numbers where account_id = ${account.id}`.execute(test.ownerDb)
  ).rows[0]!.n;

const issueTickets = (client: ApiClient, ticketNumbers: string[]) =>
  client.post<IssueBody>('/payment-numbers', {
    kind: 'consolidated',
    selection: { scope: 'tickets', ticketNumbers },
  });

beforeAll(async () => {
  account = await makeAccount(test.db, 'JO');
  await makeVehicles(
    test.db,
    account.id,
    Array.from({ length: 10 }, (_, i) => `JO:${20 + i}-${41000 + i}`),
  );
  fleet = new ApiClient(app.product.url!);
  await fleet.signIn(account.users.fleet_admin.email);
  fleet.accountId = account.id.toString();
  await runThroughPayments(fleet, test.ownerDb, account.id);
  accountant = new ApiClient(app.product.url!);
  await accountant.signIn(account.users.accountant.email);
  accountant.accountId = account.id.toString();
  owner = new ApiClient(app.product.url!);
  await owner.signIn(account.users.owner.email);
  owner.accountId = account.id.toString();
  const rows = await sql<{ ticket_number: string }>`
    select ticket_number from violations where account_id = ${account.id} and state = 'outstanding' and amount_minor > 0
    order by ticket_number`.execute(test.ownerDb);
  tickets = rows.rows.map((r) => r.ticket_number);
  expect(tickets.length).toBeGreaterThanOrEqual(12);
});

describe('issuing under concurrency and authority faults', { timeout: 120_000 }, () => {
  it('answers fifty concurrent requests from two accountants with one number, issued once', async () => {
    const set = tickets.slice(0, 3);
    const before = { db: await openCount(), authority: simulator.issuance.numbers() };
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => issueTickets(i % 2 === 0 ? accountant : owner, set)),
    );
    expect(answers.every((a) => a.status === 201 || a.status === 200)).toBe(true);
    const numbers = new Set(answers.map((a) => a.body.paymentNumbers[0]!.number));
    expect(numbers.size).toBe(1);
    expect(answers.reduce((s, a) => s + a.body.issued, 0)).toBe(1);
    expect(await openCount()).toBe(before.db + 1);
    expect(simulator.issuance.numbers()).toBe(before.authority + 1);
  });

  it('still issues one number when the authority is slow', async () => {
    simulator.setFaults({ issuanceLatencyMs: 400 });
    try {
      const set = tickets.slice(3, 5);
      const answers = await Promise.all(Array.from({ length: 10 }, () => issueTickets(accountant, set)));
      expect(new Set(answers.map((a) => a.body.paymentNumbers[0]!.number)).size).toBe(1);
      expect(answers.reduce((s, a) => s + a.body.issued, 0)).toBe(1);
    } finally {
      simulator.setFaults({ issuanceLatencyMs: 0 });
    }
  });

  it('records nothing when the authority fails, and issues once it is back', async () => {
    const set = tickets.slice(5, 7);
    const before = await openCount();
    simulator.setFaults({ issuanceFailures: 2 });
    const failed = await issueTickets(accountant, set);
    expect(failed.status).toBe(502);
    expect(failed.body.error!.code).toBe('payments.authority_unavailable');
    // Why, as the issuance client words it, and the same in Arabic from the reasons catalogue.
    expect(failed.body.error!.details).toMatchObject({
      reason: expect.stringMatching(/^the authority's issuance call failed: HTTP 503: /),
      reasonAr: expect.stringMatching(/^فشل طلب أرقام الدفع من الجهة: أجاب خادم الجهة بالرمز HTTP 503: /),
    });
    expect(await openCount()).toBe(before);
    const ok = await issueTickets(accountant, set);
    expect(ok.status).toBe(201);
    expect(await openCount()).toBe(before + 1);
  });

  it('recovers a number the authority issued but whose answer was lost (a retry, or the next request)', async () => {
    // One answer lost: the client's retry carries the same key and gets the same number.
    const setA = tickets.slice(7, 9);
    const authorityBefore = simulator.issuance.numbers();
    simulator.setFaults({ issuanceLostAnswers: 1 });
    const a = await issueTickets(accountant, setA);
    expect(a.status).toBe(201);
    expect(simulator.issuance.numbers()).toBe(authorityBefore + 1);
    // Every attempt lost (as if the process died after the authority issued, before recording):
    // nothing is recorded; the next request gets the number the authority already issued.
    const setB = tickets.slice(9, 11);
    simulator.setFaults({ issuanceLostAnswers: 2 });
    const lost = await issueTickets(accountant, setB);
    expect(lost.status).toBe(502);
    expect(simulator.issuance.numbers()).toBe(authorityBefore + 2);
    const retried = await issueTickets(accountant, setB);
    expect(retried.status).toBe(201);
    expect(simulator.issuance.numbers()).toBe(authorityBefore + 2);
  });

  it('validates what comes in: a mistyped number is refused with the reason', async () => {
    const res = await accountant.get<{ error: { code: string; details: Array<{ message: string }> } }>(
      '/payment-numbers/20000000000001',
    );
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]!.message).toMatch(/check digits/);
  });
});

describe('signed notifications', () => {
  let secret: string;
  let number: string;
  const send = (body: string, headers: Record<string, string>) =>
    fetch(`${app.product.url}/api/v1/payments/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-account-id': account.id.toString(), ...headers },
      body,
    });
  const signed = (body: string, key = secret, timestamp = String(Math.floor(Date.now() / 1000))) => ({
    'x-payment-timestamp': timestamp,
    'x-payment-signature': signNotification(key, timestamp, body),
  });
  const paymentsCount = async () =>
    (
      await sql<{
        n: number;
      }>`select count(*)::int as n from payments where account_id = ${account.id}`.execute(test.ownerDb)
    ).rows[0]!.n;

  beforeAll(async () => {
    secret = (await accountant.post<{ secret: string }>('/payments/secrets', { network: 'generic' })).body
      .secret;
    const vehicle = await accountant.get<{ paymentNumbers: NumberBody[] }>(
      '/payment-numbers?kind=vehicle&state=open',
    );
    number = vehicle.body.paymentNumbers.find((n) => n.lineCount >= 2)!.number;
  });

  const body = (transactionId: string, amountMinor: string) =>
    JSON.stringify({
      transactions: [
        {
          transactionId,
          number,
          amountMinor,
          currency: 'JOD',
          paidAt: new Date().toISOString(),
          channel: 'online',
        },
      ],
    });

  it('refuses unsigned, forged, stale and replayed notifications, changing nothing', async () => {
    const before = await paymentsCount();
    const b = body('TX-FORGED-1', '1000');
    expect((await send(b, {})).status).toBe(401);
    expect((await send(b, signed(b, `whsec_${'x'.repeat(40)}`))).status).toBe(401);
    const old = String(Math.floor(Date.now() / 1000) - 600);
    const stale = await send(b, signed(b, secret, old));
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('payments.stale');
    // A signature over other bytes than those sent is forged too.
    expect((await send(body('TX-FORGED-1', '999999'), signed(b))).status).toBe(401);
    expect(await paymentsCount()).toBe(before);

    const headers = signed(b);
    expect((await send(b, headers)).status).toBe(200);
    const replay = await send(b, headers);
    expect(replay.status).toBe(409);
    expect(await paymentsCount()).toBe(before + 1);
  });

  it('keeps the previous secret valid during a rotation overlap, and not after', async () => {
    const old = secret;
    const rotated = await owner.post<{ secret: string }>('/payments/secrets', {
      network: 'generic',
      overlapSeconds: 3600,
    });
    expect(rotated.status).toBe(201);
    const b1 = body('TX-ROTATE-1', '1');
    expect((await send(b1, signed(b1, old))).status).toBe(200);
    const b2 = body('TX-ROTATE-2', '1');
    expect((await send(b2, signed(b2, rotated.body.secret))).status).toBe(200);
    const again = await owner.post<{ secret: string }>('/payments/secrets', {
      network: 'generic',
      overlapSeconds: 0,
    });
    const b3 = body('TX-ROTATE-3', '1');
    expect((await send(b3, signed(b3, rotated.body.secret))).status).toBe(401);
    expect((await send(b3, signed(b3, again.body.secret))).status).toBe(200);
    secret = again.body.secret;
  });

  it('takes eFAWATEERcom biller messages in 3 decimals, answered per transaction', async () => {
    const efw = await accountant.post<{ secret: string }>('/payments/secrets', { network: 'efawateercom' });
    const open = await accountant.get<{ paymentNumbers: NumberBody[] }>(
      '/payment-numbers?kind=vehicle&state=open',
    );
    const target = open.body.paymentNumbers.find((n) => n.number !== number)!;
    const message = JSON.stringify({
      Transactions: [
        {
          JOEBPPSTrx: 'JOEBPPS-000123',
          BillingNo: target.number,
          DueAmt: majorText(BigInt(target.totalMinor), 'JOD'),
          PaidAmt: majorText(BigInt(target.totalMinor), 'JOD'),
          FeesAmt: '0.500',
          ProcessDate: new Date().toISOString(),
          STMTDate: new Date().toISOString().slice(0, 10),
          AccessChannel: 'MOBILE',
        },
      ],
    });
    const headers = { 'x-payment-network': 'efawateercom', ...signed(message, efw.body.secret) };
    const res = await send(message, headers);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as {
      Transactions: Array<{ JOEBPPSTrx: string; Result: { ErrorCode: number; Description: string } }>;
    };
    expect(answer.Transactions).toEqual([
      expect.objectContaining({
        JOEBPPSTrx: 'JOEBPPS-000123',
        Result: expect.objectContaining({ ErrorCode: 0, Description: 'matched' }),
      }),
    ]);
    // The generic secret does not sign for eFAWATEERcom.
    expect((await send(message, { 'x-payment-network': 'efawateercom', ...signed(message) })).status).toBe(
      401,
    );
    const payment = (
      await accountant.get<{ payments: Array<{ transactionId: string; feeMinor: string; network: string }> }>(
        '/payments',
      )
    ).body.payments.find((p) => p.transactionId === 'JOEBPPS-000123')!;
    expect(payment).toMatchObject({ feeMinor: '500', network: 'efawateercom' });
  });

  it('takes Fawry callbacks signed over their fields, one payment per reference and status', async () => {
    const eg = await makeAccount(test.db, 'EG');
    const egOwner = new ApiClient(app.product.url!);
    await egOwner.signIn(eg.users.owner.email);
    egOwner.accountId = eg.id.toString();
    const fawrySecret = (await egOwner.post<{ secret: string }>('/payments/secrets', { network: 'fawry' }))
      .body.secret;
    const callback = (orderStatus: string, secretKey = fawrySecret) => {
      const fields = {
        fawryRefNumber: '9990017',
        merchantRefNumber: composePaymentNumber('vehicle', '4', 77n),
        paymentAmount: '150.00',
        orderAmount: '150.00',
        orderStatus,
        paymentMethod: 'PAYATFAWRY',
        paymentRefrenceNumber: '2233',
      };
      return JSON.stringify({
        requestId: `r-${orderStatus}`,
        ...fields,
        messageSignature: fawrySignature(fields as never, secretKey),
      });
    };
    const post = (body: string) =>
      fetch(`${app.product.url}/api/v1/payments/notifications`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-account-id': eg.id.toString(),
          'x-payment-network': 'fawry',
        },
        body,
      });
    expect((await post(callback('PAID', `x${fawrySecret}`))).status).toBe(401);
    const unpaid = await post(callback('UNPAID'));
    expect(unpaid.status).toBe(200);
    const paidAnswer = await post(callback('PAID'));
    expect(((await paidAnswer.json()) as { recorded: { outcome: string } }).recorded.outcome).toBe(
      'unknown_number',
    );
    const again = await post(callback('PAID'));
    expect(((await again.json()) as { recorded: { status: string } }).recorded.status).toBe(
      'duplicate_delivery',
    );
    const payments = await sql<{ amount_minor: string; transaction_id: string }>`
      select amount_minor::text, transaction_id from payments where account_id = ${eg.id}`.execute(
      test.ownerDb,
    );
    expect(payments.rows).toEqual([{ amount_minor: '15000', transaction_id: '9990017:PAID' }]);
  });

  it('counts reordered deliveries once each, whatever the order', async () => {
    const lines = (await accountant.get<NumberBody>(`/payment-numbers/${number}`)).body;
    const due = BigInt(lines.totalMinor) - BigInt(lines.paidMinor);
    const first = JSON.stringify({
      transactions: [
        {
          transactionId: 'TX-ORDER-2',
          number,
          amountMinor: String(due - 1n),
          currency: 'JOD',
          paidAt: new Date().toISOString(),
        },
      ],
    });
    const second = JSON.stringify({
      transactions: [
        {
          transactionId: 'TX-ORDER-1',
          number,
          amountMinor: '1',
          currency: 'JOD',
          paidAt: new Date().toISOString(),
        },
      ],
    });
    // Delivered later first, then earlier, then the later one again (a network retry, signed a
    // second after the first delivery: the same timestamp would be the same call, a replay).
    const firstSignedAt = Math.floor(Date.now() / 1000) - 2;
    expect((await send(first, signed(first, secret, String(firstSignedAt)))).status).toBe(200);
    expect((await send(second, signed(second))).status).toBe(200);
    const retry = await send(first, signed(first, secret, String(firstSignedAt + 1)));
    expect(((await retry.json()) as { results: Array<{ status: string }> }).results[0]!.status).toBe(
      'duplicate_delivery',
    );
    const after = (await accountant.get<NumberBody>(`/payment-numbers/${number}`)).body;
    expect(after.state).toBe('paid');
    expect(after.paidMinor).toBe(after.totalMinor);
    expect(after.lines!.every((l) => l.state === 'paid_pending')).toBe(true);
  });
});

describe('the run while its payment numbers are issued', { timeout: 120_000 }, () => {
  it('shows `issuing` until the payments stage ends, then ends as reconciliation decided', async () => {
    // Every open number gone stale: the run's payments stage has to ask the (slow) authority again.
    await sql`update payment_numbers set state = 'superseded' where account_id = ${account.id} and state = 'open'`.execute(
      test.ownerDb,
    );
    simulator.setFaults({ issuanceLatencyMs: 1500 });
    try {
      const seen = new Set<string>();
      const watching = (async () => {
        const deadline = Date.now() + 90_000;
        for (;;) {
          const runs = await fleet.get<{ runs: Array<{ status: string }> }>('/runs?limit=1');
          const status = runs.body.runs[0]?.status;
          if (status) seen.add(status);
          if (seen.has('issuing') && (status === 'done' || status === 'partial')) return status;
          if (Date.now() > deadline) throw new Error(`the run went through ${[...seen].join(', ')}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      const { status } = await runThroughPayments(fleet, test.ownerDb, account.id);
      expect(await watching).toBe(status);
      expect(seen.has('issuing')).toBe(true);
      const issuedTonight = await sql<{ n: number }>`
        select count(*)::int as n from payment_numbers where account_id = ${account.id} and state = 'open'`.execute(
        test.ownerDb,
      );
      expect(issuedTonight.rows[0]!.n).toBeGreaterThan(0);
    } finally {
      simulator.setFaults({ issuanceLatencyMs: 0 });
    }
  });
});
