/**
 * Child processes of the authority benchmark (authority.bench.ts), so the simulator and each
 * worker have their own event loop:
 *
 *   node test/bench/authority-worker.ts simulator
 *     env BENCH_RATE, BENCH_PLATES. Starts the simulator with its own rate limit of BENCH_RATE
 *     queries per 1000 ms, warms its world for every plate (the simulator's generation cost is not
 *     what we measure), prints `{"url": ...}` and runs until SIGTERM. On stdin, `measure` zeroes
 *     its stats (keeping the warmed world), `advance N` moves its clock N days on (and warms the
 *     world again) and `report` prints its stats and event loop delays.
 *
 *   node test/bench/authority-worker.ts client
 *     env BENCH_DB_URL (the application's login), BENCH_AUTHORITY_URL, BENCH_RATE, BENCH_BATCH_SIZE, BENCH_PLATE_FROM,
 *     BENCH_PLATE_TO. Builds the gateway client as a worker does (authority directory: the shared
 *     PostgreSQL gate, as the application role), prints `{"ready": true}`, waits for a line on
 *     stdin, queries its plates and prints one JSON line with its counts and start/end times.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import readline from 'node:readline';
import { startAuthoritySimulator, statsToJson } from '../../fixtures/authority/simulator.ts';
import { createAuthorityDirectory } from '../../server/authority/directory.ts';
import { asynchronousCommitUrl, createDatabase } from '../../server/db/database.ts';

function benchPlateKey(i: number): string {
  return `JO:${10 + (i % 80)}-${100000 + i}`;
}

/**
 * The simulated world of the benchmark: about five visible violations per vehicle (250,000 for a
 * 50,000-vehicle fleet, as the runs benchmark is specified).
 */
const BENCH_WORLD = { startDate: '2026-06-01', dailyViolationRate: 0.021, notFoundRate: 0.02 };

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes on one machine. */
function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

async function simulator(): Promise<void> {
  const rate = Number(env('BENCH_RATE'));
  const plates = Number(env('BENCH_PLATES'));
  const sim = await startAuthoritySimulator({
    seed: 'bench',
    world: BENCH_WORLD,
    faults: { rateLimit: { maxRequests: rate, windowMs: 1000 } },
  });
  for (let i = 0; i < plates; i++) sim.world.answer('JO', benchPlateKey(i));
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void sim.close().then(() => process.exit(0));
    });
  }
  // Commands on stdin, one JSON answer each: `measure` starts a measurement (stats and the loop
  // delay back to zero; the world, its cache and the faults are kept, unlike POST /admin/reset),
  // `report` answers the stats and the event loop's delays since.
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (command) => {
    if (command === 'measure') {
      Object.assign(sim.stats, {
        queries: 0,
        byStatus: {},
        rateLimited: 0,
        maxQueriesInWindow: 0,
        maxInFlight: 0,
        platesAnswered: { ok: 0, not_found: 0, error: 0 },
        okEmptyPlates: new Set(),
      });
      loopDelay.reset();
      console.log(JSON.stringify({ measuring: true }));
    } else if (command.startsWith('advance ')) {
      // The next simulated night, warmed like the first.
      sim.world.advanceDays(Number(command.slice('advance '.length)));
      for (let i = 0; i < plates; i++) sim.world.answer('JO', benchPlateKey(i));
      console.log(JSON.stringify({ today: sim.world.today() }));
    } else if (command === 'report') {
      console.log(JSON.stringify({ stats: statsToJson(sim.stats), loopDelay: delays(loopDelay) }));
    }
  });
  console.log(JSON.stringify({ url: sim.url }));
}

/** Event loop delays in ms: a blocked loop stamps arrivals late and sends late. */
function delays(histogram: ReturnType<typeof monitorEventLoopDelay>) {
  return {
    p99: Math.round(histogram.percentile(99) / 1e6),
    max: Math.round(histogram.max / 1e6),
  };
}

async function client(): Promise<void> {
  const from = Number(env('BENCH_PLATE_FROM'));
  const to = Number(env('BENCH_PLATE_TO'));
  const plateKeys = Array.from({ length: to - from }, (_, i) => benchPlateKey(from + i));
  // The gate's pool as a worker has it (see server/product.ts).
  const db = createDatabase(asynchronousCommitUrl(env('BENCH_DB_URL')), 4, 'fleet-bench-authority');
  try {
    const directory = await createAuthorityDirectory(
      db,
      {
        url: env('BENCH_AUTHORITY_URL'),
        apiKey: undefined,
        rateLimit: Number(env('BENCH_RATE')),
        maxInFlight: 8,
        timeoutMs: 15_000,
        maxAttempts: 4,
        simulatorSeed: 'bench',
      },
      env('BENCH_AUTHORITY_URL'),
      Number(env('BENCH_BATCH_SIZE')),
    );
    const provider = directory.forJurisdiction('JO');
    // Connections opened before the start line, so both workers start on an even footing.
    await Promise.all(
      Array.from({ length: 4 }, () => db.selectNoFrom((eb) => eb.val(1).as('one')).execute()),
    );
    console.log(JSON.stringify({ ready: true }));
    const lines = readline.createInterface({ input: process.stdin });
    await new Promise<void>((resolve) => lines.once('line', () => resolve()));
    lines.close();
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const startedAt = epochMs();
    const answers = await provider.queryPlates(plateKeys);
    const finishedAt = epochMs();
    const counts = { ok: 0, not_found: 0, failed: 0 };
    const errors: string[] = [];
    for (const lookup of answers.values()) {
      counts[lookup.status]++;
      if (lookup.status === 'failed' && errors.length < 3) errors.push(lookup.lastError);
    }
    console.log(
      JSON.stringify({
        plates: plateKeys.length,
        startedAt,
        finishedAt,
        counts,
        errors,
        loopDelay: delays(loopDelay),
      }),
    );
  } finally {
    await db.destroy();
  }
}

const role = process.argv[2];
if (role === 'simulator') await simulator();
else if (role === 'client') await client();
else {
  console.error('usage: node test/bench/authority-worker.ts simulator|client');
  process.exit(2);
}
