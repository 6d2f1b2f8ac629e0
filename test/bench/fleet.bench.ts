/**
 * Fleet uploads at size: a 50,000-row XLSX and a 100,000-row CSV (generated here, never
 * committed), each uploaded and applied over real HTTP against a web process of its own (started
 * as `node server/main.ts --role=web`, so its memory is measured alone), against floors measured
 * in the same run on the same file:
 * - the floor: streaming-read the file and COPY its rows, as the vehicles they become, into a
 *   table with the vehicles table's columns, keys and indexes — the least work that reads the
 *   file and stores its rows where they live;
 * - the bare floor, shown for comparison: the same read, COPYing the raw cell texts into an
 *   unlogged table without any index.
 * Meanwhile another client asks GET /healthz and GET /api/v1/account in a loop; the slowest
 * answer is reported. The web process's peak RSS is measured per import (its high-water mark is
 * reset first).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import Papa from 'papaparse';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { freePort } from '../../server/db/embedded.ts';
import { makeAccount } from '../support/factories.ts';
import { ApiClient } from '../support/http.ts';
import type { Bench, BenchContext } from './harness.ts';
import { peakRssMb, resetPeakRss, rssMb, time } from './harness.ts';

const XLSX_ROWS = Number(process.env.BENCH_FLEET_XLSX_ROWS ?? 50_000);
const CSV_ROWS = Number(process.env.BENCH_FLEET_CSV_ROWS ?? 100_000);
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

type FloorTarget = 'vehicles' | 'bare';

/** The cells of each data row of the file, streamed, 2,000 rows of COPY text at a time. */
async function* fileRows(
  kind: 'xlsx' | 'csv',
  bytes: Buffer,
  line: (cells: string[]) => string,
): AsyncGenerator<string> {
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
        batch.push(line((row.values as unknown[]).slice(1).map((value) => String(value ?? ''))));
        if (batch.length === 2000) yield flush();
      }
    }
  } else {
    const text = new TextDecoder('utf-8').decode(bytes);
    let header = true;
    const lines: string[] = [];
    Papa.parse<string[]>(text, {
      skipEmptyLines: true,
      step: (result) => {
        if (header) header = false;
        else lines.push(line(result.data));
      },
    });
    for (let i = 0; i < lines.length; i += 2000) yield lines.slice(i, i + 2000).join('');
  }
  if (batch.length > 0) yield flush();
}

/**
 * A floor: streaming-read the file and COPY its rows. Into `vehicles`-shaped storage, each row is
 * written as the vehicle it becomes (canonical key, plate fields, display), the one step of work
 * a floor cannot skip; into the bare table, as raw text.
 */
async function floor(url: string, kind: 'xlsx' | 'csv', bytes: Buffer, target: FloorTarget): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('drop table if exists bench_fleet_floor');
    if (target === 'vehicles') {
      await client.query('create table bench_fleet_floor (like vehicles including all)');
    } else {
      await client.query(
        'create unlogged table bench_fleet_floor (plate_code text, plate text, registration text, vin text, label text, cost_centre text, driver text)',
      );
    }
    const asVehicle = ([code = '', number = '', ...rest]: string[]) =>
      tsv([
        '1',
        `JO:${code}-${number}`,
        JSON.stringify({ scheme: 'jo', code, number }),
        `${code}-${number}`,
        ...rest,
        '{}',
      ]);
    const statement =
      target === 'vehicles'
        ? 'copy bench_fleet_floor (account_id, plate_key, plate, plate_display, registration_number, vin, label, cost_centre, driver, attributes) from stdin'
        : 'copy bench_fleet_floor from stdin';
    const { ms } = await time(() =>
      pipeline(
        Readable.from(fileRows(kind, bytes, target === 'vehicles' ? asVehicle : tsv)),
        client.query(copyFrom(statement)),
      ),
    );
    return ms;
  } finally {
    await client.query('drop table if exists bench_fleet_floor');
    await client.end();
  }
}

interface WebProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** The web process as it runs in production: `node server/main.ts --role=web` on the bench database. */
async function startWeb(settings: BenchContext['env']): Promise<WebProcess> {
  const port = await freePort();
  const main = path.resolve(import.meta.dirname, '../../server/main.ts');
  const child = spawn(process.execPath, [main, '--role=web'], {
    env: {
      ...process.env,
      ...settings,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the web process exited with ${child.exitCode}`);
    if ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200) break;
    if (Date.now() > deadline) throw new Error('the web process was not ready within a minute');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
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
  web: WebProcess,
  name: string,
  kind: 'xlsx' | 'csv',
  bytes: Buffer,
  rows: number,
): Promise<void> {
  const baseUrl = web.url;
  const floorMs = await floor(ctx.url, kind, bytes, 'vehicles');
  const bareFloorMs = await floor(ctx.url, kind, bytes, 'bare');
  const account = await makeAccount(ctx.db, 'JO');
  const client = new ApiClient(baseUrl);
  await client.signIn(account.users.fleet_admin.email);
  client.accountId = account.id.toString();
  const prober = new ApiClient(baseUrl);
  await prober.signIn(account.users.viewer.email);
  prober.accountId = account.id.toString();

  const rssBeforeMb = rssMb(web.pid);
  resetPeakRss(web.pid);
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
  const peak = peakRssMb(web.pid);
  const { rows: counted } = await sql<{ n: number }>`
    select count(*)::int as n from vehicles where account_id = ${account.id} and active_until is null`.execute(
    ctx.db,
  );
  if (counted[0]!.n !== rows)
    throw new Error(`expected ${rows} vehicles, found ${counted[0]!.n} (upload ${value.id})`);

  console.log(
    `  ${name}: ${(bytes.length / 1024 / 1024).toFixed(1)} MB, floor (read + COPY as vehicles) ${Math.round(floorMs)} ms, ` +
      `bare floor (read + COPY raw text, no index) ${Math.round(bareFloorMs)} ms, upload + apply ${Math.round(ms)} ms, ` +
      `web process peak RSS during import ${peak} MB (${rssBeforeMb} MB before it); while importing: ` +
      `GET /healthz slowest ${Math.round(responsiveness.healthzMaxMs)} ms, GET /api/v1/account slowest ` +
      `${Math.round(responsiveness.apiMaxMs)} ms (${responsiveness.samples} samples)`,
  );
  const figure = { unit: 'ms', kind: 'time', peakRssMb: peak } as const;
  ctx.record({ ...figure, name, value: Math.round(ms), floor: Math.round(floorMs) });
  ctx.record({ ...figure, name: `${name}.vs-bare`, value: Math.round(ms), floor: Math.round(bareFloorMs) });
  ctx.record({
    ...figure,
    name: `${name}.healthz`,
    value: Math.round(responsiveness.healthzMaxMs),
    floor: 200,
  });
}

export const fleetBenches: Bench[] = [
  {
    name: 'fleet.upload',
    description: `upload + apply a ${XLSX_ROWS.toLocaleString('en')}-row XLSX and a ${CSV_ROWS.toLocaleString('en')}-row CSV over HTTP, against read + COPY of the same file as vehicles`,
    async run(ctx) {
      const xlsx = await makeXlsx(XLSX_ROWS);
      const csv = makeCsv(CSV_ROWS);
      const web = await startWeb(ctx.env);
      try {
        await importOnce(ctx, web, 'fleet.xlsx.50k', 'xlsx', xlsx, XLSX_ROWS);
        await importOnce(ctx, web, 'fleet.csv.100k', 'csv', csv, CSV_ROWS);
      } finally {
        await web.stop();
      }
    },
  },
];
