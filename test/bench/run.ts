/**
 * `npm run bench [-- name ...]`: runs benchmarks against a throwaway database and prints each
 * figure with its ratio to a floor measured in the same run; writes bench-results.json.
 */
import fs from 'node:fs';
import { createDatabase } from '../../server/db/database.ts';
import { alertBenches } from './alerts.bench.ts';
import { authorityBenches } from './authority.bench.ts';
import { fleetBenches } from './fleet.bench.ts';
import { floorBenches } from './floors.bench.ts';
import { type Bench, type BenchResult, benchDatabase, peakRssMb } from './harness.ts';
import { paymentBenches } from './payments.bench.ts';
import { platformBenches } from './platform.bench.ts';
import { platformStorageBenches } from './platform-storage.bench.ts';
import { runBenches } from './runs.bench.ts';
import { statementBenches } from './statements.bench.ts';
import { webBenches } from './web.bench.ts';

const benches: Bench[] = [
  ...floorBenches,
  ...fleetBenches,
  ...runBenches,
  ...authorityBenches,
  ...paymentBenches,
  ...webBenches,
  ...platformBenches,
  ...statementBenches,
  ...alertBenches,
  ...platformStorageBenches,
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !benches.some((b) => b.name === w || b.name.startsWith(`${w}.`)));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${benches.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length
  ? benches.filter((b) => wanted.some((w) => b.name === w || b.name.startsWith(`${w}.`)))
  : benches;
// Floors run first so every ratio has its denominator from this run.
const ordered = [
  ...selected.filter((b) => b.name.startsWith('floor.')),
  ...selected.filter((b) => !b.name.startsWith('floor.')),
];

const database = await benchDatabase();
const db = createDatabase(database.url, 4);
const results: BenchResult[] = [];
try {
  for (const bench of ordered) {
    console.log(`\n▶ ${bench.name}: ${bench.description}`);
    await bench.run({
      db,
      url: database.url,
      appUrl: database.appUrl,
      env: database.env,
      floor: (name) => {
        const found = results.find((r) => r.name === name);
        if (!found) throw new Error(`floor ${name} has not been measured in this run`);
        return found.value;
      },
      record: ({ kind, ...figure }) => {
        const ratio = kind === 'time' ? figure.value / figure.floor : figure.floor / figure.value;
        const result = {
          ...figure,
          ratio: Math.round(ratio * 100) / 100,
          peakRssMb: figure.peakRssMb ?? peakRssMb(),
        };
        results.push(result);
        console.log(
          `  ${result.name.padEnd(28)} ${result.value.toLocaleString('en').padStart(12)} ${result.unit.padEnd(7)} ` +
            `floor ${result.floor.toLocaleString('en')} → ${result.ratio}× the floor, peak RSS ${result.peakRssMb} MB`,
        );
      },
    });
  }
} finally {
  await db.destroy();
  await database.close();
}
fs.writeFileSync('bench-results.json', `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote bench-results.json (${results.length} figures)`);
