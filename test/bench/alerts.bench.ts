import { sql } from 'kysely';
import { startSmsStub } from '../../fixtures/sms/stub.ts';
import { createBoss, createJobQueue, ensureQueues, installQueueSchema } from '../../jobs/boss.ts';
import { jobRegistry } from '../../jobs/registry.ts';
import type { AlertChannel, AlertChannels } from '../../server/alerts/channels/channel.ts';
import { createSmsChannel } from '../../server/alerts/channels/sms.ts';
import { drainOutbox } from '../../server/alerts/outbox.ts';
import { recordRunAlerts } from '../../server/alerts/run-events.service.ts';
import { createDatabase, type Database } from '../../server/db/database.ts';
import { APP_ROLE, loginUrl, QUEUE_ROLE } from '../../server/db/logins.ts';
import { enterTenant, type Tx } from '../../server/db/tenant.ts';
import type { Bench } from './harness.ts';
import { time } from './harness.ts';

const ACCOUNTS = Number(process.env.BENCH_ALERT_ACCOUNTS ?? 2_000);
const RUNS_PER_COMMIT = 50;
const retry = { maxAttempts: 8, baseSeconds: 30, maxSeconds: 3600 };

/** A channel that takes the rendered digest and keeps nothing: the outbox's own cost, without a network. */
const sink = (): AlertChannel & { count: number } => {
  const channel = {
    count: 0,
    async send() {
      channel.count++;
    },
  };
  return channel;
};

export const alertBenches: Bench[] = [
  {
    name: 'alerts.outbox',
    description: `a platform night of ${ACCOUNTS.toLocaleString('en')} accounts' digests: each run's events worked out and written to the outbox with its wake-up job, in transactions that stand for the runs' own, then drained (claimed, rendered, sent, recorded), against a floor of the same number of rows with the same JSON inserted and read back`,
    async run({ db, url, appUrl, env, record }) {
      // A night's finished runs, one per account, each with something new and one SMS recipient.
      await sql`
        insert into accounts (kind, legal_name_ar, legal_name_en, registry_number, jurisdiction, currency, time_zone)
        select 'company', 'شركة ' || i, 'Company ' || i, 'BENCH-ALERTS-' || i, 'JO', 'JOD', 'Asia/Amman'
        from generate_series(1, ${ACCOUNTS}::int) i`.execute(db);
      const accounts = (
        await sql<{ id: bigint }>`
          select id from accounts where registry_number like 'BENCH-ALERTS-%' order by id`.execute(db)
      ).rows.map((r) => r.id);
      await sql`
        insert into runs (account_id, kind, status, finished_at, summary)
        select id, 'manual', 'done', now(),
               jsonb_build_object('changes', jsonb_build_array(jsonb_build_object('change', 'new', 'violations', 3,
                                  'amountMinor', (45000 + id)::text, 'held', 0)),
                                  'outstanding', jsonb_build_object('violations', 3, 'amountMinor', (45000 + id)::text),
                                  'failedVehicles', '[]'::jsonb, 'heldSettlements', 0)
        from accounts where registry_number like 'BENCH-ALERTS-%'`.execute(db);
      await sql`
        insert into alert_recipients (account_id, channel, address, language)
        select id, 'sms', '+9627' || lpad(id::text, 8, '0'), case when id % 2 = 0 then 'ar' else 'en' end
        from accounts where registry_number like 'BENCH-ALERTS-%'`.execute(db);
      const runs = (
        await sql<{ account_id: bigint; id: bigint }>`
          select account_id, id from runs where account_id = any(${accounts}::bigint[])`.execute(db)
      ).rows;

      // Floor: the same number of rows, with the same JSON, inserted in one statement and read back.
      const sample = JSON.stringify({ example: 'x'.repeat(900) });
      await sql`create table floor_outbox (id bigint generated always as identity primary key, account_id bigint,
                                           destination text, events jsonb, status text)`.execute(db);
      const floor = await time(async () => {
        await sql`
          insert into floor_outbox (account_id, destination, events, status)
          select a, '+9627' || a, ${sample}::jsonb, 'pending' from unnest(${accounts}::bigint[]) a`.execute(
          db,
        );
        return (await sql`select * from floor_outbox`.execute(db)).rows.length;
      });
      if (floor.value !== ACCOUNTS) throw new Error(`the floor read ${floor.value} rows`);
      const floorMs = Math.round(floor.ms);
      record({ name: 'floor.alerts_rows', value: floorMs, unit: 'ms', floor: floorMs, kind: 'time' });

      const queueUrl = loginUrl(url, QUEUE_ROLE, env.QUEUE_DATABASE_PASSWORD);
      await installQueueSchema(queueUrl);
      const boss = createBoss({ connectionString: queueUrl, worker: false });
      await boss.start();
      await ensureQueues(boss, jobRegistry);
      const queue = createJobQueue(boss);
      const appDb = createDatabase(appUrl, 4, 'fleet-bench-alerts');
      try {
        // A second floor, the write's own shape done the simplest way: one row inserted per run,
        // in the same transactions of RUNS_PER_COMMIT on the same 4 connections, each entering its
        // run's tenant. The bulk floor above cannot be met by a write that rides in each run's own
        // transaction; both are printed.
        await sql`grant select, insert on floor_outbox to ${sql.id(APP_ROLE)}`.execute(db);
        const perRunFloor = await time(() =>
          inRunTransactions(appDb, runs, async (trx, run) => {
            await sql`insert into floor_outbox (account_id, destination, events, status)
                      values (${run.account_id}, ${`+9627${run.account_id}`}, ${sample}::jsonb, 'pending')`.execute(
              trx,
            );
            return 1;
          }),
        );
        if (perRunFloor.value !== ACCOUNTS)
          throw new Error(`the per-run floor wrote ${perRunFloor.value} rows`);
        const perRunFloorMs = Math.round(perRunFloor.ms);
        record({
          name: 'floor.alerts_rows_per_run',
          value: perRunFloorMs,
          unit: 'ms',
          floor: perRunFloorMs,
          kind: 'time',
        });

        // Each run writes its events inside the run's own transaction, whose commit the run pays for
        // anyway: here runs share transactions of RUNS_PER_COMMIT, each entering its run's tenant.
        const write = await time(() =>
          inRunTransactions(appDb, runs, (trx, run) => recordRunAlerts(trx, queue, run.account_id, run.id)),
        );
        if (write.value !== ACCOUNTS) throw new Error(`wrote ${write.value} digests`);
        const channel = sink();
        const channels: AlertChannels = { email: channel, sms: channel, webhook: channel };
        const drain = await time(() =>
          drainOutbox(appDb, channels, {
            now: new Date(),
            retry,
            baseUrl: 'http://127.0.0.1:3000',
            maxBatches: 1000,
          }),
        );
        if (drain.value.sent !== ACCOUNTS || channel.count !== ACCOUNTS)
          throw new Error(`drained ${drain.value.sent} digests`);
        record({
          name: 'alerts.outbox_write',
          value: Math.round(write.ms),
          unit: 'ms',
          floor: floorMs,
          kind: 'time',
        });
        record({
          name: 'alerts.outbox_write_per_run',
          value: Math.round(write.ms),
          unit: 'ms',
          floor: perRunFloorMs,
          kind: 'time',
        });
        record({
          name: 'alerts.outbox_drain',
          value: Math.round(drain.ms),
          unit: 'ms',
          floor: floorMs,
          kind: 'time',
        });
        record({
          name: 'alerts.outbox',
          value: Math.round(write.ms + drain.ms),
          unit: 'ms',
          floor: floorMs,
          kind: 'time',
        });

        // The same digests again, over real HTTP to the SMS provider stub.
        await sql`update alert_digests set status = 'pending', attempts = 0, next_attempt_at = now()`.execute(
          db,
        );
        const stub = await startSmsStub();
        try {
          const sms = createSmsChannel({ url: stub.url, timeoutMs: 10_000, maxSegments: 3 });
          const overHttp = await time(() =>
            drainOutbox(
              appDb,
              { email: sms, sms, webhook: sms },
              {
                now: new Date(),
                retry,
                baseUrl: 'http://127.0.0.1:3000',
                maxBatches: 1000,
              },
            ),
          );
          if (overHttp.value.sent !== ACCOUNTS || stub.received().length !== ACCOUNTS)
            throw new Error(`sent ${overHttp.value.sent} SMS over HTTP`);
          record({
            name: 'alerts.outbox_drain_http',
            value: Math.round(overHttp.ms),
            unit: 'ms',
            floor: floorMs,
            kind: 'time',
          });
        } finally {
          await stub.close();
        }
      } finally {
        await appDb.destroy();
        await boss.stop({ graceful: false, close: true });
      }
    },
  },
];

/** Runs' work in transactions of RUNS_PER_COMMIT on 4 connections, each run entering its tenant; answers the sum. */
async function inRunTransactions<R extends { account_id: bigint }>(
  db: Database,
  runs: R[],
  work: (trx: Tx, run: R) => Promise<number>,
): Promise<number> {
  let next = 0;
  let total = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < runs.length) {
        const chunk = runs.slice(next, next + RUNS_PER_COMMIT);
        next += RUNS_PER_COMMIT;
        const written = await db.transaction().execute(async (trx) => {
          let count = 0;
          for (const run of chunk) {
            await enterTenant(trx, run.account_id);
            count += await work(trx, run);
          }
          return count;
        });
        total += written;
      }
    }),
  );
  return total;
}
