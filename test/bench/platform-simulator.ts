/**
 * The authority simulator of the platform benchmark (platform.bench.ts), in a process of its own:
 *
 *   node test/bench/platform-simulator.ts
 *     env BENCH_RATE (queries per 1000 ms, refused beyond), BENCH_RANGES (JSON list of
 *     [jurisdiction, from, to]: the plates platformPlateKey(jurisdiction, i) for from ≤ i < to).
 *     Warms its world for every plate (its own generation cost is not what is measured), prints
 *     `{"url": ...}` and runs until SIGTERM; `report` on stdin prints its stats and peak RSS.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { startAuthoritySimulator, statsToJson } from '../../fixtures/authority/simulator.ts';
import type { JurisdictionCode } from '../../server/jurisdictions/profiles.ts';
import { platformPlateKey } from './platform-plates.ts';

/** About five visible violations per vehicle, as the runs benchmark's world. */
const WORLD = { startDate: '2026-06-01', dailyViolationRate: 0.021, notFoundRate: 0.02 };

const rate = Number(process.env.BENCH_RATE);
const ranges = JSON.parse(process.env.BENCH_RANGES ?? '[]') as Array<[JurisdictionCode, number, number]>;
const sim = await startAuthoritySimulator({
  seed: 'platform-bench',
  world: WORLD,
  faults: { rateLimit: { maxRequests: rate, windowMs: 1000 } },
});
for (const [jurisdiction, from, to] of ranges) {
  for (let i = from; i < to; i++) sim.world.answer(jurisdiction, platformPlateKey(jurisdiction, i));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sim.close().then(() => process.exit(0));
  });
}
readline.createInterface({ input: process.stdin }).on('line', (command) => {
  if (command === 'report') {
    const hwm = fs.readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/);
    console.log(
      JSON.stringify({
        stats: statsToJson(sim.stats),
        peakRssMb: hwm ? Math.round(Number(hwm[1]) / 1024) : null,
      }),
    );
  }
});
console.log(JSON.stringify({ url: sim.url }));
