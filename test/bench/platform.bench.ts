import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { mulberry32 } from '../../fixtures/authority/prng.ts';
import type { Database } from '../../server/db/database.ts';
import { type JurisdictionCode, jurisdictions } from '../../server/jurisdictions/profiles.ts';
import { type Bench, cpuSeconds, peakRssMb, rssMb, WORKER_NODE_FLAGS } from './harness.ts';
import { platformPlateKey } from './platform-plates.ts';

const ACCOUNTS = Number(process.env.BENCH_PLATFORM_ACCOUNTS ?? 2_000);
const VEHICLES = Number(
  process.env.BENCH_PLATFORM_VEHICLES ?? (process.argv.includes('--million') ? 1_000_000 : 200_000),
);
/** The authority's limit: the product's default AUTHORITY_RATE_LIMIT unless BENCH_PLATFORM_RATE says otherwise. */
const RATE = Number(process.env.BENCH_PLATFORM_RATE ?? 20);
const LEAD_SECONDS = Number(process.env.BENCH_PLATFORM_LEAD_SECONDS ?? 120);
const PLATES_PER_REQUEST = 100;
const JURISDICTIONS: JurisdictionCode[] = ['JO', 'IQ', 'EG'];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const METRICS_TOKEN = 'platform-bench-metrics-token';
/**
 * `split` (the production shape): the night's worker leaves statement rendering to a worker of its
 * own (WORKER_SKIP_QUEUES / WORKER_QUEUES) at a lower CPU priority, so the night's critical path
 * goes first on a shared host. A run ends when its payments stage does (`done`/`partial`), so the
 * payment numbers stay on the night's worker; statements render after the run ended. `one`: a
 * single worker runs every queue.
 */
const SHAPE = process.env.BENCH_PLATFORM_SHAPE ?? 'split';
/** The queues of the second worker (BENCH_PLATFORM_FOLLOW_ON, e.g. `payments.issue,payments.issue_gave_up,statements.render`). */
const FOLLOW_ON = process.env.BENCH_PLATFORM_FOLLOW_ON ?? 'statements.render';
/** The follow-on worker's niceness (os.setPriority): below the night's worker on the same cores. */
const FOLLOW_ON_NICE = 10;

/**
 * A realistic skew: most accounts have tens of vehicles, a few tens of thousands. Shares of the
 * accounts and of the vehicles per tier; each account's size varies ±50% around its tier's mean.
 */
const TIERS = [
  { name: 'small', accounts: 0.85, vehicles: 0.255 },
  { name: 'medium', accounts: 0.13, vehicles: 0.26 },
  { name: 'large', accounts: 0.0185, vehicles: 0.185 },
  { name: 'huge', accounts: 0.0015, vehicles: 0.3 },
];

export interface PlatformAccount {
  jurisdiction: JurisdictionCode;
  vehicles: number;
  /** Index of its first vehicle's plate (platformPlateKey). */
  firstPlate: number;
}

/** The platform's accounts, deterministic for a given size; jurisdictions take turns. */
export function platformAccounts(accounts: number, vehicles: number): PlatformAccount[] {
  const random = mulberry32(24);
  const counts = TIERS.map((t) => Math.max(1, Math.round(accounts * t.accounts)));
  counts[0] = accounts - counts.slice(1).reduce((s, n) => s + n, 0);
  const sizes: number[] = [];
  TIERS.forEach((tier, i) => {
    const mean = (vehicles * tier.vehicles) / counts[i]!;
    for (let n = 0; n < counts[i]!; n++) sizes.push(Math.max(5, Math.round(mean * (0.5 + random()))));
  });
  // Shuffled, so the big fleets are not all created (and scheduled) first or last.
  for (let i = sizes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sizes[i], sizes[j]] = [sizes[j]!, sizes[i]!];
  }
  let next = 0;
  return sizes.map((size, i) => {
    const account = { jurisdiction: JURISDICTIONS[i % 3]!, vehicles: size, firstPlate: next };
    next += size;
    return account;
  });
}

/** Accounts and fleets in a few set-based statements (no uploads): what the night starts from. */
async function loadPlatform(db: Database, accounts: PlatformAccount[], dueAt: Date): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (const jurisdiction of JURISDICTIONS) {
    const profile = jurisdictions[jurisdiction];
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: profile.timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(dueAt);
    const mine = accounts.map((a, i) => ({ ...a, i })).filter((a) => a.jurisdiction === jurisdiction);
    const { rows } = await sql<{ id: bigint; n: number }>`
      insert into accounts (kind, legal_name_ar, legal_name_en, registry_number, jurisdiction, currency,
                            time_zone, nightly_run_time)
      select 'company', 'شركة ' || n, 'Company ' || n, 'PLATFORM-' || n, ${jurisdiction},
             ${profile.currency}, ${profile.timeZone}, ${local}::time
      from unnest(${mine.map((a) => a.i)}::int[]) as n
      returning id, substr(registry_number, 10)::int as n`.execute(db);
    const idOf = new Map(rows.map((r) => [r.n, BigInt(r.id)]));
    await sql`
      insert into vehicles (account_id, plate_key, plate, plate_display, active_from)
      select f.account_id, k.key, jsonb_build_object('key', k.key), k.key, '2020-01-01'
      from unnest(${mine.map((a) => idOf.get(a.i)!.toString())}::bigint[],
                  ${mine.map((a) => a.firstPlate)}::int[], ${mine.map((a) => a.vehicles)}::int[])
             as f(account_id, first_plate, vehicles)
      cross join lateral generate_series(f.first_plate, f.first_plate + f.vehicles - 1) as g(i)
      cross join lateral (select ${jurisdiction} || ':' || (10 + g.i % 80) || '-' || (100000 + g.i) as key) k`.execute(
      db,
    );
    for (const a of mine) ids[a.i] = idOf.get(a.i)!;
  }
  // The generated keys are the simulator's (platformPlateKey); one sample proves it.
  const sample = accounts[0]!;
  const { rows } = await sql<{ plate_key: string }>`
    select plate_key from vehicles where account_id = ${ids[0]!} order by id limit 1`.execute(db);
  if (rows[0]?.plate_key !== platformPlateKey(sample.jurisdiction, sample.firstPlate))
    throw new Error(`plate keys disagree with the simulator's: ${rows[0]?.plate_key}`);
  await sql`analyze`.execute(db);
  return ids;
}

interface Child {
  process: ChildProcess;
  /** Its log's errors (pino level ≥ 50), message and error text, the last 20. */
  errors: string[];
  /** Resolves with the first JSON line for which `match` answers something. */
  waitFor<T>(match: (line: Record<string, unknown>) => T | undefined): Promise<T>;
}

function startChild(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const watchers: Array<(line: Record<string, unknown>) => boolean> = [];
  const errors: string[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof line.level === 'number' && line.level >= 50) {
      const err = line.err as { message?: string } | undefined;
      errors.push(`${line.msg}${err?.message ? `: ${err.message}` : ''}`);
      if (errors.length > 20) errors.shift();
    }
    for (let i = watchers.length - 1; i >= 0; i--) if (watchers[i]!(line)) watchers.splice(i, 1);
  });
  return {
    process: child,
    errors,
    waitFor(match) {
      return new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}):\n${stderr}`)));
        watchers.push((line) => {
          const found = match(line);
          if (found === undefined) return false;
          resolve(found);
          return true;
        });
      });
    },
  };
}

async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds of the bench's embedded PostgreSQL (its postmaster, under a fleet-bench- directory, and its backends). */
function benchPostgresCpu(): number {
  let total = 0;
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      parents.set(Number(entry), Number(stat[1]));
      commands.set(Number(entry), fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8'));
    } catch {}
  }
  const postmasters = [...commands].filter(([, c]) => c.includes('fleet-bench-') && c.includes('postgres'));
  for (const [pid] of parents) {
    const parent = parents.get(pid)!;
    if (postmasters.some(([p]) => p === pid || p === parent)) total += cpuSeconds(pid);
  }
  return total;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/**
 * A platform night: every account's nightly time falls due at the same local minute in its own
 * zone, and the night's worker (with the follow-on stages on a worker of their own, or all on one:
 * SHAPE) runs them against the simulator (its own process, refusing anything over its limit). The bound is the authority's limit alone: the night's requests (each
 * account's plates in requests of up to 100) at the limit's rate.
 */
export const platformBenches: Bench[] = [
  {
    name: 'platform.night',
    description: `${ACCOUNTS.toLocaleString('en')} accounts, ${VEHICLES.toLocaleString('en')} vehicles in JO, IQ and EG, due at the same local minute, authority limit ${RATE} req/s × ${PLATES_PER_REQUEST} plates`,
    async run({ db, env, record }) {
      const accounts = platformAccounts(ACCOUNTS, VEHICLES);
      const requests = accounts.reduce((s, a) => s + Math.ceil(a.vehicles / PLATES_PER_REQUEST), 0);
      const sizes = accounts.map((a) => a.vehicles).sort((x, y) => x - y);
      console.log(
        `  fleets: smallest ${sizes[0]}, median ${percentile(sizes, 50)}, p99 ${percentile(sizes, 99)}, largest ${sizes.at(-1)} vehicles; ${requests.toLocaleString('en')} requests`,
      );

      const ranges = JURISDICTIONS.flatMap((j) =>
        accounts.filter((a) => a.jurisdiction === j).map((a) => [j, a.firstPlate, a.firstPlate + a.vehicles]),
      );
      const simulator = startChild(['test/bench/platform-simulator.ts'], {
        BENCH_RATE: String(RATE),
        BENCH_RANGES: JSON.stringify(ranges),
      });
      const children: Child[] = [simulator];
      try {
        const [authorityUrl, loadMs] = await Promise.all([
          simulator.waitFor((l) => l.url as string | undefined),
          (async () => {
            const started = performance.now();
            // Due two minutes on (a whole minute; BENCH_PLATFORM_LEAD_SECONDS on a loaded machine),
            // leaving the load and the processes time to start and schedule.
            const dueAt = new Date(Math.ceil((Date.now() + LEAD_SECONDS * 1000) / 60_000) * 60_000);
            const ids = await loadPlatform(db, accounts, dueAt);
            return [performance.now() - started, dueAt, ids] as const;
          })(),
        ]);
        const [loadTook, dueAt, ids] = loadMs;
        console.log(
          `  accounts and fleets loaded in ${seconds(loadTook)} s (set-based); due at ${dueAt.toISOString()}`,
        );

        const productEnv = {
          ...env,
          AUTHORITY_URL: authorityUrl,
          AUTHORITY_RATE_LIMIT: String(RATE),
          AUTHORITY_BATCH_SIZE: String(PLATES_PER_REQUEST),
          METRICS_TOKEN,
          LOG_LEVEL: 'info',
          LOG_PRETTY: 'false',
          HOST: '127.0.0.1',
        };
        if (SHAPE !== 'split' && SHAPE !== 'one')
          throw new Error(`BENCH_PLATFORM_SHAPE: split or one, not ${SHAPE}`);
        const split = SHAPE === 'split';
        // Workers start as `npm run start:worker` starts them.
        const worker = startChild([...WORKER_NODE_FLAGS, 'server/main.ts', '--role=worker'], {
          ...productEnv,
          HEALTH_PORT: '0',
          ...(split ? { WORKER_SKIP_QUEUES: FOLLOW_ON } : {}),
        });
        children.push(worker);
        const followOn = split
          ? startChild([...WORKER_NODE_FLAGS, 'server/main.ts', '--role=worker'], {
              ...productEnv,
              HEALTH_PORT: '0',
              WORKER_QUEUES: FOLLOW_ON,
            })
          : undefined;
        if (followOn) {
          children.push(followOn);
          os.setPriority(followOn.process.pid!, FOLLOW_ON_NICE);
        }
        const web = startChild(['server/main.ts', '--role=web'], { ...productEnv, PORT: '0' });
        children.push(web);
        const listening = (l: Record<string, unknown>) =>
          typeof l.url === 'string' && /listening/.test(String(l.msg)) ? l.url : undefined;
        const [workerUrl, webUrl] = await Promise.all([
          worker.waitFor(listening),
          web.waitFor(listening),
          followOn?.waitFor(listening),
        ]);
        console.log(
          split
            ? `  shape: split — the night's worker, a worker of ${FOLLOW_ON} at nice ${FOLLOW_ON_NICE}, and a web process`
            : '  shape: one worker and a web process',
        );
        const load = () =>
          os
            .loadavg()
            .map((l) => l.toFixed(2))
            .join(', ');
        console.log(`  load average at the start: ${load()}`);
        if (Date.now() > dueAt.getTime() - 5_000)
          throw new Error('the processes started too late for the due minute; nothing measured');

        // Queue depth, runs ended and memory, sampled every second until every account's run ended.
        const samples: Array<{ t: number; queued: number; lookups: number; active: number; ended: number }> =
          [];
        const peak = { worker: 0, followOn: 0, web: 0 };
        // CPU seconds each process used from the due minute on (read at the first sample after it).
        const cpuOf = () => ({
          worker: cpuSeconds(worker.process.pid!),
          followOn: followOn ? cpuSeconds(followOn.process.pid!) : 0,
          web: cpuSeconds(web.process.pid!),
          simulator: cpuSeconds(simulator.process.pid!),
          database: benchPostgresCpu(),
        });
        let cpuAtDue: ReturnType<typeof cpuOf> | undefined;
        // Generous: on a busy shared machine a night has taken 20 times its bound.
        const deadline = dueAt.getTime() + (requests / RATE) * 20_000 + 1_200_000;
        for (;;) {
          const { rows } = await sql<{
            queued: number;
            lookups: number;
            active: number;
            starting: number;
            started: number;
            ended: number;
          }>`
            select (select count(*)::int from pgboss.job where state in ('created', 'retry')) as queued,
                   (select count(*)::int from pgboss.job
                    where name = 'lookup.batch' and state in ('created', 'retry')) as lookups,
                   (select count(*)::int from pgboss.job where state = 'active') as active,
                   (select count(*)::int from pgboss.job where state < 'completed'
                    and name in ('__pgboss__send-it', 'runs.nightly', 'run.start', 'lookup.batch', 'run.reconcile')) as starting,
                   (select count(*)::int from runs where kind = 'scheduled') as started,
                   (select count(*)::int from runs where kind = 'scheduled'
                      and status in ('done', 'partial', 'failed')) as ended`.execute(db);
          const now = rows[0]!;
          samples.push({ t: Date.now() - dueAt.getTime(), ...now });
          if (!cpuAtDue && Date.now() >= dueAt.getTime()) cpuAtDue = cpuOf();
          peak.worker = Math.max(peak.worker, rssMb(worker.process.pid!));
          peak.web = Math.max(peak.web, rssMb(web.process.pid!));
          if (followOn) peak.followOn = Math.max(peak.followOn, rssMb(followOn.process.pid!));
          if (now.ended >= accounts.length) break;
          // Nothing left to do, a minute and a half after the due minute (two of the scheduler's
          // passes), yet runs missing: those nights were lost, which is reported below.
          if (now.ended === now.started && now.starting === 0 && Date.now() > dueAt.getTime() + 90_000) break;
          if (Date.now() > deadline)
            throw new Error(`the night did not end: ${now.ended} of ${accounts.length} runs ended`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }

        const cpuAtEnd = cpuOf();
        const { rows: runs } = await sql<{
          account_id: string;
          status: string;
          created_at: Date;
          snapshotted_at: Date;
          fetched_at: Date | null;
          reconciled_at: Date | null;
          finished_at: Date;
        }>`select account_id, status, created_at, snapshotted_at, fetched_at, reconciled_at, finished_at
           from runs where kind = 'scheduled'`.execute(db);
        const statuses = Object.groupBy(runs, (r) => r.status);
        const byAccount = new Map(runs.map((r) => [r.account_id.toString(), r]));
        const firstCreated = Math.min(...runs.map((r) => r.created_at.getTime()));
        const lastFinished = Math.max(...runs.map((r) => r.finished_at.getTime()));
        const nightMs = lastFinished - firstCreated;
        const boundMs = (requests / RATE) * 1000;
        const overhead = (100 * (nightMs - boundMs)) / boundMs;
        console.log(
          `  runs: ${Object.entries(statuses)
            .map(([s, r]) => `${r!.length} ${s}`)
            .join(
              ', ',
            )}; the scheduler started the first ${seconds(firstCreated - dueAt.getTime())} s and the last ${seconds(Math.max(...runs.map((r) => r.created_at.getTime())) - dueAt.getTime())} s after the due minute`,
        );
        console.log(
          `  night (first run created → last run ended): ${seconds(nightMs)} s against the limit's bound of ${seconds(boundMs)} s (${requests.toLocaleString('en')} requests at ${RATE}/s); due minute → last run ended ${seconds(lastFinished - dueAt.getTime())} s`,
        );

        // Each account's wait: from the due minute to its run's end.
        const waits = accounts.flatMap((a, i) => {
          const run = byAccount.get(ids[i]!.toString());
          return run ? [{ vehicles: a.vehicles, waitMs: run.finished_at.getTime() - dueAt.getTime() }] : [];
        });
        const lost = accounts.length - runs.length;
        if (lost > 0)
          console.log(
            `  ${lost} accounts' nightly runs were never started; the workers' last errors: ${[...new Set([...worker.errors, ...(followOn?.errors ?? [])])].join(' | ')}`,
          );
        const smallest = waits.reduce((m, w) => (w.vehicles < m.vehicles ? w : m));
        const slowest = waits.reduce((m, w) => (w.waitMs > m.waitMs ? w : m));
        const small = waits
          .filter((w) => w.vehicles <= 100)
          .map((w) => w.waitMs)
          .sort((x, y) => x - y);
        const largest = waits.reduce((m, w) => (w.vehicles > m.vehicles ? w : m));
        console.log(
          `  waits (due minute → run ended): smallest account (${smallest.vehicles} vehicles) ${seconds(smallest.waitMs)} s; accounts of ≤100 vehicles median ${seconds(percentile(small, 50))} s, p95 ${seconds(percentile(small, 95))} s, max ${seconds(small.at(-1)!)} s; slowest account (${slowest.vehicles} vehicles) ${seconds(slowest.waitMs)} s; largest (${largest.vehicles}) ${seconds(largest.waitMs)} s`,
        );

        // Where the night's end comes from: the lookups' end, and the largest fleets' stages.
        const after = (at: Date | null) => (at ? `${seconds(at.getTime() - dueAt.getTime())} s` : '—');
        const lastFetched = runs.reduce<Date | null>(
          (m, r) => (r.fetched_at && (!m || r.fetched_at > m) ? r.fetched_at : m),
          null,
        );
        const largestRuns = accounts
          .map((a, i) => ({ vehicles: a.vehicles, run: byAccount.get(ids[i]!.toString()) }))
          .sort((x, y) => y.vehicles - x.vehicles)
          .slice(0, 3);
        console.log(
          `  stages (s after the due minute): last lookups done ${after(lastFetched)}; largest fleets (lookups done / reconciled / ended): ${largestRuns
            .map(({ vehicles, run }) =>
              run
                ? `${vehicles}: ${after(run.fetched_at)} / ${after(run.reconciled_at)} / ${after(run.finished_at)}`
                : `${vehicles}: no run`,
            )
            .join('; ')}`,
        );
        console.log(
          `  CPU seconds from the due minute to the night's end: ${Object.entries(cpuAtEnd)
            .filter(([name]) => name !== 'followOn' || followOn)
            .map(
              ([name, used]) =>
                `${name} ${Math.round((used - (cpuAtDue?.[name as keyof typeof cpuAtEnd] ?? 0)) * 10) / 10}`,
            )
            .join(', ')} (of ${os.cpus().length} cores × ${seconds(lastFinished - dueAt.getTime())} s)`,
        );

        const { rows: jobs } = await sql<{ name: string; jobs: number; run_ms: number; waited_ms: number }>`
          select name, count(*)::int as jobs,
                 round(avg(extract(epoch from completed_on - started_on)) * 1000)::int as run_ms,
                 round(max(extract(epoch from started_on - created_on)) * 1000)::int as waited_ms
          from pgboss.job where started_on is not null
          group by name order by name`.execute(db);
        console.log(
          `  jobs (count, mean run, longest wait to start): ${jobs.map((j) => `${j.name} ${j.jobs}, ${j.run_ms} ms, ${seconds(j.waited_ms)} s`).join('; ')}`,
        );
        // BENCH_PLATFORM_DUMP=<file>: every run's and follow-on job's times as JSON, to see what the night waited for.
        if (process.env.BENCH_PLATFORM_DUMP) {
          const { rows: jobRows } = await sql`
            select name, data->>'runId' as run_id, (data->>'batchNo')::int as batch_no, priority,
                   extract(epoch from created_on) * 1000 as created_ms,
                   extract(epoch from started_on) * 1000 as started_ms,
                   extract(epoch from completed_on) * 1000 as completed_ms, state
            from pgboss.job where name in ('lookup.batch', 'run.reconcile', 'payments.issue', 'statements.render')`.execute(
            db,
          );
          const { rows: runRows } = await sql`
            select id::text as run_id, account_id::text as account_id, lookups_total,
                   extract(epoch from created_at) * 1000 as created_ms,
                   extract(epoch from fetched_at) * 1000 as fetched_ms,
                   extract(epoch from reconciled_at) * 1000 as reconciled_ms,
                   extract(epoch from finished_at) * 1000 as finished_ms
            from runs where kind = 'scheduled'`.execute(db);
          fs.writeFileSync(
            process.env.BENCH_PLATFORM_DUMP,
            JSON.stringify({ dueMs: dueAt.getTime(), jobs: jobRows, runs: runRows }),
          );
        }
        const { rows: size } = await sql<{ mb: number }>`
          select round(pg_database_size(current_database()) / 1048576.0)::int as mb`.execute(db);
        simulator.process.stdin!.write('report\n');
        const report = await simulator.waitFor((l) =>
          l.stats ? (l as { stats: { rateLimited: number; queries: number }; peakRssMb: number }) : undefined,
        );
        console.log(
          `  simulator: ${report.stats.queries} queries, ${report.stats.rateLimited} refused over its limit (must be 0)`,
        );
        console.log(
          `  peak RSS: worker ${Math.max(peak.worker, peakRssMb(worker.process.pid!))} MB${followOn ? `, follow-on worker ${Math.max(peak.followOn, peakRssMb(followOn.process.pid!))} MB` : ''}, web ${Math.max(peak.web, peakRssMb(web.process.pid!))} MB, simulator ${report.peakRssMb} MB, bench ${peakRssMb()} MB; database ${size[0]!.mb} MB after the night`,
        );
        const step = Math.max(1, Math.floor(samples.length / 12));
        console.log(
          `  queue depth (s after due: jobs queued (lookup batches)/active, runs ended): ${samples
            .filter((_, i) => i % step === 0 || i === samples.length - 1)
            .map((s) => `${seconds(s.t)}: ${s.queued} (${s.lookups} lookups)/${s.active}, ${s.ended}`)
            .join('; ')}`,
        );
        console.log(`  load average at the end: ${load()}`);

        // The worker's and the web process's own numbers, as Prometheus scrapes them.
        for (const [name, url] of [
          ['worker', workerUrl],
          ['web', webUrl],
        ] as const) {
          const response = await fetch(`${url}/metrics`, {
            headers: { authorization: `Bearer ${METRICS_TOKEN}` },
          });
          const text = await response.text();
          const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
          const pick = (metric: string) =>
            text
              .split('\n')
              .filter((l) => l.startsWith(metric))
              .join('; ');
          console.log(`  ${name} /metrics: HTTP ${response.status}, ${series} series`);
          if (name === 'worker') {
            console.log(
              `    ${pick('fleet_authority_gate_wait_seconds_sum')} ${pick('fleet_authority_gate_wait_seconds_count')}; ${pick('fleet_authority_request_duration_seconds_sum')}; ${pick('fleet_authority_request_duration_seconds_count')}`,
            );
          }
        }
        if (report.stats.rateLimited > 0 || (statuses.failed?.length ?? 0) > 0 || lost > 0)
          throw new Error('the simulator refused requests over its limit, or runs failed or never started');

        record({
          name: 'platform.night',
          value: seconds(nightMs),
          unit: 's',
          floor: seconds(boundMs),
          kind: 'time',
        });
        record({
          name: 'platform.overhead',
          value: Math.round(overhead * 10) / 10,
          unit: '%',
          floor: 10,
          kind: 'time',
          peakRssMb: Math.max(peak.worker, peakRssMb(worker.process.pid!)),
        });
        record({
          name: 'platform.smallest_wait',
          value: seconds(smallest.waitMs),
          unit: 's',
          floor: seconds(boundMs),
          kind: 'time',
        });
      } finally {
        for (const child of children.reverse()) await stopChild(child);
      }
    },
  },
];
