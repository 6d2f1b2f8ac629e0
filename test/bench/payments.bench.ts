import { sql } from 'kysely';
import type { AuthorityIssuer } from '../../server/authority/issuance-client.ts';
import { createDatabase } from '../../server/db/database.ts';
import { composePaymentNumber } from '../../server/payments/payment-number.ts';
import { issuePaymentNumbers } from '../../server/payments/payment-numbers.service.ts';
import { makeAccount } from '../support/factories.ts';
import type { Bench } from './harness.ts';
import { time } from './harness.ts';

const VEHICLES = Number(process.env.BENCH_PAYMENT_VEHICLES ?? 50_000);
const VIOLATIONS = VEHICLES * 5;

/**
 * The authority's side, excluded from the figure as the issue asks: numbers composed at once,
 * the same for the same key (as the real call is idempotent).
 */
function instantIssuer(): AuthorityIssuer {
  const byKey = new Map<string, string>();
  let serial = 0n;
  return {
    async issue(_jurisdiction, items) {
      return new Map(
        items.map((item) => {
          let number = byKey.get(item.key);
          if (!number) {
            serial += 1n;
            number = composePaymentNumber(item.kind, '1', serial);
            byKey.set(item.key, number);
          }
          const amountMinor = item.tickets.reduce((s, t) => s + t.amountMinor, 0n);
          return [
            item.key,
            { status: 'issued' as const, number, amountMinor, expiresAt: new Date(Date.now() + 86_400_000) },
          ];
        }),
      );
    },
  };
}

export const paymentBenches: Bench[] = [
  {
    name: 'payments.issue',
    description: `issuing every per-vehicle number and the consolidated one for ${VEHICLES.toLocaleString('en')} vehicles with ${VIOLATIONS.toLocaleString('en')} outstanding violations (authority call excluded), against an INSERT … SELECT of the same lines into tables with the same keys`,
    async run({ db, appUrl, record }) {
      const account = await makeAccount(db, 'JO');
      await sql`
        insert into vehicles (account_id, plate_key, plate, plate_display, active_from)
        select ${account.id}, 'JO:' || (10 + i % 80) || '-' || (200000 + i), '{}'::jsonb, 'P' || i, '2020-01-01'
        from generate_series(1, ${VEHICLES}::int) i`.execute(db);
      await sql`
        insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                                description_en, location, amount_minor, currency, authority_status, version,
                                first_seen_run, last_changed_run)
        select ${account.id}, 'T' || lpad(i::text, 9, '0'), first.id + i % ${VEHICLES}::int, 'outstanding',
               now() - make_interval(days => i % 25), 'SPD', 'سرعة', 'Speeding', 'Amman', 20000 + (i * 7919) % 130000,
               'JOD', 'unpaid', 1, 1, 1
        from generate_series(1, ${VIOLATIONS}::int) i,
             (select min(id) as id from vehicles where account_id = ${account.id}) first`.execute(db);
      await sql`analyze vehicles, violations`.execute(db);

      // Floor: the same numbers and lines written the simplest fast way, into copies with the same keys.
      // The lines' copy has no foreign key to the numbers (the product's does, checked row by row),
      // so the same floor with it is measured too and both ratios are printed.
      const floorInto = async (numbers: string, lines: string) =>
        time(async () => {
          await db.transaction().execute(async (trx) => {
            await sql`
              insert into ${sql.table(numbers)} (account_id, number, kind, issuer, selection, vehicle_id, line_hash,
                                                 line_count, total_minor, total_after_deadline_minor, currency, issued_at,
                                                 expires_at)
              select ${account.id}, '2' || lpad(vehicle_id::text, 13, '0'), 'vehicle', 'authority', '{}'::jsonb, vehicle_id,
                     md5(vehicle_id::text) || md5(vehicle_id::text), count(*), sum(amount_minor), sum(amount_minor), 'JOD',
                     now(), now() + interval '30 days'
              from violations where account_id = ${account.id} and state = 'outstanding' group by vehicle_id`.execute(
              trx,
            );
            await sql`
              insert into ${sql.table(numbers)} (account_id, number, kind, issuer, selection, line_hash, line_count,
                                                 total_minor, total_after_deadline_minor, currency, issued_at, expires_at)
              select ${account.id}, '3000000000000001', 'consolidated', 'authority', '{}'::jsonb, repeat('a', 64), count(*),
                     sum(amount_minor), sum(amount_minor), 'JOD', now(), now() + interval '30 days'
              from violations where account_id = ${account.id} and state = 'outstanding'`.execute(trx);
            await sql`
              insert into ${sql.table(lines)} (account_id, payment_number_id, ticket_number, vehicle_id, offence_at,
                                               amount_minor, amount_after_deadline_minor)
              select v.account_id, n.id, v.ticket_number, v.vehicle_id, v.offence_at, v.amount_minor, v.amount_minor
              from violations v join ${sql.table(numbers)} n on n.account_id = v.account_id and n.vehicle_id = v.vehicle_id
              where v.account_id = ${account.id} and v.state = 'outstanding'`.execute(trx);
            await sql`
              insert into ${sql.table(lines)} (account_id, payment_number_id, ticket_number, vehicle_id, offence_at,
                                               amount_minor, amount_after_deadline_minor)
              select v.account_id, n.id, v.ticket_number, v.vehicle_id, v.offence_at, v.amount_minor, v.amount_minor
              from violations v join ${sql.table(numbers)} n on n.account_id = v.account_id and n.kind = 'consolidated'
              where v.account_id = ${account.id} and v.state = 'outstanding'`.execute(trx);
          });
        });
      for (const suffix of ['', '_fk']) {
        await sql`create table ${sql.table(`floor_numbers${suffix}`)} (like payment_numbers including all)`.execute(
          db,
        );
        await sql`create table ${sql.table(`floor_lines${suffix}`)}
                  (like payment_number_lines including defaults including indexes)`.execute(db);
      }
      await sql`alter table floor_lines_fk add foreign key (account_id, payment_number_id)
                references floor_numbers_fk (account_id, id)`.execute(db);
      const floor = await floorInto('floor_numbers', 'floor_lines');
      const keyedFloor = await floorInto('floor_numbers_fk', 'floor_lines_fk');
      record({
        name: 'floor.payments_insert_select',
        value: Math.round(floor.ms),
        unit: 'ms',
        floor: Math.round(floor.ms),
        kind: 'time',
      });
      record({
        name: 'floor.payments_insert_select_fk',
        value: Math.round(keyedFloor.ms),
        unit: 'ms',
        floor: Math.round(keyedFloor.ms),
        kind: 'time',
      });

      const appDb = createDatabase(appUrl, 4, 'fleet-bench-payments');
      try {
        const issuer = instantIssuer();
        const now = new Date();
        const issued = await time(async () => {
          const vehicles = await issuePaymentNumbers(appDb, issuer, {
            accountId: account.id,
            kind: 'vehicle',
            selection: { scope: 'account' },
            now,
          });
          const consolidated = await issuePaymentNumbers(appDb, issuer, {
            accountId: account.id,
            kind: 'consolidated',
            selection: { scope: 'account' },
            now,
          });
          return vehicles.issued + consolidated.issued;
        });
        if (issued.value !== VEHICLES + 1)
          throw new Error(`issued ${issued.value} numbers, expected ${VEHICLES + 1}`);
        record({
          name: 'payments.issue',
          value: Math.round(issued.ms),
          unit: 'ms',
          floor: Math.round(floor.ms),
          kind: 'time',
        });
        record({
          name: 'payments.issue_vs_fk_floor',
          value: Math.round(issued.ms),
          unit: 'ms',
          floor: Math.round(keyedFloor.ms),
          kind: 'time',
        });
      } finally {
        await appDb.destroy();
      }
    },
  },
];
