import { sql } from 'kysely';
import type { AuthorityIssuer } from '../../server/authority/issuance-client.ts';
import { createDatabase, type Database } from '../../server/db/database.ts';
import { issueAfterRun } from '../../server/payments/payment-stage.service.ts';
import { makeAccount } from '../support/factories.ts';
import { instantIssuer } from '../support/issuers.ts';
import type { Bench } from './harness.ts';
import { time } from './harness.ts';

const VEHICLES = Number(process.env.BENCH_PAYMENT_VEHICLES ?? 50_000);
const VIOLATIONS = VEHICLES * 5;
const SMALL_ACCOUNTS = Number(process.env.BENCH_PAYMENT_SMALL_ACCOUNTS ?? 100);
const SMALL_VEHICLES = Number(process.env.BENCH_PAYMENT_SMALL_VEHICLES ?? 30);

/** `vehicles` vehicles with five outstanding violations each, for every account in `accounts`. */
async function loadFleets(db: Database, accounts: bigint[], vehicles: number, tag: string) {
  await sql`
    insert into vehicles (account_id, plate_key, plate, plate_display, active_from)
    select a.id, 'JO:' || (10 + i % 80) || '-' || (200000 + i), '{}'::jsonb, ${tag} || i, '2020-01-01'
    from unnest(${accounts}::bigint[]) a(id), generate_series(1, ${vehicles}::int) i`.execute(db);
  await sql`
    insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                            description_en, location, amount_minor, currency, authority_status, version,
                            first_seen_run, last_changed_run)
    select a.id, ${tag} || lpad(i::text, 9, '0'), first.id + i % ${vehicles}::int, 'outstanding',
           now() - make_interval(days => i % 25), 'SPD', 'سرعة', 'Speeding', 'Amman', 20000 + (i * 7919) % 130000,
           'JOD', 'unpaid', 1, 1, 1
    from unnest(${accounts}::bigint[]) a(id)
    cross join lateral (select min(id) as id from vehicles where account_id = a.id) first,
    generate_series(1, ${vehicles * 5}::int) i`.execute(db);
  await sql`analyze vehicles, violations`.execute(db);
}

/**
 * What a night changes for the payments stage, on every tenth vehicle of each account by turns:
 * one of its fines escalated, one settled, or a new one. Answers how many vehicles changed.
 */
async function changeNight(db: Database, accounts: bigint[], tag: string): Promise<number> {
  await sql`
    with ranked as (
      select v.account_id, v.ticket_number, v.vehicle_id,
             dense_rank() over (partition by v.account_id order by v.vehicle_id) - 1 as k,
             row_number() over (partition by v.account_id, v.vehicle_id order by v.ticket_number) as nth
      from violations v where v.account_id = any(${accounts}::bigint[])
    )
    update violations v
    set amount_minor = case when r.k % 30 = 0 then v.amount_minor * 3 / 2 else v.amount_minor end,
        state = case when r.k % 30 = 10 then 'settled' else v.state end
    from ranked r
    where v.account_id = r.account_id and v.ticket_number = r.ticket_number and r.nth = 1 and r.k % 30 in (0, 10)`.execute(
    db,
  );
  await sql`
    insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                            description_en, location, amount_minor, currency, authority_status, version,
                            first_seen_run, last_changed_run)
    select ve.account_id, ${tag} || 'N' || ve.id, ve.id, 'outstanding', now() - interval '1 day', 'SPD', 'سرعة',
           'Speeding', 'Amman', 35000, 'JOD', 'unpaid', 1, 2, 2
    from (select account_id, id, dense_rank() over (partition by account_id order by id) - 1 as k
          from vehicles where account_id = any(${accounts}::bigint[])) ve
    where ve.k % 30 = 20`.execute(db);
  await sql`analyze violations`.execute(db);
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from (
      select dense_rank() over (partition by account_id order by id) - 1 as k
      from vehicles where account_id = any(${accounts}::bigint[])) ve
    where ve.k % 30 in (0, 10, 20)`.execute(db);
  return rows[0]!.n;
}

async function floorTables(db: Database, suffix: string) {
  await sql`create table ${sql.table(`floor_numbers${suffix}`)} (like payment_numbers including all)`.execute(
    db,
  );
  await sql`create table ${sql.table(`floor_lines${suffix}`)}
            (like payment_number_lines including defaults including indexes)`.execute(db);
}

/**
 * The floor: one account's numbers and lines (each vehicle's in `vehicles`, or all, and the
 * consolidated one) written the simplest fast way, four INSERT … SELECTs in one transaction, into
 * copies of the tables with the same keys.
 */
function floorInto(db: Database, accountId: bigint, numbers: string, lines: string, vehicles?: bigint[]) {
  const only = vehicles ? sql`and vehicle_id = any(${vehicles}::bigint[])` : sql``;
  const onlyV = vehicles ? sql`and v.vehicle_id = any(${vehicles}::bigint[])` : sql``;
  return db.transaction().execute(async (trx) => {
    await sql`
      insert into ${sql.table(numbers)} (account_id, number, kind, issuer, selection, vehicle_id, line_hash, line_count,
                                         total_minor, total_after_deadline_minor, currency, issued_at, expires_at)
      select ${accountId}, '2' || lpad(vehicle_id::text, 13, '0'), 'vehicle', 'authority', '{}'::jsonb, vehicle_id,
             md5(vehicle_id::text) || md5(vehicle_id::text), count(*), sum(amount_minor), sum(amount_minor), 'JOD',
             now(), now() + interval '30 days'
      from violations where account_id = ${accountId} and state = 'outstanding' ${only} group by vehicle_id`.execute(
      trx,
    );
    await sql`
      insert into ${sql.table(numbers)} (account_id, number, kind, issuer, selection, line_hash, line_count,
                                         total_minor, total_after_deadline_minor, currency, issued_at, expires_at)
      select ${accountId}, '3' || lpad(${accountId}::text, 15, '0'), 'consolidated', 'authority', '{}'::jsonb,
             md5(now()::text) || md5(${accountId}::text), count(*), sum(amount_minor), sum(amount_minor), 'JOD', now(),
             now() + interval '30 days'
      from violations where account_id = ${accountId} and state = 'outstanding'`.execute(trx);
    await sql`
      insert into ${sql.table(lines)} (account_id, payment_number_id, ticket_number, vehicle_id, offence_at,
                                       amount_minor, amount_after_deadline_minor)
      select v.account_id, n.id, v.ticket_number, v.vehicle_id, v.offence_at, v.amount_minor, v.amount_minor
      from violations v join ${sql.table(numbers)} n on n.account_id = v.account_id and n.vehicle_id = v.vehicle_id
      where v.account_id = ${accountId} and v.state = 'outstanding' ${onlyV}`.execute(trx);
    await sql`
      insert into ${sql.table(lines)} (account_id, payment_number_id, ticket_number, vehicle_id, offence_at,
                                       amount_minor, amount_after_deadline_minor)
      select v.account_id, n.id, v.ticket_number, v.vehicle_id, v.offence_at, v.amount_minor, v.amount_minor
      from violations v join ${sql.table(numbers)} n
        on n.account_id = v.account_id and n.kind = 'consolidated' and n.issued_at = now()
      where v.account_id = ${accountId} and v.state = 'outstanding'`.execute(trx);
  });
}

/** The vehicles `changeNight` changes, to give the second night's floor the same sets. */
async function changedVehicles(db: Database, accountId: bigint): Promise<bigint[]> {
  const { rows } = await sql<{ id: bigint }>`
    select id from (select id, dense_rank() over (order by id) - 1 as k from vehicles where account_id = ${accountId}) ve
    where ve.k % 30 in (0, 10, 20)`.execute(db);
  return rows.map((r) => r.id);
}

/**
 * The account's every per-vehicle number and its consolidated one, as the nightly stage asks for
 * them (issueAfterRun: its checks, then both kinds in one request answering counts). Answers how
 * many numbers were issued, and the time without the authority's call, which the goal excludes
 * (the stub answers at once, but composing 50,000 numbers with their check digits takes it a while).
 */
async function issueNight(
  db: Database,
  appDb: Database,
  issuer: AuthorityIssuer,
  accountId: bigint,
  now: Date,
) {
  const { rows } = await sql<{ id: bigint }>`
    insert into runs (account_id, kind, status, finished_at) values (${accountId}, 'manual', 'done', now())
    returning id`.execute(db);
  let authorityMs = 0;
  const timed: AuthorityIssuer = {
    async issue(jurisdiction, items) {
      const started = performance.now();
      try {
        return await issuer.issue(jurisdiction, items);
      } finally {
        authorityMs += performance.now() - started;
      }
    },
  };
  const night = await time(async () => {
    const summary = await issueAfterRun(appDb, timed, { accountId, runId: rows[0]!.id }, now);
    return summary.vehicleNumbers.issued + summary.consolidated.issued;
  });
  console.log(
    `  the authority's call (a stub answering at once): ${Math.round(authorityMs)} ms of the night's ${Math.round(night.ms)} ms, left out of the figure`,
  );
  return { value: night.value, ms: night.ms - authorityMs };
}

export const paymentIssueBenches: Bench[] = [
  {
    name: 'payments.issue',
    description: `the nightly stage's issuing (issueAfterRun: every per-vehicle number and the consolidated one) for ${VEHICLES.toLocaleString('en')} vehicles with ${VIOLATIONS.toLocaleString('en')} outstanding violations (authority call excluded), against an INSERT … SELECT of the same lines into tables with the same keys; then a second night (a tenth of the vehicles changed: escalated, settled, new) against the same INSERT … SELECT of that night's new numbers`,
    async run({ db, appUrl, record }) {
      const account = await makeAccount(db, 'JO');
      await loadFleets(db, [account.id], VEHICLES, 'T');

      // The lines' copy has no foreign key to the numbers (the product checks the tie once per
      // statement); the same floor with a row-by-row foreign key is measured too and both ratios printed.
      await floorTables(db, '');
      await floorTables(db, '_fk');
      await floorTables(db, '_night2');
      await sql`alter table floor_lines_fk add foreign key (account_id, payment_number_id)
                references floor_numbers_fk (account_id, id)`.execute(db);
      const floor = await time(() => floorInto(db, account.id, 'floor_numbers', 'floor_lines'));
      const keyedFloor = await time(() => floorInto(db, account.id, 'floor_numbers_fk', 'floor_lines_fk'));
      const figure = (name: string, ms: number, floorMs: number) =>
        record({ name, value: Math.round(ms), unit: 'ms', floor: Math.round(floorMs), kind: 'time' });
      figure('floor.payments_insert_select', floor.ms, floor.ms);
      figure('floor.payments_insert_select_fk', keyedFloor.ms, keyedFloor.ms);

      const appDb = createDatabase(appUrl, 4, 'fleet-bench-payments');
      try {
        const issuer = instantIssuer(() => new Date(Date.now() + 86_400_000));
        const first = await issueNight(db, appDb, issuer, account.id, new Date());
        if (first.value !== VEHICLES + 1)
          throw new Error(`issued ${first.value} numbers, expected ${VEHICLES + 1}`);
        figure('payments.issue', first.ms, floor.ms);
        figure('payments.issue_vs_fk_floor', first.ms, keyedFloor.ms);

        // The next night: earlier numbers are open, a tenth of the vehicles' sets changed.
        const changed = await changeNight(db, [account.id], 'T');
        const vehicles = await changedVehicles(db, account.id);
        const floor2 = await time(() =>
          floorInto(db, account.id, 'floor_numbers_night2', 'floor_lines_night2', vehicles),
        );
        figure('floor.payments_night2', floor2.ms, floor2.ms);
        const second = await issueNight(db, appDb, issuer, account.id, new Date());
        if (second.value !== changed + 1)
          throw new Error(`night 2 issued ${second.value}, expected ${changed + 1}`);
        figure('payments.issue_night2', second.ms, floor2.ms);
      } finally {
        await appDb.destroy();
      }
    },
  },
  {
    name: 'payments.issue_small',
    description: `the nightly payments stage (checks, every per-vehicle number and the consolidated one) of ${SMALL_ACCOUNTS} accounts of ${SMALL_VEHICLES} vehicles with five violations each, one after another, per job, against the same numbers and lines written by INSERT … SELECT per account; then their second night (a tenth of the vehicles changed)`,
    async run({ db, appUrl, record }) {
      const tag = 'S';
      const { rows } = await sql<{ id: bigint }>`
        insert into accounts (kind, legal_name_ar, legal_name_en, registry_number, jurisdiction, currency, time_zone)
        select 'company', 'شركة ' || i, 'Company ' || i, 'BENCH-PAY-SMALL-' || i, 'JO', 'JOD', 'Asia/Amman'
        from generate_series(1, ${SMALL_ACCOUNTS}::int) i
        returning id`.execute(db);
      const accounts = rows.map((r) => r.id);
      await loadFleets(db, accounts, SMALL_VEHICLES, tag);
      const runsOf = async () => {
        const { rows: runs } = await sql<{ account_id: bigint; id: bigint }>`
          insert into runs (account_id, kind, status, finished_at)
          select id, 'manual', 'done', now() from unnest(${accounts}::bigint[]) a(id)
          returning account_id, id`.execute(db);
        return runs;
      };
      await floorTables(db, '_small');
      await floorTables(db, '_small2');
      const perJob = (ms: number) => Math.round((ms / accounts.length) * 10) / 10;
      const figure = (name: string, ms: number, floorMs: number) =>
        record({ name, value: perJob(ms), unit: 'ms/job', floor: perJob(floorMs), kind: 'time' });

      const floor = await time(async () => {
        for (const id of accounts) await floorInto(db, id, 'floor_numbers_small', 'floor_lines_small');
      });
      figure('floor.payments_small', floor.ms, floor.ms);
      const appDb = createDatabase(appUrl, 4, 'fleet-bench-payments-small');
      try {
        const issuer = instantIssuer(() => new Date(Date.now() + 86_400_000));
        const night = async (expected: (accountId: bigint) => number) => {
          const runs = await runsOf();
          const now = new Date();
          return time(async () => {
            for (const run of runs) {
              const summary = await issueAfterRun(
                appDb,
                issuer,
                { accountId: run.account_id, runId: run.id },
                now,
              );
              const issued = summary.vehicleNumbers.issued + summary.consolidated.issued;
              if (issued !== expected(run.account_id))
                throw new Error(
                  `account ${run.account_id} issued ${issued}, expected ${expected(run.account_id)}`,
                );
            }
          });
        };
        const first = await night(() => SMALL_VEHICLES + 1);
        figure('payments.issue_small', first.ms, floor.ms);

        const changed = (await changeNight(db, accounts, tag)) / accounts.length;
        const changedOf = new Map<bigint, bigint[]>();
        for (const id of accounts) changedOf.set(id, await changedVehicles(db, id));
        const floor2 = await time(async () => {
          for (const id of accounts)
            await floorInto(db, id, 'floor_numbers_small2', 'floor_lines_small2', changedOf.get(id));
        });
        figure('floor.payments_small_night2', floor2.ms, floor2.ms);
        const second = await night(() => changed + 1);
        figure('payments.issue_small_night2', second.ms, floor2.ms);
      } finally {
        await appDb.destroy();
      }
    },
  },
];
