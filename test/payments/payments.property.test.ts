import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import {
  createPaymentNetworkStub,
  type NetworkTransaction,
  type PaymentNetworkStub,
} from '../../fixtures/payment-network/stub.ts';
import { composePaymentNumber } from '../../server/payments/payment-number.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';
import { expectCoverage, type NumberBody, runThroughPayments } from './support.ts';

const test = useTestDatabase();
let simulator: AuthoritySimulator;
beforeAll(async () => {
  simulator = await startAuthoritySimulator({
    seed: 'payments-property',
    world: { startDate: '2026-03-01', dailyViolationRate: 0.04, notFoundRate: 0 },
  });
  process.env.TEST_PAYMENT_PROPERTY_AUTHORITY_URL = simulator.url;
});
afterAll(async () => {
  await simulator?.close();
});
const app = useProduct(test, {
  get AUTHORITY_URL() {
    return process.env.TEST_PAYMENT_PROPERTY_AUTHORITY_URL!;
  },
  AUTHORITY_RATE_LIMIT: '200',
  AUTHORITY_BATCH_SIZE: '10',
  AUTHORITY_TIMEOUT_MS: '3000',
  AUTHORITY_MAX_ATTEMPTS: '2',
} as Record<string, string>);

type PaymentAction = 'exact' | 'short' | 'over' | 'twice' | 'unknown' | 'redeliver' | 'superseded';
const night = fc.record({
  advanceDays: fc.integer({ min: 0, max: 35 }),
  cancel: fc.nat(2),
  payments: fc.array(
    fc.record({
      pick: fc.nat(),
      action: fc.constantFrom<PaymentAction>(
        'exact',
        'short',
        'over',
        'twice',
        'unknown',
        'redeliver',
        'superseded',
      ),
    }),
    { minLength: 2, maxLength: 6 },
  ),
});
const scenario = fc.record({
  jurisdiction: fc.constantFrom<'JO' | 'EG'>('JO', 'EG'),
  plates: fc.integer({ min: 3, max: 6 }),
  nights: fc.array(night, { minLength: 2, maxLength: 3 }),
});

let iteration = 0;

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
/** Outcomes seen over all scenarios: the property must have been tried on each kind of payment. */
const tally = new Map<string, number>();

async function playScenario(input: Scenario) {
  iteration += 1;
  const account = await makeAccount(test.db, input.jurisdiction);
  const prefix = input.jurisdiction;
  await makeVehicles(
    test.db,
    account.id,
    Array.from({ length: input.plates }, (_, i) => `${prefix}:P${iteration}-${i}-${7000 + i * 13}`),
  );
  const fleet = new ApiClient(app.product.url!);
  await fleet.signIn(account.users.fleet_admin.email);
  fleet.accountId = account.id.toString();
  const accountant = new ApiClient(app.product.url!);
  await accountant.signIn(account.users.accountant.email);
  accountant.accountId = account.id.toString();
  const secret = (await accountant.post<{ secret: string }>('/payments/secrets', { network: 'generic' })).body
    .secret;
  const network: PaymentNetworkStub = createPaymentNetworkStub({
    authorityUrl: simulator.url,
    productApiUrl: `${app.product.url}/api/v1`,
    accountId: account.id.toString(),
    secret,
  });

  /** Every transaction the network delivered, with the outcome it must have been recorded with. */
  const expected = new Map<string, { outcome: string; amountMinor: bigint }>();
  const delivered: NetworkTransaction[] = [];
  const deliver = async (t: NetworkTransaction, outcome: string) => {
    const answer = await network.notify([t]);
    expect(answer.status).toBe(200);
    expected.set(t.transactionId, { outcome, amountMinor: BigInt(t.amountMinor) });
    tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
    delivered.push(t);
  };
  const supersededNumbers: string[] = [];

  for (const [n, plan] of input.nights.entries()) {
    await runThroughPayments(fleet, test.ownerDb, account.id);
    const { vehicleNumbers, consolidated } = await expectCoverage(accountant, test.ownerDb, account.id);
    if (consolidated) {
      expect(consolidated.issuer).toBe(input.jurisdiction === 'JO' ? 'authority' : 'product');
    }
    const superseded = await accountant.get<{ paymentNumbers: NumberBody[] }>(
      '/payment-numbers?state=superseded&kind=vehicle',
    );
    for (const s of superseded.body.paymentNumbers)
      if (!supersededNumbers.includes(s.number)) supersededNumbers.push(s.number);

    const unused = [...vehicleNumbers];
    for (const payment of plan.payments) {
      if (payment.action === 'unknown') {
        await deliver(
          {
            transactionId: `UNK-${iteration}-${n}-${payment.pick}`,
            number: composePaymentNumber('vehicle', '7', BigInt(900_000 + (payment.pick % 1000))),
            dueAmountMinor: '1000',
            amountMinor: '1000',
            feeMinor: '0',
            currency: input.jurisdiction === 'JO' ? 'JOD' : 'EGP',
            paidAt: new Date().toISOString(),
            settledOn: new Date().toISOString().slice(0, 10),
            channel: 'internet_banking',
          },
          'unknown_number',
        );
        continue;
      }
      if (payment.action === 'redeliver') {
        const earlier = delivered[payment.pick % Math.max(1, delivered.length)];
        if (!earlier) continue;
        const answer = await network.redeliver([earlier]);
        expect((answer.body as { results: Array<{ status: string }> }).results[0]!.status).toBe(
          'duplicate_delivery',
        );
        continue;
      }
      if (payment.action === 'superseded') {
        const old = supersededNumbers[payment.pick % Math.max(1, supersededNumbers.length)];
        if (!old) continue;
        const bill = await network.billPull(old).catch(() => undefined);
        if (bill?.status !== 'open') continue;
        await deliver(await network.pay(old), 'superseded_number');
        continue;
      }
      if (unused.length === 0) continue;
      const [number] = unused.splice(payment.pick % unused.length, 1) as [NumberBody];
      const total = BigInt(number.totalMinor);
      if (payment.action === 'exact') await deliver(await network.pay(number.number), 'matched');
      else if (payment.action === 'short') {
        if (total < 2n) continue;
        await deliver(await network.pay(number.number, { amountMinor: total - 1n, force: true }), 'short');
      } else if (payment.action === 'over')
        await deliver(await network.pay(number.number, { amountMinor: total + 1n, force: true }), 'over');
      else {
        await deliver(await network.pay(number.number), 'matched');
        await deliver(await network.pay(number.number, { force: true }), 'duplicate');
      }
    }
    for (let c = 0; c < Math.min(plan.cancel, input.plates); c++) {
      const answer = simulator.world.answer(
        input.jurisdiction,
        `${prefix}:P${iteration}-${c}-${7000 + c * 13}`,
      );
      const unpaid =
        answer.status === 'ok' ? answer.violations.find((v) => v.status === 'unpaid') : undefined;
      if (unpaid) simulator.world.cancelTicket(unpaid.ticketNumber);
    }
    simulator.world.advanceDays(plan.advanceDays);
  }
  await runThroughPayments(fleet, test.ownerDb, account.id);
  await expectCoverage(accountant, test.ownerDb, account.id);

  // No payment lost or counted twice: one row per delivered transaction, with its amount and outcome.
  const rows = await sql<{ transaction_id: string; outcome: string; amount_minor: string; id: string }>`
    select transaction_id, outcome, amount_minor::text, id::text from payments where account_id = ${account.id}`.execute(
    test.ownerDb,
  );
  expect(rows.rows).toHaveLength(expected.size);
  for (const row of rows.rows) {
    const want = expected.get(row.transaction_id)!;
    expect(row.outcome, row.transaction_id).toBe(want.outcome);
    expect(BigInt(row.amount_minor)).toBe(want.amountMinor);
  }
  // Exceptions from payments are exactly the mismatches, one each.
  const exceptions = await sql<{ payment_id: string }>`
    select payment_id::text from exceptions where account_id = ${account.id} and payment_id is not null`.execute(
    test.ownerDb,
  );
  expect(exceptions.rows.map((e) => e.payment_id).sort()).toEqual(
    rows.rows
      .filter((r) => r.outcome !== 'matched')
      .map((r) => r.id)
      .sort(),
  );
  // Every number's paid amount is what its matched, short and over payments brought.
  const paidOk = await sql<{ ok: boolean }>`
    select bool_and(p.paid_minor = coalesce((select sum(x.amount_minor) from payments x where x.account_id = p.account_id
                      and x.payment_number_id = p.id and x.outcome in ('matched', 'short', 'over')), 0)) as ok
    from payment_numbers p where p.account_id = ${account.id}`.execute(test.ownerDb);
  expect(paidOk.rows[0]!.ok).toBe(true);
}

describe('payment numbers and payments over random nights', () => {
  it('keep every total, cover every outstanding line once, lose or double no payment, flag exactly the mismatches', async () => {
    await fc.assert(fc.asyncProperty(scenario, playScenario), { seed: 1919, numRuns: 5, endOnFailure: true });
    expect([...tally.keys()].sort()).toEqual(
      expect.arrayContaining(['duplicate', 'matched', 'over', 'short', 'unknown_number']),
    );
  }, 600_000);
});
