/**
 * Settlement files are matched set-based; matching the same payments one by one (as notifications
 * are) is the reference. Two accounts get the same fines and the same numbers, one takes a random
 * file through `recordPaymentBatch`, the other through `recordPayments`: outcomes, numbers, lines
 * and exceptions must come out the same. The files pay vehicle numbers and the consolidated one
 * (sharing lines, so the one-by-one fallback is exercised too), exactly, short, over, twice,
 * late, and numbers nobody issued.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../../server/db/tenant.ts';
import { composePaymentNumber } from '../../server/payments/payment-number.ts';
import { issuePaymentNumbers } from '../../server/payments/payment-numbers.service.ts';
import { type IncomingPayment, recordPayments } from '../../server/payments/payments.service.ts';
import { recordPaymentBatch } from '../../server/payments/settlement-matching.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { instantIssuer } from '../support/issuers.ts';

const test = useTestDatabase();
const now = new Date('2026-06-10T08:00:00Z');

/** Numbers in an order both accounts share: by kind, then by their first ticket. */
const byContent = sql`p.kind desc, (select min(l.ticket_number collate "C") from payment_number_lines l
                                    where l.account_id = p.account_id and l.payment_number_id = p.id)`;

/** An account with six vehicles' fines and their numbers; answers its numbers in `byContent` order. */
async function accountWithNumbers(amounts: bigint[]) {
  const account = await makeAccount(test.db, 'JO');
  const vehicles = await makeVehicles(
    test.db,
    account.id,
    Array.from({ length: 6 }, (_, i) => `JO:${30 + i}-${50000 + Number(account.id)}`),
  );
  await sql`
    insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                            description_en, location, amount_minor, currency, authority_status, version,
                            first_seen_run, last_changed_run)
    select ${account.id}, 'B' || t.i, t.vehicle, 'outstanding', ${now}::timestamptz - make_interval(days => t.i::int),
           'SPD', 'سرعة', 'Speeding', 'X', t.amount, 'JOD', 'unpaid', 1, 1, 1
    from unnest(${amounts.map((_, i) => vehicles[i % 6]!)}::bigint[], ${amounts}::bigint[]) with ordinality
      as t(vehicle, amount, i)`.execute(test.ownerDb);
  const issuer = instantIssuer(() => new Date('2026-06-20T00:00:00Z'));
  for (const kind of ['vehicle', 'consolidated'] as const)
    await issuePaymentNumbers(test.db, issuer, {
      accountId: account.id,
      kind,
      selection: { scope: 'account' },
      now,
    });
  const { rows } = await sql<{ number: string; total_minor: bigint }>`
    select p.number, p.total_minor from payment_numbers p where p.account_id = ${account.id}
    order by ${byContent}`.execute(test.ownerDb);
  return { account, numbers: rows };
}

/** Everything matching changes, in terms both accounts share (numbers by issue order). */
async function state(accountId: bigint) {
  const ranked = sql`select p.id, row_number() over (order by ${byContent}) as n from payment_numbers p
                     where p.account_id = ${accountId}`;
  const numbers = await sql`
    select r.n, p.state, p.paid_minor, p.state_changed_at from payment_numbers p join (${ranked}) r on r.id = p.id
    order by r.n`.execute(test.ownerDb);
  const lines = await sql`
    select r.n, l.ticket_number, l.state, l.paid_minor
    from payment_number_lines l join (${ranked}) r on r.id = l.payment_number_id
    where l.account_id = ${accountId} order by r.n, l.ticket_number`.execute(test.ownerDb);
  const payments = await sql`
    select p.transaction_id, p.outcome, p.amount_minor, payment_evidence(p) - 'reference' as evidence, r.n as number_rank
    from payments p left join (${ranked}) r on r.id = p.payment_number_id
    where p.account_id = ${accountId} order by p.transaction_id`.execute(test.ownerDb);
  const exceptions = await sql`
    select e.kind, p.transaction_id, e.details - 'reference' as details,
           e.details - 'outcome' = payment_evidence(p) as carries_evidence
    from exceptions e join payments p on p.account_id = e.account_id and p.id = e.payment_id
    where e.account_id = ${accountId} order by p.transaction_id, e.kind`.execute(test.ownerDb);
  return { numbers: numbers.rows, lines: lines.rows, payments: payments.rows, exceptions: exceptions.rows };
}

const payment = fc.record({
  target: fc.integer({ min: 0, max: 7 }), // 0–5 vehicles, 6 the consolidated one, 7 a number nobody issued
  how: fc.constantFrom('exact', 'exact', 'short', 'over', 'late'),
  part: fc.integer({ min: 1, max: 99 }),
});

describe('a settlement file matched set-based', { timeout: 180_000 }, () => {
  it('comes out as matching its payments one by one would', async () => {
    const files = fc.sample(fc.array(payment, { minLength: 1, maxLength: 14 }), { numRuns: 6, seed: 19 });
    const amounts = fc.sample(
      fc.array(fc.bigInt({ min: 500n, max: 90_000n }), { minLength: 14, maxLength: 14 }),
      {
        numRuns: 1,
        seed: 23,
      },
    )[0]!;
    for (const [f, file] of files.entries()) {
      const batch = await accountWithNumbers(amounts);
      const oneByOne = await accountWithNumbers(amounts);
      const incoming = (numbers: Array<{ number: string; total_minor: bigint }>) =>
        file.map((p, i): IncomingPayment => {
          const target = numbers[p.target];
          const total = target?.total_minor ?? 10_000n;
          const amountMinor =
            p.how === 'short'
              ? (total * BigInt(p.part)) / 100n || 1n
              : p.how === 'over'
                ? total + BigInt(p.part)
                : total;
          return {
            transactionId: `F${f}-${String(i).padStart(3, '0')}`,
            reference: target?.number ?? composePaymentNumber('vehicle', '1', 999_000n + BigInt(i)),
            amountMinor,
            feeMinor: 0n,
            currency: 'JOD',
            paidAt:
              p.how === 'late' ? new Date('2026-07-01T00:00:00Z') : new Date(now.getTime() + i * 60_000),
            settledOn: '2026-06-11',
            channel: 'online',
          };
        });
      const a = await withTenant(test.db, batch.account.id, (trx) =>
        recordPaymentBatch(trx, batch.account.id, 'generic', 'settlement_file', incoming(batch.numbers)),
      );
      const b = await withTenant(test.db, oneByOne.account.id, (trx) =>
        recordPayments(trx, oneByOne.account.id, 'generic', 'settlement_file', incoming(oneByOne.numbers)),
      );
      expect(a.map((r) => [r.transactionId, r.status, r.outcome])).toEqual(
        b.map((r) => [r.transactionId, r.status, r.outcome]),
      );
      expect(await state(batch.account.id)).toEqual(await state(oneByOne.account.id));
      // A mismatch's exception carries its payment's evidence as the payment's columns compose it.
      for (const { account } of [batch, oneByOne]) {
        const { exceptions } = await state(account.id);
        expect(exceptions.map((e) => (e as { carries_evidence: boolean }).carries_evidence)).not.toContain(
          false,
        );
      }
      // Delivered again, every payment is a repeated delivery and nothing changes.
      const before = await state(batch.account.id);
      const again = await withTenant(test.db, batch.account.id, (trx) =>
        recordPaymentBatch(trx, batch.account.id, 'generic', 'settlement_file', incoming(batch.numbers)),
      );
      expect(again.every((r) => r.status === 'duplicate_delivery')).toBe(true);
      expect(await state(batch.account.id)).toEqual(before);
    }
  });
});

describe('a settlement file racing another delivery', { timeout: 60_000 }, () => {
  it('records none of its payments when another delivery records one of them after the file was classified', async () => {
    const account = await makeAccount(test.db, 'JO');
    const payment = (transactionId: string, number: bigint): IncomingPayment => ({
      transactionId,
      reference: composePaymentNumber('vehicle', '1', number),
      amountMinor: 500n,
      feeMinor: 0n,
      currency: 'JOD',
      paidAt: now,
      settledOn: '2026-06-10',
      channel: null,
    });
    const raced = payment('RACE-1', 998_001n);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let recorded!: () => void;
    const recordedYet = new Promise<void>((resolve) => {
      recorded = resolve;
    });
    // The other delivery records RACE-1 and holds its transaction open.
    const other = withTenant(test.db, account.id, async (trx) => {
      await recordPayments(trx, account.id, 'generic', 'notification', [raced]);
      recorded();
      await held;
    });
    await recordedYet;
    const file = withTenant(test.db, account.id, (trx) =>
      recordPaymentBatch(trx, account.id, 'generic', 'settlement_file', [payment('RACE-0', 998_000n), raced]),
    );
    // The file waits on the other delivery's uncommitted payment before that commits.
    for (let waiting = 0; waiting === 0; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(test.ownerDb);
      waiting = rows[0]!.n;
    }
    release();
    await other;
    await expect(file).rejects.toMatchObject({ code: 'payments.concurrent_delivery', status: 409 });
    const { rows } = await sql<{ transaction_id: string }>`
      select transaction_id from payments where account_id = ${account.id}`.execute(test.ownerDb);
    expect(rows.map((r) => r.transaction_id)).toEqual(['RACE-1']);
  });
});
