import fs from 'node:fs';
import { sql } from 'kysely';
import { loadConfig } from '../../server/config.ts';
import { copyInto } from '../../server/db/copy.ts';
import { copyLine } from '../../server/db/copy-text.ts';
import { createDatabase } from '../../server/db/database.ts';
import { type Executor, withTenant } from '../../server/db/tenant.ts';
import { createLogger } from '../../server/logger.ts';
import { composePaymentNumber } from '../../server/payments/payment-number.ts';
import { issuePaymentNumbers } from '../../server/payments/payment-numbers.service.ts';
import type { IncomingPayment } from '../../server/payments/payments.service.ts';
import { sealSecret } from '../../server/payments/secret-sealing.ts';
import { recordPaymentBatch } from '../../server/payments/settlement-matching.service.ts';
import { signNotification } from '../../server/payments/signature.ts';
import { startProduct } from '../../server/product.ts';
import { makeAccount } from '../support/factories.ts';
import { instantIssuer } from '../support/issuers.ts';
import type { Bench } from './harness.ts';
import { cpuSeconds, time } from './harness.ts';
import { paymentIssueBenches } from './payments-issue.bench.ts';

const NOTIFICATIONS = Number(process.env.BENCH_PAYMENT_NOTIFICATIONS ?? 4_000);
const NOTIFICATION_CONCURRENCY = 16;
const SETTLEMENT_PAYMENTS = Number(process.env.BENCH_SETTLEMENT_PAYMENTS ?? 100_000);

/** The PostgreSQL backend process serving a transaction. */
async function backendPid(trx: Executor) {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
  return rows[0]!.pid;
}

/** Whether a backend's pid names a PostgreSQL process of this machine (not so for a remote server). */
function isLocalBackend(pid: number) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}

/** Runs `send` `count` times, `concurrency` at once; answers the wall time and each call's latency. */
async function load(count: number, concurrency: number, send: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        await send(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const ms = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!;
  return { perSecond: Math.round((count / ms) * 1000), p99: Math.round(p99 * 10) / 10 };
}

export const paymentBenches: Bench[] = [
  ...paymentIssueBenches,
  {
    name: 'payments.notifications',
    description: `POST /api/v1/payments/notifications (generic network, HMAC-signed, one transaction paying one vehicle's number in full) ${NOTIFICATIONS.toLocaleString('en')} times, ${NOTIFICATION_CONCURRENCY} at once, against the product's GET /healthz the same way; throughput and p99 latency on this machine's cores, the product in this process`,
    async run({ db, env, appUrl, record }) {
      const account = await makeAccount(db, 'JO');
      await sql`
        insert into vehicles (account_id, plate_key, plate, plate_display, active_from)
        select ${account.id}, 'JO:' || (10 + i % 80) || '-' || (300000 + i), '{}'::jsonb, 'N' || i, '2020-01-01'
        from generate_series(1, ${NOTIFICATIONS}::int) i`.execute(db);
      await sql`
        insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                                description_en, location, amount_minor, currency, authority_status, version,
                                first_seen_run, last_changed_run)
        select ${account.id}, 'N' || lpad(i::text, 9, '0'), first.id + i % ${NOTIFICATIONS}::int, 'outstanding',
               now() - make_interval(days => i % 25), 'SPD', 'سرعة', 'Speeding', 'Amman', 20000 + (i * 7919) % 130000,
               'JOD', 'unpaid', 1, 1, 1
        from generate_series(1, ${NOTIFICATIONS * 2}::int) i,
             (select min(id) as id from vehicles where account_id = ${account.id}) first`.execute(db);
      await sql`analyze vehicles, violations`.execute(db);
      const secret = `whsec_bench_${'x'.repeat(32)}`;
      const sealed = sealSecret(Buffer.from(env.SECRETS_KEY, 'base64'), secret, `${account.id}:generic`);
      await sql`insert into payment_network_secrets (account_id, network, secret)
                values (${account.id}, 'generic', ${sealed})`.execute(db);
      const appDb = createDatabase(appUrl, 4, 'fleet-bench-notifications');
      let numbers: Array<{ number: string; total: string }>;
      try {
        const outcome = await issuePaymentNumbers(appDb, instantIssuer(), {
          accountId: account.id,
          kind: 'vehicle',
          selection: { scope: 'account' },
          now: new Date(),
        });
        numbers = outcome.numbers.map((n) => ({ number: n.number, total: n.total_minor.toString() }));
      } finally {
        await appDb.destroy();
      }
      if (numbers.length !== NOTIFICATIONS) throw new Error(`issued ${numbers.length} numbers`);

      const config = loadConfig({ ...env, PORT: '0', DEMO: 'false' }, ['--role=web']);
      const product = await startProduct(config, createLogger({ level: 'warn', pretty: false }));
      try {
        const base = product.url!;
        const healthz = await load(NOTIFICATIONS, NOTIFICATION_CONCURRENCY, async () => {
          const res = await fetch(`${base}/healthz`);
          await res.text();
          if (res.status !== 200) throw new Error(`healthz answered ${res.status}`);
        });
        const notified = await load(NOTIFICATIONS, NOTIFICATION_CONCURRENCY, async (i) => {
          const paid = numbers[i]!;
          const body = JSON.stringify({
            transactions: [
              {
                transactionId: `BENCH-${i}`,
                number: paid.number,
                amountMinor: paid.total,
                currency: 'JOD',
                paidAt: new Date().toISOString(),
                channel: 'online',
              },
            ],
          });
          const timestamp = String(Math.floor(Date.now() / 1000));
          const res = await fetch(`${base}/api/v1/payments/notifications`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-account-id': account.id.toString(),
              'x-payment-timestamp': timestamp,
              'x-payment-signature': signNotification(secret, timestamp, body),
            },
            body,
          });
          const answer = await res.text();
          if (res.status !== 200) throw new Error(`notification answered ${res.status}: ${answer}`);
        });
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from payments where account_id = ${account.id} and outcome = 'matched'`.execute(
          db,
        );
        if (rows[0]!.n !== NOTIFICATIONS)
          throw new Error(`${rows[0]!.n} payments matched of ${NOTIFICATIONS}`);
        console.log(
          `  notifications: ${notified.perSecond}/s, p99 ${notified.p99} ms; healthz: ${healthz.perSecond}/s, p99 ${healthz.p99} ms`,
        );
        record({
          name: 'payments.notifications_rate',
          value: notified.perSecond,
          unit: 'req/s',
          floor: healthz.perSecond,
          kind: 'rate',
        });
        record({
          name: 'payments.notifications_p99',
          value: notified.p99,
          unit: 'ms',
          floor: healthz.p99,
          kind: 'time',
        });
      } finally {
        await product.stop();
      }
    },
  },
  {
    name: 'payments.settlement',
    description: `matching a settlement file of ${SETTLEMENT_PAYMENTS.toLocaleString('en')} payments (its rows already read: mostly exact, some short, over, paid twice or for unknown numbers) against numbers of one violation each, against a COPY of its rows into a copy of the payments table`,
    async run({ db, appUrl, record }) {
      const account = await makeAccount(db, 'JO');
      const count = SETTLEMENT_PAYMENTS;
      const numbers = Array.from({ length: count }, (_, i) =>
        composePaymentNumber('violation', '1', BigInt(i + 1)),
      );
      const amountOf = (i: number) => BigInt(20_000 + ((i * 7919) % 130_000));
      await sql`
        insert into payment_numbers (account_id, number, kind, issuer, selection, line_hash, line_count, total_minor,
                                     total_after_deadline_minor, currency, issued_at, expires_at)
        select ${account.id}, n.number, 'violation', 'authority', '{}'::jsonb, md5(n.number) || md5(n.number), 1,
               20000 + ((n.i - 1) * 7919) % 130000, 20000 + ((n.i - 1) * 7919) % 130000, 'JOD', now(),
               now() + interval '30 days'
        from unnest(${numbers}::text[]) with ordinality as n(number, i)`.execute(db);
      await sql`
        insert into payment_number_lines (account_id, payment_number_id, ticket_number, vehicle_id, offence_at,
                                          amount_minor, amount_after_deadline_minor)
        select account_id, id, 'S' || id, 1, now() - interval '3 days', total_minor, total_minor
        from payment_numbers where account_id = ${account.id}`.execute(db);
      // A second floor to read the matching against, besides the goal's COPY: the same writes done
      // the simplest fast way — the payments recorded against the numbers they name, the numbers'
      // paid amounts and states and their lines' — on copies of the numbers and lines with the same
      // keys, without what matching adds (repeated deliveries, the file's order, exceptions, locks).
      await sql`create table floor_paid_numbers (like payment_numbers including all)`.execute(db);
      await sql`create table floor_paid_lines (like payment_number_lines including all)`.execute(db);
      await sql`create table floor_paid_payments (like payments including all)`.execute(db);
      await sql`
        insert into floor_paid_numbers overriding system value
        select * from payment_numbers where account_id = ${account.id}`.execute(db);
      await sql`
        insert into floor_paid_lines select * from payment_number_lines where account_id = ${account.id}`.execute(
        db,
      );
      // Every figure starts from the same state: set up, vacuumed, and written out.
      await sql`vacuum analyze payment_numbers, payment_number_lines, floor_paid_numbers, floor_paid_lines`.execute(
        db,
      );

      // Every 20th short, every 50th over, every 100th for a number nobody issued, every 40th pays
      // the number before it a second time; the rest exact.
      const paidAt = new Date();
      const payments: IncomingPayment[] = Array.from({ length: count }, (_, i) => {
        const target = i % 40 === 39 ? i - 1 : i;
        const due = amountOf(target);
        const amountMinor = i % 20 === 7 ? due - 1_000n : i % 50 === 11 ? due + 500n : due;
        return {
          transactionId: `SETTLE-${i}`,
          reference:
            i % 100 === 3 ? composePaymentNumber('violation', '1', BigInt(count + i)) : numbers[target]!,
          amountMinor,
          feeMinor: 150n,
          currency: 'JOD',
          paidAt,
          settledOn: paidAt.toISOString().slice(0, 10),
          channel: 'online',
        };
      });

      await sql`checkpoint`.execute(db);
      const sameWrites = await time(() =>
        db.transaction().execute(async (trx) => {
          await sql`
            create temp table floor_in (transaction_id text, reference text, amount_minor bigint, fee_minor bigint,
                                        currency text, paid_at timestamptz, settled_on date, channel text)
            on commit drop`.execute(trx);
          const text = payments
            .map((p) =>
              copyLine([
                p.transactionId,
                p.reference,
                p.amountMinor.toString(),
                p.feeMinor.toString(),
                p.currency,
                p.paidAt.toISOString(),
                p.settledOn,
                p.channel,
              ]),
            )
            .join('');
          await copyInto(trx, 'copy floor_in from stdin', [text]);
          await sql`analyze floor_in`.execute(trx);
          await sql`
            insert into floor_paid_payments (account_id, network, transaction_id, source, reference, payment_number_id,
                                             amount_minor, fee_minor, currency, paid_at, settled_on, channel, outcome)
            select ${account.id}, 'settlement_file', i.transaction_id, 'settlement_file', i.reference, n.id,
                   i.amount_minor, i.fee_minor, i.currency, i.paid_at, i.settled_on, i.channel,
                   case when n.id is null then 'unknown_number' when i.amount_minor = n.total_minor then 'matched'
                        when i.amount_minor < n.total_minor then 'short' else 'over' end
            from floor_in i left join floor_paid_numbers n on n.account_id = ${account.id} and n.number = i.reference`.execute(
            trx,
          );
          await sql`
            update floor_paid_numbers n
            set paid_minor = n.paid_minor + p.amount_minor, state_changed_at = now(),
                state = case when n.paid_minor + p.amount_minor >= n.total_minor then 'paid' else 'partially_paid' end
            from (select reference, sum(amount_minor) as amount_minor from floor_in group by reference) p
            where n.account_id = ${account.id} and n.number = p.reference`.execute(trx);
          await sql`
            update floor_paid_lines l
            set paid_minor = least(l.amount_minor, n.paid_minor),
                state = case when n.state = 'paid' then 'paid_pending' else 'open' end
            from floor_paid_numbers n
            where n.account_id = ${account.id} and n.state in ('paid', 'partially_paid')
              and l.account_id = ${account.id} and l.payment_number_id = n.id`.execute(trx);
        }),
      );

      // Its tables go before the other figures, so they do not crowd the database's buffers.
      await sql`drop table floor_paid_numbers, floor_paid_lines, floor_paid_payments`.execute(db);

      await sql`create table floor_settlement (like payments including all)`.execute(db);
      // Each figure also as its database backend's CPU time (commit included), which the machine's
      // load sways less than wall time.
      let floorPid = 0;
      let floorCpuBefore = 0;
      await sql`checkpoint`.execute(db);
      const floor = await time(() =>
        db.transaction().execute(async (trx) => {
          floorPid = await backendPid(trx);
          floorCpuBefore = cpuSeconds(floorPid);
          const text = payments
            .map((p) =>
              copyLine([
                account.id.toString(),
                'settlement_file',
                p.transactionId,
                'settlement_file',
                p.reference,
                p.amountMinor.toString(),
                p.feeMinor.toString(),
                p.currency,
                p.paidAt.toISOString(),
                p.settledOn,
                p.channel,
                'matched',
              ]),
            )
            .join('');
          await copyInto(
            trx,
            'copy floor_settlement (account_id, network, transaction_id, source, reference, amount_minor, fee_minor, currency, paid_at, settled_on, channel, outcome) from stdin',
            [text],
          );
        }),
      );
      const floorCpuMs = (cpuSeconds(floorPid) - floorCpuBefore) * 1000;
      record({
        name: 'floor.settlement_copy',
        value: Math.round(floor.ms),
        unit: 'ms',
        floor: Math.round(floor.ms),
        kind: 'time',
      });

      // The same writes against the goal's floor.
      record({
        name: 'floor.settlement_same_writes',
        value: Math.round(sameWrites.ms),
        unit: 'ms',
        floor: Math.round(floor.ms),
        kind: 'time',
      });

      const appDb = createDatabase(appUrl, 4, 'fleet-bench-settlement');
      try {
        await sql`checkpoint`.execute(db);
        let matchPid = 0;
        let matchCpuBefore = 0;
        const matched = await time(() =>
          withTenant(appDb, account.id, async (trx) => {
            matchPid = await backendPid(trx);
            matchCpuBefore = cpuSeconds(matchPid);
            return recordPaymentBatch(trx, account.id, 'generic', 'settlement_file', payments);
          }),
        );
        const matchCpuMs = (cpuSeconds(matchPid) - matchCpuBefore) * 1000;
        const outcomes: Record<string, number> = {};
        for (const r of matched.value) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
        console.log(`  outcomes: ${JSON.stringify(outcomes)}`);
        if (matched.value.length !== count || !outcomes.matched || !outcomes.duplicate || !outcomes.short)
          throw new Error('the settlement was not matched as built');
        record({
          name: 'payments.settlement_match',
          value: Math.round(matched.ms),
          unit: 'ms',
          floor: Math.round(floor.ms),
          kind: 'time',
        });
        record({
          name: 'payments.settlement_match_vs_same_writes',
          value: Math.round(matched.ms),
          unit: 'ms',
          floor: Math.round(sameWrites.ms),
          kind: 'time',
        });
        if (isLocalBackend(matchPid) && isLocalBackend(floorPid))
          record({
            name: 'payments.settlement_match_backend_cpu',
            value: Math.round(matchCpuMs),
            unit: 'ms',
            floor: Math.round(floorCpuMs),
            kind: 'time',
          });
      } finally {
        await appDb.destroy();
      }
    },
  },
];
