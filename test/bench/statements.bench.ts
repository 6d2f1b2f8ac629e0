/**
 * Run statements at fleet scale (`npm run bench -- statements`): a finished run of 50,000 vehicles
 * and 250,000 outstanding violations (BENCH_STATEMENT_VEHICLES shrinks it; five violations each),
 * with its change lines and payment numbers. The statements are rendered the way the product does
 * it — the `statements.render` job in a worker process — while a web process is kept busy and its
 * event loop watched. Floors, measured here in the same run: a raw exceljs streaming write of the
 * same rows and columns, and pdfkit drawing the same rows as plain text.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import PDFDocument from 'pdfkit';
import { createBoss, createJobQueue } from '../../jobs/boss.ts';
import { createDatabase, type Database } from '../../server/db/database.ts';
import { freePort } from '../../server/db/embedded.ts';
import { loginUrl, QUEUE_ROLE } from '../../server/db/logins.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { rowsPerPage } from '../../server/documents/pdf-pages.ts';
import { createLogger } from '../../server/logger.ts';
import { issuePaymentNumbers } from '../../server/payments/payment-numbers.service.ts';
import { startStatementsStage } from '../../server/statements/render-stage.ts';
import { renderRunStatements } from '../../server/statements/statements.service.ts';
import { makeAccount } from '../support/factories.ts';
import { instantIssuer } from '../support/issuers.ts';
import type { Bench, BenchContext } from './harness.ts';
import { peakRssMb, resetPeakRss, time, WORKER_NODE_FLAGS } from './harness.ts';

const VEHICLES = Number(process.env.BENCH_STATEMENT_VEHICLES ?? 50_000);
const VIOLATIONS = VEHICLES * 5;
/** The issue's budgets. */
const PEAK_RSS_BUDGET_MB = 500;
const LOOP_DELAY_BUDGET_MS = 100;
const ROOT = path.resolve(import.meta.dirname, '../..');

/** A finished run as reconciliation leaves it: versions, lookups, change lines; then its numbers. */
export async function seedRun(db: Database, appUrl: string, vehicles = VEHICLES) {
  const violations = vehicles * 5;
  const account = await makeAccount(db, 'JO');
  const accountId = account.id;
  await sql`
    insert into vehicles (account_id, plate_key, plate, plate_display, active_from, label, cost_centre)
    select ${accountId}, 'JO:' || (10 + i % 80) || '-' || (200000 + i), '{}'::jsonb,
           (10 + i % 80) || '-' || (200000 + i), '2020-01-01', 'شاحنة توزيع ' || i, 'CC-' || (i % 40)
    from generate_series(1, ${vehicles}::int) i`.execute(db);
  const { rows } = await sql<{ id: bigint }>`
    insert into runs (account_id, kind, status, lookups_total, lookups_done, created_at, fetched_at, reconciled_at,
                      finished_at, summary)
    values (${accountId}, 'manual', 'done', ${vehicles}, ${vehicles}, now() - interval '10 minutes',
            now() - interval '5 minutes', now() - interval '1 minute', now(), '{"changes": []}'::jsonb)
    returning id`.execute(db);
  const runId = rows[0]!.id;
  await sql`
    insert into lookups (account_id, run_id, vehicle_id, plate_key, vehicle_active_from, batch_no, status, attempts,
                         answered_at)
    select account_id, ${runId}, id, plate_key, active_from, 0, 'ok', 1, now()
    from vehicles where account_id = ${accountId}`.execute(db);
  await sql`
    insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                            description_en, location, amount_minor, currency, authority_status, version,
                            first_seen_run, last_changed_run)
    select ${accountId}, 'T' || lpad(i::text, 10, '0'), first.id + i % ${vehicles}::int, 'outstanding',
           now() - make_interval(days => i % 60, mins => i % 1440), 'SPD',
           'تجاوز السرعة المقررة', 'Speeding', 'عمّان - شارع المدينة المنورة', 20000 + (i * 7919) % 130000,
           'JOD', case when i % 17 = 0 then 'under_objection' else 'unpaid' end, 1, ${runId}, ${runId}
    from generate_series(1, ${violations}::int) i,
         (select min(id) as id from vehicles where account_id = ${accountId}) first`.execute(db);
  await sql`
    insert into violation_versions (account_id, ticket_number, version, run_id, vehicle_id, state, amount_minor,
                                    authority_status, change)
    select account_id, ticket_number, 1, ${runId}, vehicle_id, state, amount_minor, authority_status, 'new'
    from violations where account_id = ${accountId}`.execute(db);
  await sql`
    insert into run_changes (account_id, run_id, ticket_number, vehicle_id, change, amount_minor)
    select account_id, ${runId}, ticket_number, vehicle_id, 'new', amount_minor
    from violations where account_id = ${accountId}`.execute(db);
  await sql`analyze vehicles, violations, violation_versions, run_changes, lookups`.execute(db);
  const appDb = createDatabase(appUrl, 2, 'fleet-bench-statements');
  try {
    const issuer = instantIssuer(() => new Date(Date.now() + 30 * 86_400_000));
    for (const kind of ['vehicle', 'consolidated'] as const)
      await issuePaymentNumbers(appDb, issuer, {
        accountId,
        kind,
        selection: { scope: 'account' },
        now: new Date(),
        runId,
      });
  } finally {
    await appDb.destroy();
  }
  await sql`analyze payment_numbers, payment_number_lines`.execute(db);
  const counted = await sql<{ numbers: number }>`
    select count(*)::int as numbers from payment_numbers where account_id = ${accountId} and state = 'open'`.execute(
    db,
  );
  return { accountId, runId, numbers: counted.rows[0]!.numbers };
}

/** Table rows a statement of this run holds, per table. */
const tableRows = (numbers: number, vehicles = VEHICLES) => ({
  vehicles,
  violations: vehicles * 5,
  changes: vehicles * 5,
  numbers,
});

/** The floor: the same sheets, rows and column types written by exceljs's streaming writer, rows made in memory. */
async function rawXlsx(numbers: number, vehicles = VEHICLES): Promise<number> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise((resolve) => sink.on('end', resolve));
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: sink,
    useSharedStrings: false,
    useStyles: true,
  });
  const at = new Date();
  const sheet = (name: string, columns: number, count: number, row: (i: number) => unknown[]) => {
    const ws = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = Array.from({ length: columns }, (_, c) => ({ header: `c${c}`, key: `c${c}`, width: 14 }));
    ws.getRow(1).commit();
    for (let i = 0; i < count; i++) ws.addRow(row(i)).commit();
    ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: count + 1, column: columns } };
    ws.commit();
  };
  const rows = tableRows(numbers, vehicles);
  sheet('summary', 4, 25, (i) => [`item ${i}`, null, i, i * 1.5]);
  sheet('vehicles', 9, rows.vehicles, (i) => [
    `10-${200000 + i}`,
    `شاحنة توزيع ${i}`,
    `CC-${i % 40}`,
    'OK',
    5,
    512.5,
    1025,
    at,
    `2000000${i}`,
  ]);
  sheet('violations', 10, rows.violations, (i) => [
    `10-${200000 + (i % vehicles)}`,
    `T${i}`,
    at,
    'SPD',
    'Speeding',
    'عمّان - شارع المدينة المنورة',
    'Unpaid',
    102.5,
    null,
    `2000000${i % vehicles}`,
  ]);
  sheet('changes', 8, rows.changes, (i) => [
    `T${i}`,
    `10-${200000 + (i % vehicles)}`,
    'New',
    null,
    null,
    null,
    102.5,
    at,
  ]);
  sheet('numbers', 9, rows.numbers, (i) => [
    'Vehicle',
    `2000000${i}`,
    `10-${200000 + i}`,
    5,
    512.5,
    1025,
    at,
    at,
    'Traffic authority',
  ]);
  await workbook.commit();
  await finished;
  return Buffer.concat(chunks).length;
}

/** The floor: pdfkit drawing the same rows, one plain line of Helvetica each, with the same rows per page. */
async function rawPdf(numbers: number, vehicles = VEHICLES): Promise<{ pages: number; rows: number }> {
  const doc = new PDFDocument({ size: 'A4', margin: 36, autoFirstPage: false });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve) => doc.on('end', resolve));
  const rows = tableRows(numbers, vehicles);
  const perPage = rowsPerPage();
  let pages = 0;
  let total = 0;
  for (const [table, count] of Object.entries(rows)) {
    for (let i = 0; i < count; i += perPage) {
      doc.addPage();
      pages += 1;
      doc.font('Helvetica').fontSize(8.5);
      for (let r = i; r < Math.min(count, i + perPage); r++) {
        doc.text(
          `${table} 10-${200000 + (r % vehicles)}  T${r}  2026-12-05 10:00  Speeding  Unpaid  102.500`,
          36,
          60 + (r - i) * 14,
          { lineBreak: false },
        );
        total += 1;
      }
    }
  }
  doc.end();
  await ended;
  return { pages, rows: total };
}

interface Child {
  pid: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** `node server/main.ts --role=…` on the bench database, ready when its /readyz answers. */
async function startRole(
  ctx: BenchContext,
  role: 'web' | 'worker',
  extra: Record<string, string>,
  nodeOptions: string[] = [],
): Promise<Child & { url: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...nodeOptions, path.join(ROOT, 'server/main.ts'), `--role=${role}`],
    {
      env: {
        ...process.env,
        ...ctx.env,
        ...(role === 'web' ? { PORT: String(port) } : { HEALTH_PORT: String(port) }),
        DEMO: 'false',
        LOG_LEVEL: 'warn',
        LOG_PRETTY: 'false',
        ...extra,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the ${role} process exited with ${child.exitCode}`);
    if ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`the ${role} process was not ready within two minutes`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    pid: child.pid!,
    process: child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Small runs: their statements' fixed cost is what a night of many small fleets pays per run. */
const SMALL_RUNS = 8;
const SMALL_VEHICLES = 30;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export const statementBenches: Bench[] = [
  {
    name: 'statements.render_small',
    description: `the statements job of a ${SMALL_VEHICLES}-vehicle run (${SMALL_VEHICLES * 5} violations, as many change lines, a payment number per vehicle): its four documents rendered and stored, in this process after a first run has loaded what a worker keeps; the median of ${SMALL_RUNS - 1} runs, against exceljs and pdfkit writing the same rows raw (both languages)`,
    async run(ctx) {
      const runs = [];
      for (let i = 0; i < SMALL_RUNS; i++) runs.push(await seedRun(ctx.db, ctx.appUrl, SMALL_VEHICLES));
      const appDb = createDatabase(ctx.appUrl, 2, 'fleet-bench-statements-small');
      try {
        const times: number[] = [];
        for (const { accountId, runId } of runs) {
          const job = await time(() => renderRunStatements(appDb, { accountId, runId }, new Date()));
          if (job.value.rendered !== 4)
            throw new Error(`run ${runId}: ${job.value.rendered} statements rendered`);
          times.push(job.ms);
        }
        const floors: number[] = [];
        for (const { numbers } of runs) {
          const floor = await time(async () => {
            for (let language = 0; language < 2; language++) {
              await rawXlsx(numbers, SMALL_VEHICLES);
              await rawPdf(numbers, SMALL_VEHICLES);
            }
          });
          floors.push(floor.ms);
        }
        const [first, ...warm] = times;
        console.log(
          `  first run of the process ${Math.round(first!)} ms; then ${warm.map((ms) => Math.round(ms)).join(', ')} ms; raw floor ${floors.map((ms) => Math.round(ms)).join(', ')} ms`,
        );
        const floor = Math.round(median(floors.slice(1)));
        record('floor.statements_small', floor, 'ms', 'time');
        record('statements.render_small', Math.round(median(warm)), 'ms', 'time', floor);
      } finally {
        await appDb.destroy();
      }

      function record(name: string, value: number, unit: string, kind: 'time' | 'rate', floor = value) {
        ctx.record({ name, value, unit, floor, kind });
      }
    },
  },
  {
    name: 'statements.render',
    description: `a run statement of ${VEHICLES.toLocaleString('en')} vehicles and ${VIOLATIONS.toLocaleString('en')} violations (with as many change lines and a payment number per vehicle), XLSX and PDF in Arabic and English, rendered by the worker's job while a web process serves; against exceljs and pdfkit writing the same rows raw`,
    async run(ctx) {
      const seeded = await time(() => seedRun(ctx.db, ctx.appUrl));
      const { accountId, runId, numbers } = seeded.value;
      console.log(
        `  seeded in ${Math.round(seeded.ms)} ms: ${numbers.toLocaleString('en')} open payment numbers`,
      );
      const rows = tableRows(numbers);
      const totalRows = Object.values(rows).reduce((a, b) => a + b, 0);

      // Floors in this process: memory marks reset so each figure is its own.
      resetPeakRss();
      const xlsxFloor = await time(() => rawXlsx(numbers));
      record('floor.statements_xlsx', Math.round(xlsxFloor.ms), 'ms', 'time');
      resetPeakRss();
      const pdfFloor = await time(() => rawPdf(numbers));
      const floorRowsPerSecond = Math.round(pdfFloor.value.rows / (pdfFloor.ms / 1000));
      const floorPagesPerSecond = Math.round((pdfFloor.value.pages / (pdfFloor.ms / 1000)) * 10) / 10;
      record('floor.statements_pdf_rows', floorRowsPerSecond, 'rows/s', 'rate');
      record('floor.statements_pdf_pages', floorPagesPerSecond, 'pages/s', 'rate');

      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statements-bench-'));
      const loopFile = path.join(dir, 'loop-delay.json');
      const web = await startRole(ctx, 'web', { LOOP_DELAY_FILE: loopFile }, [
        '--import',
        path.join(ROOT, 'test/bench/loop-delay-probe.ts'),
      ]);
      // As in production, the worker has a gateway of its own rather than the simulator in process;
      // rendering never calls it.
      // Started as `npm run start:worker` starts it.
      const worker = await startRole(ctx, 'worker', { AUTHORITY_URL: 'http://127.0.0.1:9' }, [
        ...WORKER_NODE_FLAGS,
      ]);
      const boss = createBoss({
        connectionString: loginUrl(ctx.url, QUEUE_ROLE, ctx.env.QUEUE_DATABASE_PASSWORD),
        worker: false,
        log: createLogger({ level: 'silent', pretty: false }),
      });
      await boss.start();
      const appDb = createDatabase(ctx.appUrl, 2, 'fleet-bench-statements-send');
      try {
        // The web process keeps serving while the worker renders: its own health and readiness.
        let serving = true;
        let requests = 0;
        const traffic = (async () => {
          while (serving) {
            await (await fetch(`${web.url}/healthz`)).text();
            await (await fetch(`${web.url}/readyz`)).text();
            requests += 2;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        })();
        resetPeakRss(worker.pid);
        web.process.kill('SIGUSR2');
        const queue = createJobQueue(boss);
        const started = Date.now();
        await withTenant(appDb, accountId, (trx) =>
          startStatementsStage(trx, queue, { accountId, runId }, { status: 'issued', refused: 0 }),
        );
        const { rows: done, peaks } = await waitForStatements(ctx.db, accountId, runId, started, worker.pid);
        const workerPeak = Math.max(...peaks);
        await new Promise((resolve) => setTimeout(resolve, 400));
        const loop = JSON.parse(fs.readFileSync(loopFile, 'utf8')) as {
          p99Ms: number;
          maxMs: number;
          samples: number;
        };
        serving = false;
        await traffic;

        for (const [i, d] of done.entries()) {
          if (d.format === 'pdf') d.pages = await pdfPages(ctx.db, accountId, d.sha256, dir);
          console.log(
            `  ${d.language} ${d.format}: ${Math.round(d.ms).toLocaleString('en')} ms, ${(Number(d.byte_size) / 1e6).toFixed(1)} MB${d.format === 'pdf' ? `, ${d.pages.toLocaleString('en')} pages` : ''}; worker peak RSS ${peaks[i] ?? '?'} MB`,
          );
        }
        for (const d of done.filter((x) => x.format === 'xlsx'))
          record(`statements.xlsx_${d.language}`, Math.round(d.ms), 'ms', 'time', Math.round(xlsxFloor.ms));
        for (const d of done.filter((x) => x.format === 'pdf')) {
          record(
            `statements.pdf_${d.language}_rows`,
            Math.round(totalRows / (d.ms / 1000)),
            'rows/s',
            'rate',
            floorRowsPerSecond,
          );
          record(
            `statements.pdf_${d.language}_pages`,
            Math.round((d.pages / (d.ms / 1000)) * 10) / 10,
            'pages/s',
            'rate',
            floorPagesPerSecond,
          );
        }
        ctx.record({
          name: 'statements.worker_peak_rss',
          value: workerPeak,
          unit: 'MB',
          floor: PEAK_RSS_BUDGET_MB,
          kind: 'time',
          peakRssMb: workerPeak,
        });
        ctx.record({
          name: 'statements.web_loop_p99',
          value: Math.round(loop.p99Ms * 10) / 10,
          unit: 'ms',
          floor: LOOP_DELAY_BUDGET_MS,
          kind: 'time',
          peakRssMb: peakRssMb(web.pid),
        });
        console.log(
          `  web process while rendering: event-loop delay p99 ${loop.p99Ms.toFixed(1)} ms, max ${loop.maxMs.toFixed(1)} ms, ${requests} requests served`,
        );
        if (workerPeak >= PEAK_RSS_BUDGET_MB)
          console.log(`  ✗ worker peak RSS ${workerPeak} MB ≥ ${PEAK_RSS_BUDGET_MB} MB`);
        if (loop.p99Ms >= LOOP_DELAY_BUDGET_MS)
          console.log(`  ✗ web event-loop p99 ≥ ${LOOP_DELAY_BUDGET_MS} ms`);
      } finally {
        await appDb.destroy();
        await boss.stop({ graceful: false, close: true });
        await worker.stop();
        await web.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }

      function record(name: string, value: number, unit: string, kind: 'time' | 'rate', floor = value) {
        ctx.record({ name, value, unit, floor, kind });
      }
    },
  },
];

/**
 * Waits for the run's four statements and answers how long each took: each is rendered in its own
 * transaction, whose start is its `created_at`, so one ends where the next begins; the last ends
 * when the job completed. `peaks` are the worker's peak RSS while each was rendered: its mark is
 * read and reset whenever another statement is stored (seen within half a second of its commit).
 */
async function waitForStatements(
  db: Database,
  accountId: bigint,
  runId: bigint,
  since: number,
  worker: number,
) {
  const deadline = Date.now() + 3 * 3600_000;
  const peaks: number[] = [];
  for (;;) {
    const stored = await sql<{ n: number }>`
      select count(*)::int as n from documents
      where account_id = ${accountId} and subject = ${`run:${runId}`}`.execute(db);
    while (peaks.length < stored.rows[0]!.n) {
      peaks.push(peakRssMb(worker));
      resetPeakRss(worker);
    }
    const job = await sql<{ state: string; completed_on: Date | null; output: unknown }>`
      select state, completed_on, output from pgboss.job
      where name = 'statements.render' and data ->> 'runId' = ${runId.toString()}
      order by created_on desc limit 1`.execute(db);
    const state = job.rows[0]?.state;
    if (state === 'failed')
      throw new Error(`statements.render failed: ${JSON.stringify(job.rows[0]!.output)}`);
    if (state === 'completed') {
      const { rows } = await sql<{
        language: string;
        format: string;
        byte_size: string;
        sha256: string;
        created_at: Date;
      }>`
        select language, format, byte_size::text, sha256, created_at from documents
        where account_id = ${accountId} and subject = ${`run:${runId}`} order by created_at, id`.execute(db);
      while (peaks.length < rows.length) peaks.push(peakRssMb(worker));
      const end = job.rows[0]!.completed_on!.getTime();
      return {
        peaks,
        rows: rows.map((d, i) => ({
          ...d,
          pages: 0,
          ms: (i + 1 < rows.length ? rows[i + 1]!.created_at.getTime() : end) - d.created_at.getTime(),
        })),
        totalMs: end - since,
      };
    }
    if (Date.now() > deadline) throw new Error('the statements were not rendered within three hours');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A stored PDF's page count, as poppler's pdfinfo reads it. */
async function pdfPages(db: Database, accountId: bigint, sha256: string, dir: string): Promise<number> {
  const { rows } = await sql<{ content: Buffer }>`
    select content from document_contents where account_id = ${accountId} and sha256 = ${sha256}`.execute(db);
  const file = path.join(dir, `${sha256}.pdf`);
  fs.writeFileSync(file, rows[0]!.content);
  const { stdout } = await promisify(execFile)('pdfinfo', [file]);
  fs.rmSync(file);
  return Number(/^Pages:\s+(\d+)/m.exec(stdout)![1]);
}
