/**
 * Fleet uploads at size: a 50,000-row XLSX and a 100,000-row CSV (generated here, never
 * committed), each uploaded and applied over real HTTP against a running web process, against a
 * floor measured in the same run on the same file: streaming-read it and COPY its rows.
 * Meanwhile another client asks GET /healthz and GET /api/v1/account in a loop; the slowest
 * answer is reported. Peak RSS is measured per import (the kernel's high-water mark is reset first).
 */
import fs from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import Papa from 'papaparse';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { startProduct } from '../../server/product.ts';
import { makeAccount } from '../support/factories.ts';
import { ApiClient } from '../support/http.ts';
import type { Bench, BenchContext } from './harness.ts';
import { peakRssMb, time } from './harness.ts';

const XLSX_ROWS = 50_000;
const CSV_ROWS = 100_000;
const HEADERS = ['Plate code', 'Plate', 'Registration No', 'VIN', 'Label', 'Cost Centre', 'Driver'];
const labels = ['تويوتا هايلكس', 'Toyota Hiace', 'ميتسوبيشي L200', 'Isuzu NPR', 'مرسيدس أكتروس'];
const drivers = ['أحمد العلي', 'Omar Haddad', 'يوسف إبراهيم', 'Mona Adel'];

function fleetRow(i: number): string[] {
  return [
    String(10 + (i % 80)),
    String(100_000 + i),
    `R${800_000 + i}`,
    `WDB${String(i).padStart(14, '0')}`,
    `${labels[i % labels.length]} ${2012 + (i % 14)}`,
    `CC-${100 + (i % 25)}`,
    drivers[i % drivers.length]!,
  ];
}

async function makeXlsx(rows: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => sink.on('end', resolve));
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useSharedStrings: true });
  const sheet = book.addWorksheet('Fleet');
  sheet.addRow(HEADERS).commit();
  for (let i = 0; i < rows; i++) sheet.addRow(fleetRow(i)).commit();
  sheet.commit();
  await book.commit();
  await done;
  return Buffer.concat(chunks);
}

function makeCsv(rows: number): Buffer {
  const lines = [HEADERS.join(',')];
  for (let i = 0; i < rows; i++) lines.push(fleetRow(i).join(','));
  return Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8');
}

const tsv = (cells: string[]) => `${cells.map((cell) => cell.replace(/[\\\t\n\r]/g, ' ')).join('\t')}\n`;

/** The floor: streaming-read the file and COPY its rows, as raw text, into a plain table. */
async function floor(url: string, kind: 'xlsx' | 'csv', bytes: Buffer): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      'create unlogged table if not exists bench_fleet_floor (plate_code text, plate text, registration text, vin text, label text, cost_centre text, driver text)',
    );
    await client.query('truncate bench_fleet_floor');
    const { ms } = await time(async () => {
      async function* lines(): AsyncGenerator<string> {
        let batch: string[] = [];
        const flush = () => {
          const out = batch.join('');
          batch = [];
          return out;
        };
        if (kind === 'xlsx') {
          const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([bytes]), {
            sharedStrings: 'cache',
            styles: 'cache',
            hyperlinks: 'ignore',
            worksheets: 'emit',
          });
          for await (const sheet of reader) {
            for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
              if (row.number === 1) continue;
              batch.push(tsv((row.values as unknown[]).slice(1).map((value) => String(value ?? ''))));
              if (batch.length === 2000) yield flush();
            }
          }
        } else {
          const text = new TextDecoder('utf-8').decode(bytes);
          const rows: string[] = [];
          Papa.parse<string[]>(text, {
            skipEmptyLines: true,
            step: (result) => {
              rows.push(tsv(result.data));
            },
          });
          for (let i = 1; i < rows.length; i += 2000) yield rows.slice(i, i + 2000).join('');
        }
        if (batch.length > 0) yield flush();
      }
      await pipeline(Readable.from(lines()), client.query(copyFrom('copy bench_fleet_floor from stdin')));
    });
    return ms;
  } finally {
    await client.query('drop table if exists bench_fleet_floor');
    await client.end();
  }
}

/** Resets the kernel's peak-RSS mark (Linux), so the next reading covers only what follows. */
function resetPeakRss(): void {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
  } catch {}
}

interface Probe {
  stop(): Promise<{ healthzMaxMs: number; apiMaxMs: number; samples: number }>;
}

/** Asks GET /healthz and GET /api/v1/account one after another until stopped; keeps the slowest. */
function probe(baseUrl: string, client: ApiClient): Probe {
  let running = true;
  let healthzMaxMs = 0;
  let apiMaxMs = 0;
  let samples = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await (await fetch(`${baseUrl}/healthz`)).text();
      healthzMaxMs = Math.max(healthzMaxMs, performance.now() - started);
      const apiStarted = performance.now();
      await client.get('/account');
      apiMaxMs = Math.max(apiMaxMs, performance.now() - apiStarted);
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { healthzMaxMs, apiMaxMs, samples };
    },
  };
}

async function importOnce(
  ctx: BenchContext,
  baseUrl: string,
  name: string,
  kind: 'xlsx' | 'csv',
  bytes: Buffer,
  rows: number,
): Promise<void> {
  const floorMs = await floor(ctx.url, kind, bytes);
  const account = await makeAccount(ctx.db, 'JO');
  const client = new ApiClient(baseUrl);
  await client.signIn(account.users.fleet_admin.email);
  client.accountId = account.id.toString();
  const prober = new ApiClient(baseUrl);
  await prober.signIn(account.users.viewer.email);
  prober.accountId = account.id.toString();

  resetPeakRss();
  const rssBeforeMb = Math.round(process.memoryUsage().rss / 1024 / 1024);
  const watch = probe(baseUrl, prober);
  let responsiveness: Awaited<ReturnType<Probe['stop']>>;
  let timed: Awaited<ReturnType<typeof time<{ id: string }>>>;
  try {
    timed = await time(async () => {
      const form = new FormData();
      form.append('mode', 'replace');
      form.append('file', new Blob([new Uint8Array(bytes)]), `fleet.${kind}`);
      const headers = {
        cookie: client.cookie!,
        'x-csrf-token': client.csrfToken!,
        'x-account-id': client.accountId!,
      };
      const uploaded = await fetch(`${baseUrl}/api/v1/uploads`, { method: 'POST', headers, body: form });
      const report = (await uploaded.json()) as { id: string; counts: { valid: number } };
      if (uploaded.status !== 201 || report.counts.valid !== rows) {
        throw new Error(`upload answered ${uploaded.status}: ${JSON.stringify(report).slice(0, 500)}`);
      }
      const applied = await client.post<{ diff: { added: number } }>(`/uploads/${report.id}/apply`, {});
      if (applied.status !== 200 || applied.body.diff.added !== rows) {
        throw new Error(`apply answered ${applied.status}: ${JSON.stringify(applied.body).slice(0, 500)}`);
      }
      return report;
    });
  } finally {
    // Whatever happens, the probe stops before the web process does.
    responsiveness = await watch.stop();
  }
  const { ms, value } = timed;
  const peak = peakRssMb();
  const { rows: counted } = await sql<{ n: number }>`
    select count(*)::int as n from vehicles where account_id = ${account.id} and active_until is null`.execute(
    ctx.db,
  );
  if (counted[0]!.n !== rows)
    throw new Error(`expected ${rows} vehicles, found ${counted[0]!.n} (upload ${value.id})`);

  console.log(
    `  ${name}: ${(bytes.length / 1024 / 1024).toFixed(1)} MB, floor (read + COPY) ${Math.round(floorMs)} ms, ` +
      `upload + apply ${Math.round(ms)} ms, peak RSS during import ${peak} MB (${rssBeforeMb} MB before it); while importing: ` +
      `GET /healthz slowest ${Math.round(responsiveness.healthzMaxMs)} ms, GET /api/v1/account slowest ` +
      `${Math.round(responsiveness.apiMaxMs)} ms (${responsiveness.samples} samples)`,
  );
  ctx.record({ name, value: Math.round(ms), unit: 'ms', floor: Math.round(floorMs), kind: 'time' });
  ctx.record({
    name: `${name}.healthz`,
    value: Math.round(responsiveness.healthzMaxMs),
    unit: 'ms',
    floor: 200,
    kind: 'time',
  });
}

export const fleetBenches: Bench[] = [
  {
    name: 'fleet.upload',
    description: `upload + apply a ${XLSX_ROWS.toLocaleString('en')}-row XLSX and a ${CSV_ROWS.toLocaleString('en')}-row CSV over HTTP, against read + COPY of the same file`,
    async run(ctx) {
      const xlsx = await makeXlsx(XLSX_ROWS);
      const csv = makeCsv(CSV_ROWS);
      const config = loadConfig({ DATABASE_URL: ctx.url, PORT: '0', LOG_LEVEL: 'silent' }, ['--role=web']);
      const product = await startProduct(config, createLogger({ level: 'silent', pretty: false }));
      try {
        await importOnce(ctx, product.url!, 'fleet.xlsx.50k', 'xlsx', xlsx, XLSX_ROWS);
        await importOnce(ctx, product.url!, 'fleet.csv.100k', 'csv', csv, CSV_ROWS);
      } finally {
        await product.stop();
      }
    },
  },
];
