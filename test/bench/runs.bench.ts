import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { createJobQueue } from '../../jobs/boss.ts';
import { createAccount } from '../../server/accounts/accounts.service.ts';
import { loadConfig } from '../../server/config.ts';
import { createDatabase, type Database } from '../../server/db/database.ts';
import { asOperator, withTenant } from '../../server/db/tenant.ts';
import { createLogger } from '../../server/logger.ts';
import { startProduct } from '../../server/product.ts';
import { startRun } from '../../server/runs/runs.service.ts';
import { startChild, stopChild } from './authority.bench.ts';
import type { Bench } from './harness.ts';
import { time } from './harness.ts';

const VEHICLES = Number(process.env.BENCH_RUN_VEHICLES ?? 50_000);
const RATE = 60; // authority requests per second, across all workers
const PLATES_PER_REQUEST = 100;

/**
 * Nightly runs at fleet scale against the simulator on loopback: lookups at the authority's
 * limit, then the set-based reconciliation against a raw FULL OUTER JOIN diff of the same data.
 */
/**
 * The first night's floor: the rows its reconciliation wrote (every violation, its first version,
 * its `new` change line), read back as COPY text, then COPY'd into empty tables made LIKE the real
 * ones (same columns, keys and indexes; logged), in one transaction on a new connection, as the
 * reconciliation runs. The middle of three tries, each into fresh tables.
 */
async function firstNightCopyFloor(url: string, accountId: bigint, runId: bigint) {
  const sources = [
    ['violations', `select * from violations where account_id = ${accountId}`],
    ['violation_versions', `select * from violation_versions where account_id = ${accountId}`],
    ['run_changes', `select * from run_changes where account_id = ${accountId} and run_id = ${runId}`],
  ] as const;
  const reader = new pg.Client({ connectionString: url });
  await reader.connect();
  const texts: Buffer[] = [];
  try {
    for (const [, query] of sources) {
      const chunks: Buffer[] = [];
      const stream = reader.query(copyTo(`copy (${query}) to stdout`));
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      texts.push(Buffer.concat(chunks));
    }
  } finally {
    await reader.end();
  }
  const tries: number[] = [];
  for (let i = 0; i < 3; i++) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const [table] of sources) {
        await client.query(
          `create table bench_floor_${table} (like ${table} including defaults including constraints including indexes)`,
        );
      }
      await client.query('checkpoint');
      const tried = await time(async () => {
        await client.query('begin');
        for (const [index, [table]] of sources.entries()) {
          await pipeline(
            Readable.from([texts[index]!]),
            client.query(copyFrom(`copy bench_floor_${table} from stdin`)),
          );
        }
        await client.query('commit');
      });
      tries.push(Math.round(tried.ms));
    } finally {
      for (const [table] of sources) await client.query(`drop table if exists bench_floor_${table}`);
      await client.end();
    }
  }
  return { ms: [...tries].sort((x, y) => x - y)[1]!, tries };
}

export const runBenches: Bench[] = [
  {
    name: 'runs.night',
    description: `${VEHICLES.toLocaleString('en')} vehicles, two nights, authority limit ${RATE} req/s × ${PLATES_PER_REQUEST} plates`,
    async run({ db: ownerDb, url, env, record }) {
      // The authority in its own process, as a real one is, warmed for the fleet (its own cost of
      // generating history is not what we measure) and refusing anything over the limit.
      const simulator = startChild('simulator', { BENCH_RATE: String(RATE), BENCH_PLATES: String(VEHICLES) });
      const { url: authorityUrl } = (await simulator.next()) as { url: string };
      const config = loadConfig(
        {
          ...env,
          PORT: '0',
          AUTHORITY_URL: authorityUrl,
          AUTHORITY_RATE_LIMIT: String(RATE),
          AUTHORITY_MAX_IN_FLIGHT: '32',
          AUTHORITY_BATCH_SIZE: String(PLATES_PER_REQUEST),
          WORKER_CONCURRENCY: '16',
          DB_POOL_MAX: '20',
          // This benchmark's second night is meant to change about a tenth of the fines.
          SUSPECT_SETTLEMENT_SHARE_PERCENT: '90',
        },
        [],
      );
      const product = await startProduct(config, createLogger({ level: 'warn', pretty: false }));
      try {
        const queue = createJobQueue(product.boss);
        const { account } = await asOperator(product.db, (trx) =>
          createAccount(
            trx,
            {
              kind: 'company',
              legalNameAr: 'شركة القياس',
              legalNameEn: 'Bench Co.',
              registryNumber: `BENCH-${Date.now()}`,
              jurisdiction: 'JO',
              owner: { email: `owner.${Date.now()}@bench.test` },
            },
            null,
          ),
        );
        const accountId = BigInt(account.id);
        for (let i = 0; i < VEHICLES; i += 5000) {
          const keys = Array.from(
            { length: Math.min(5000, VEHICLES - i) },
            (_, j) => `JO:${10 + ((i + j) % 80)}-${100000 + i + j}`,
          );
          await sql`
            insert into vehicles (account_id, plate_key, plate, plate_display, active_from)
            select ${accountId}, k, jsonb_build_object('key', k), k, '2020-01-01'
            from unnest(${keys}::text[]) as k`.execute(ownerDb);
        }

        const night = async (label: string) => {
          // The product runs in this process: its CPU time from the run's start to its lookups' end
          // says what the batches cost the worker, which the stage's wall time (held near the
          // authority's limit) hides.
          const cpuAtStart = process.cpuUsage();
          let lookupCpuMs: number | undefined;
          const run = await withTenant(product.db, accountId, (trx) =>
            startRun(
              trx,
              queue,
              { accountId, kind: 'manual', localNight: null, requestedBy: null },
              config.runs,
            ),
          );
          for (;;) {
            const row = await withTenant(product.db, accountId, (trx) =>
              trx.selectFrom('runs').selectAll().where('id', '=', run!.id).executeTakeFirstOrThrow(),
            );
            if (lookupCpuMs === undefined && row.fetched_at) {
              const used = process.cpuUsage(cpuAtStart);
              lookupCpuMs = Math.round((used.user + used.system) / 1000);
            }
            if (row.status === 'done' || row.status === 'partial') {
              const summary = row.summary as {
                reconcileMs: number;
                changes: Array<{ change: string; violations: number }>;
              };
              // Stage by stage: the snapshot (and fan-out), the lookups, the reconciliation.
              const snapshotMs = row.snapshotted_at!.getTime() - row.created_at.getTime();
              const lookupMs = row.fetched_at!.getTime() - row.snapshotted_at!.getTime();
              const changes = Object.fromEntries(summary.changes.map((c) => [c.change, c.violations]));
              console.log(
                `  ${label}: ${row.status}, snapshot ${snapshotMs} ms, lookups ${lookupMs} ms (CPU of this process until then ${lookupCpuMs} ms), reconcile ${summary.reconcileMs} ms, changes ${JSON.stringify(changes)}`,
              );
              return { runId: run!.id, lookupMs, reconcileMs: summary.reconcileMs, changes };
            }
            if (row.status === 'failed') throw new Error(`${label} failed: ${row.error}`);
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        };

        // A product's nights are a day apart: night 1's last stages (its payment numbers' follow-ups,
        // its statements) are over before night 2 starts, so night 2's lookups are timed alone.
        const followOnsDone = async () => {
          const since = Date.now();
          for (;;) {
            const { rows } = await sql<{ pending: number }>`
              select count(*)::int as pending from pgboss.job
              where state in ('created', 'retry', 'active') and start_after <= now()`.execute(ownerDb);
            if (rows[0]!.pending === 0) return Date.now() - since;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        };
        const first = await night('night 1');
        console.log(
          `  night 1's follow-on stages (statements) ended ${await followOnsDone()} ms after its run`,
        );
        const copyFloor = await firstNightCopyFloor(url, accountId, first.runId);
        // Eight simulated days change about a tenth of the fines (new, escalated, settled, cancelled):
        // the benchmark's specified night. One real day changes about 2%.
        simulator.process.stdin!.write('advance 8\n');
        await simulator.next();
        const second = await night('night 2');
        simulator.process.stdin!.write('report\n');
        const { stats } = (await simulator.next()) as {
          stats: { rateLimited: number; maxQueriesInWindow: number };
        };
        console.log(
          `  simulator refused ${stats.rateLimited} requests over its limit over both nights (must be 0), peak ${stats.maxQueriesInWindow} per 1000 ms`,
        );
        // The lookup stage of a night like any other (night 2), and of the first, which runs on a
        // worker just started, right after the fleet's bulk load.
        const bound = RATE * PLATES_PER_REQUEST;
        const rate = (lookupMs: number) => Math.round((VEHICLES / lookupMs) * 1000);
        record({
          name: 'runs.lookup',
          value: rate(second.lookupMs),
          unit: 'plates/s',
          floor: bound,
          kind: 'rate',
        });
        record({
          name: 'runs.lookup_first_night',
          value: rate(first.lookupMs),
          unit: 'plates/s',
          floor: bound,
          kind: 'rate',
        });
        const total = Object.values(second.changes).reduce((s, n) => s + n, 0);
        const changed = total - (second.changes.unchanged ?? 0);
        console.log(
          `  night 2 changed ${((100 * changed) / Math.max(total, 1)).toFixed(1)}% of ${total.toLocaleString('en')} violations`,
        );

        // The floor: a raw FULL OUTER JOIN diff of the same two nights' answers, in the same database.
        // It writes its result, one row per violation, as any diff that is kept must. PostgreSQL plans
        // it on one core, also when parallel workers' costs are waived as they are for the
        // reconciliation's own diff.
        //
        // Like for like: each try runs on a connection of its own that has not read these tables yet,
        // as the reconciliation does (once a night, on a pooled connection that did not touch the
        // violations, and its parallel workers are new processes). A process pays a page fault the
        // first time it touches each page of the shared buffer cache; on a small VM that is most of
        // the difference between a first run of the statement on a connection and a second one on the
        // same connection, which is printed beside it. The floor is the middle of three first runs.
        const diffTwoNights = async (executor: Database) => {
          const tried = await time(() =>
            sql`
              create unlogged table bench_floor_diff as
              select coalesce(a.ticket_number, b.ticket_number) as ticket_number,
                     case when b.ticket_number is null then 'new' when a.ticket_number is null then 'gone'
                          when a.amount_minor > b.amount_minor then 'up' when a.amount_minor < b.amount_minor then 'down'
                          else 'same' end as change,
                     b.amount_minor as before_minor, a.amount_minor as after_minor
              from (select * from lookup_violations where account_id = ${accountId} and run_id = ${first.runId}) b
              full outer join (select * from lookup_violations where account_id = ${accountId} and run_id = ${second.runId}) a
                on a.ticket_number = b.ticket_number`.execute(executor),
          );
          await sql`drop table bench_floor_diff`.execute(executor);
          return Math.round(tried.ms);
        };
        const firstRuns: number[] = [];
        const secondRuns: number[] = [];
        for (let i = 0; i < 3; i++) {
          const connection = createDatabase(url, 1);
          try {
            firstRuns.push(await diffTwoNights(connection));
            secondRuns.push(await diffTwoNights(connection));
          } finally {
            await connection.destroy();
          }
        }
        const middle = (tries: number[]) => [...tries].sort((x, y) => x - y)[1]!;
        const floorMs = middle(firstRuns);
        console.log(
          `  raw diff, first run on a new connection: ${firstRuns.join(', ')} ms; run again on the same connection: ${secondRuns.join(', ')} ms`,
        );
        console.log(
          `  night 2's reconciliation is ${(second.reconcileMs / middle(secondRuns)).toFixed(2)}× the raw diff run again on the same connection`,
        );
        record({
          name: 'floor.reconcile_diff',
          value: floorMs,
          unit: 'ms',
          floor: floorMs,
          kind: 'time',
        });
        record({
          name: 'runs.reconcile',
          value: second.reconcileMs,
          unit: 'ms',
          floor: floorMs,
          kind: 'time',
        });
        // The first night writes every violation as new: its like-for-like floor is COPY of the
        // same rows into tables with the same keys and indexes (firstNightCopyFloor).
        console.log(
          `  first night's writes by COPY (violations, versions, change lines; new connection each): ${copyFloor.tries.join(', ')} ms; the first night's reconciliation is ${(first.reconcileMs / floorMs).toFixed(2)}× the raw diff`,
        );
        record({
          name: 'floor.first_night_copy',
          value: copyFloor.ms,
          unit: 'ms',
          floor: copyFloor.ms,
          kind: 'time',
        });
        record({
          name: 'runs.reconcile_first_night',
          value: first.reconcileMs,
          unit: 'ms',
          floor: copyFloor.ms,
          kind: 'time',
        });
      } finally {
        await product.stop();
        await stopChild(simulator);
      }
    },
  },
];
