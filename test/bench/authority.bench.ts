import { type ChildProcess, spawn } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Bench } from './harness.ts';

const PLATES = 50_000;
const RATE = 50; // authority requests per second (the simulator refuses beyond it)
const PLATES_PER_REQUEST = 100;
const WORKER = fileURLToPath(new URL('./authority-worker.ts', import.meta.url));

export interface Child {
  process: ChildProcess;
  /** The next JSON line the child prints on stdout. */
  next(): Promise<Record<string, unknown>>;
  stderr(): string;
}

export function startChild(role: 'simulator' | 'client', env: Record<string, string>): Child {
  const child = spawn(process.execPath, [WORKER, role], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const queued: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  lines.on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else queued.push(line);
  });
  child.once('exit', () => {
    for (const waiter of waiting.splice(0)) waiter(null);
  });
  return {
    process: child,
    stderr: () => stderr,
    async next() {
      const line =
        queued.shift() ??
        (child.exitCode !== null ? null : await new Promise<string | null>((r) => waiting.push(r)));
      if (line === null) throw new Error(`authority ${role} child exited early:\n${stderr}`);
      return JSON.parse(line) as Record<string, unknown>;
    },
  };
}

export async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface SimulatorStatsJson {
  queries: number;
  byStatus: Record<string, number>;
  rateLimited: number;
  maxQueriesInWindow: number;
  maxInFlight: number;
}

interface ClientResult {
  plates: number;
  startedAt: number;
  finishedAt: number;
  counts: { ok: number; not_found: number; failed: number };
  errors: string[];
  loopDelay: { p99: number; max: number };
}

interface Measurement {
  wallMs: number;
  plates: number;
  counts: ClientResult['counts'];
  errors: string[];
  stats: SimulatorStatsJson;
  /** Worst event loop delays (ms): the simulator's, then each worker's. */
  loopDelayMax: number[];
}

/**
 * One batch of PLATES plates split across `workers` client processes sharing the PostgreSQL gate.
 * Wall time runs from the first worker starting to the last one finishing.
 */
async function measure(
  url: string,
  simulator: Child,
  authorityUrl: string,
  workers: number,
): Promise<Measurement> {
  const clients: Child[] = [];
  try {
    const share = Math.ceil(PLATES / workers);
    for (let w = 0; w < workers; w++) {
      clients.push(
        startChild('client', {
          BENCH_DB_URL: url,
          BENCH_AUTHORITY_URL: authorityUrl,
          BENCH_RATE: String(RATE),
          BENCH_BATCH_SIZE: String(PLATES_PER_REQUEST),
          BENCH_PLATE_FROM: String(w * share),
          BENCH_PLATE_TO: String(Math.min(PLATES, (w + 1) * share)),
        }),
      );
    }
    for (const client of clients) await client.next(); // ready
    // Let the gate's and the simulator's windows from an earlier measurement run out.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    simulator.process.stdin!.write('measure\n');
    await simulator.next();
    for (const client of clients) client.process.stdin!.write('go\n');
    const results = (await Promise.all(clients.map((c) => c.next()))) as unknown as ClientResult[];
    const stats = (await (await fetch(`${authorityUrl}/admin/stats`)).json()) as SimulatorStatsJson;
    simulator.process.stdin!.write('report\n');
    const report = (await simulator.next()) as { loopDelay: { max: number } };
    const wallMs =
      Math.max(...results.map((r) => r.finishedAt)) - Math.min(...results.map((r) => r.startedAt));
    const counts = { ok: 0, not_found: 0, failed: 0 };
    for (const r of results) {
      counts.ok += r.counts.ok;
      counts.not_found += r.counts.not_found;
      counts.failed += r.counts.failed;
    }
    return {
      wallMs,
      plates: results.reduce((sum, r) => sum + r.plates, 0),
      counts,
      errors: results.flatMap((r) => r.errors),
      stats,
      loopDelayMax: [report.loopDelay.max, ...results.map((r) => r.loopDelay.max)],
    };
  } finally {
    await Promise.all(clients.map(stopChild));
  }
}

/**
 * The authority client against the simulator on loopback, at the simulator's own rate limit, from
 * one worker process and from two sharing the PostgreSQL gate (issue 5's speed requirement): at
 * least 90% of the limit's bound (R × N plates/s) and never over it.
 */
export const authorityBenches: Bench[] = [
  {
    name: 'authority.batch',
    description: `${PLATES.toLocaleString('en')} plates, authority limit ${RATE} req/s × ${PLATES_PER_REQUEST} plates, one and two worker processes`,
    async run({ appUrl, record }) {
      const bound = RATE * PLATES_PER_REQUEST;
      const problems: string[] = [];
      // One simulator process for both measurements: warming its world takes longer than a batch.
      const simulator = startChild('simulator', { BENCH_RATE: String(RATE), BENCH_PLATES: String(PLATES) });
      try {
        const { url: authorityUrl } = (await simulator.next()) as { url: string };
        for (const [name, workers] of [
          ['authority.one_process', 1],
          ['authority.two_processes', 2],
        ] as const) {
          const m = await measure(appUrl, simulator, authorityUrl, workers);
          const rate = Math.round((m.plates / m.wallMs) * 1000);
          console.log(
            `  ${workers} process${workers > 1 ? 'es' : ''}: ${m.plates.toLocaleString('en')} plates in ${Math.round(m.wallMs)} ms ` +
              `(${((100 * rate) / bound).toFixed(1)}% of ${bound.toLocaleString('en')} plates/s); ok ${m.counts.ok}, ` +
              `not_found ${m.counts.not_found}, failed ${m.counts.failed}; simulator: ${m.stats.queries} queries, ` +
              `${m.stats.rateLimited} over the limit (must be 0), peak ${m.stats.maxQueriesInWindow} per 1000 ms (limit ${RATE}), ` +
              `peak ${m.stats.maxInFlight} in flight; worst event loop delay (ms) simulator ${m.loopDelayMax[0]}, ` +
              `workers ${m.loopDelayMax.slice(1).join(', ')}`,
          );
          if (m.counts.failed > 0) console.log(`  failed lookups, e.g.: ${m.errors.join(' | ')}`);
          record({ name, value: rate, unit: 'plates/s', floor: bound, kind: 'rate' });
          if (m.counts.failed > 0 || m.stats.rateLimited > 0 || m.counts.ok + m.counts.not_found !== PLATES) {
            problems.push(
              `${name}: ${m.counts.failed} failed lookups, ${m.stats.rateLimited} over-limit requests`,
            );
          }
        }
      } finally {
        await stopChild(simulator);
      }
      // Figures over the limit or with failed lookups do not count as a pass.
      if (problems.length > 0) throw new Error(problems.join('; '));
    },
  },
];
