import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { reasonWords } from '../../server/i18n/reasons.ts';
import type { JurisdictionCode } from '../../server/jurisdictions/profiles.ts';
import { currencies, formatMinor, minorToMajorText } from '../../server/money/money.ts';
import { paymentJobs } from '../../server/payments/payments.jobs.ts';
import { statementJobs } from '../../server/statements/statements.jobs.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeVehicles } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';
import { useJobQueue } from '../support/queue.ts';
import { fetchBytes, pdfPages, pdfText, waitForDocument } from './support.ts';

// Rendering waits for the pipeline's last stage; a busy shared machine needs the room.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const test = useTestDatabase();
let simulator: AuthoritySimulator;
beforeAll(async () => {
  simulator = await startAuthoritySimulator({
    seed: 'statements-test',
    world: { startDate: '2026-06-01', dailyViolationRate: 0.05, notFoundRate: 0 },
  });
  process.env.TEST_STATEMENTS_AUTHORITY_URL = simulator.url;
});
afterAll(async () => {
  await simulator?.close();
});
const app = useProduct(test, {
  get AUTHORITY_URL() {
    return process.env.TEST_STATEMENTS_AUTHORITY_URL!;
  },
  AUTHORITY_RATE_LIMIT: '500',
  AUTHORITY_BATCH_SIZE: '10',
  AUTHORITY_TIMEOUT_MS: '2000',
  AUTHORITY_MAX_ATTEMPTS: '2',
} as Record<string, string>);
const jobs = useJobQueue(test);

interface Fleet {
  account: AccountFixture;
  admin: ApiClient;
  accountant: ApiClient;
  plates: string[];
}

const platesOf: Record<JurisdictionCode, (i: number) => string> = {
  JO: (i) => `JO:${10 + (i % 30)}-${20000 + i}`,
  IQ: (i) => `IQ:11-ب-${31000 + i}`,
  EG: (i) => `EG:بطر-${4100 + i}`,
};

async function makeFleet(jurisdiction: JurisdictionCode, count: number): Promise<Fleet> {
  const account = await makeAccount(test.db, jurisdiction);
  const plates = Array.from({ length: count }, (_, i) => platesOf[jurisdiction](i));
  await makeVehicles(test.db, account.id, plates);
  // Plates as people write them (the factory shows the key).
  await sql`update vehicles set plate_display = split_part(plate_key, ':', 2),
                                label = 'شاحنة ' || id, cost_centre = 'CC-' || (id % 3)
            where account_id = ${account.id}`.execute(test.ownerDb);
  const admin = new ApiClient(app.product.url!);
  await admin.signIn(account.users.fleet_admin.email);
  admin.accountId = account.id.toString();
  const accountant = new ApiClient(app.product.url!);
  await accountant.signIn(account.users.accountant.email);
  accountant.accountId = account.id.toString();
  return { account, admin, accountant, plates };
}

interface RunBody {
  id: string;
  status: string;
  summary: {
    outstanding: { violations: number; amountMinor: string };
    changes: Array<{ change: string; violations: number; amountMinor: string }>;
  };
}

async function runToEnd(client: ApiClient): Promise<RunBody> {
  const started = await client.post<RunBody>('/runs');
  expect(started.status).toBe(202);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const run = await client.get<RunBody>(`/runs/${started.body.id}`);
    if (['done', 'partial', 'failed'].includes(run.body.status)) return run.body;
    if (Date.now() > deadline) throw new Error(`run ${started.body.id} did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The database's outstanding lines of an account (the latest run's state). */
async function outstandingInDb(accountId: bigint) {
  const { rows } = await sql<{ ticket_number: string; amount_minor: string; plate: string; status: string }>`
    select v.ticket_number, v.amount_minor::text, h.plate_display as plate, v.authority_status as status
    from violations v join vehicles h on h.account_id = v.account_id and h.id = v.vehicle_id
    where v.account_id = ${accountId} and v.state = 'outstanding' order by v.ticket_number`.execute(
    test.ownerDb,
  );
  return rows.map((r) => ({ ...r, amount: BigInt(r.amount_minor) }));
}

/** The account's open vehicle and consolidated payment numbers, with what their lines add up to. */
async function numbersInDb(accountId: bigint) {
  const { rows } = await sql<{
    number: string;
    kind: 'vehicle' | 'consolidated';
    plate: string | null;
    total_minor: string;
    line_count: number;
    lines_minor: string;
  }>`
    select p.number, p.kind, h.plate_display as plate, p.total_minor::text, p.line_count,
           (select sum(l.amount_minor)::text from payment_number_lines l
            where l.account_id = p.account_id and l.payment_number_id = p.id) as lines_minor
    from payment_numbers p left join vehicles h on h.account_id = p.account_id and h.id = p.vehicle_id
    where p.account_id = ${accountId} and p.state = 'open' and p.kind in ('vehicle', 'consolidated')
    order by p.number`.execute(test.ownerDb);
  return rows.map((r) => ({ ...r, total: BigInt(r.total_minor), linesTotal: BigInt(r.lines_minor) }));
}

const toMinor = (value: number, minorUnits: number) => BigInt(Math.round(value * 10 ** minorUnits));

async function readWorkbook(bytes: Buffer) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook;
}

function sheetRows(sheet: ExcelJS.Worksheet) {
  const rows: ExcelJS.Row[] = [];
  sheet.eachRow((row, number) => {
    if (number > 1) rows.push(row);
  });
  return rows;
}

describe.each(['JO', 'IQ', 'EG'] as const)('a %s run statement', (jurisdiction) => {
  let fleet: Fleet;
  let run: RunBody;
  const currency = currencies[{ JO: 'JOD', IQ: 'IQD', EG: 'EGP' }[jurisdiction] as 'JOD'];

  beforeAll(async () => {
    fleet = await makeFleet(jurisdiction, 30);
    run = await runToEnd(fleet.admin);
    expect(run.status).toBe('done');
  });

  it('is an xlsx whose totals equal the database and the sum of its lines, typed and right-to-left', async () => {
    const got = await waitForDocument(fleet.accountant, `/runs/${run.id}/statement.xlsx`);
    expect(got.headers.get('content-disposition')).toMatch(
      new RegExp(`fleet-statement_REG-[0-9a-f]+_\\d{4}-\\d{2}-\\d{2}_run-${run.id}_ar\\.xlsx`),
    );
    const db = await outstandingInDb(fleet.account.id);
    const dbTotal = db.reduce((sum, l) => sum + l.amount, 0n);
    expect(dbTotal.toString()).toBe(run.summary.outstanding.amountMinor);
    expect(db.length).toBeGreaterThan(3);

    const workbook = await readWorkbook(got.bytes);
    expect(workbook.worksheets.map((s) => s.name)).toEqual([
      'الملخص',
      'المركبات',
      'المخالفات',
      'التغيرات',
      'أرقام الدفع',
    ]);
    const [summary, vehicles, violations, changes] = workbook.worksheets as [
      ExcelJS.Worksheet,
      ExcelJS.Worksheet,
      ExcelJS.Worksheet,
      ExcelJS.Worksheet,
    ];
    for (const sheet of workbook.worksheets) {
      expect(sheet.views[0]).toMatchObject({ rightToLeft: true, state: 'frozen', ySplit: 1 });
      expect(sheet.autoFilter).toBeTruthy();
      sheet.eachRow((row) =>
        row.eachCell((cell) => {
          expect(cell.type).not.toBe(ExcelJS.ValueType.Formula);
        }),
      );
    }
    const amountFormat =
      currency.displayDecimals === 0 ? '#,##0' : `#,##0.${'0'.repeat(currency.displayDecimals)}`;

    // Summary: the outstanding total row.
    const totalRow = sheetRows(summary).find((r) => r.getCell(1).value === 'إجمالي المستحق')!;
    expect(totalRow.getCell(3).value).toBe(db.length);
    expect(toMinor(totalRow.getCell(4).value as number, currency.minorUnits)).toBe(dbTotal);
    expect(totalRow.getCell(4).numFmt).toBe(amountFormat);

    // Violations: one line per outstanding violation, the same amounts, typed cells.
    const lines = sheetRows(violations);
    expect(lines).toHaveLength(db.length);
    const byTicket = new Map(lines.map((r) => [r.getCell(2).value as string, r]));
    for (const line of db) {
      const row = byTicket.get(line.ticket_number)!;
      expect(row, line.ticket_number).toBeTruthy();
      expect(row.getCell(1).value).toBe(line.plate);
      expect(toMinor(row.getCell(8).value as number, currency.minorUnits)).toBe(line.amount);
      expect(row.getCell(8).numFmt).toBe(amountFormat);
      expect(row.getCell(3).value).toBeInstanceOf(Date);
    }
    // Vehicles: due now adds up to the total too.
    const dueNow = sheetRows(vehicles).reduce(
      (sum, r) => sum + toMinor(r.getCell(6).value as number, currency.minorUnits),
      0n,
    );
    expect(dueNow).toBe(dbTotal);
    const counted = sheetRows(vehicles).reduce((sum, r) => sum + (r.getCell(5).value as number), 0);
    expect(counted).toBe(db.length);
    // Changes: the first night, every line is new, and the lines add up to the summary's `new`.
    const newTotal = run.summary.changes.find((c) => c.change === 'new')!;
    const changeLines = sheetRows(changes);
    expect(changeLines).toHaveLength(newTotal.violations);
    expect(
      changeLines
        .reduce((sum, r) => sum + toMinor(r.getCell(7).value as number, currency.minorUnits), 0n)
        .toString(),
    ).toBe(newTotal.amountMinor);
  });

  it('is a PDF whose every line and total reads back with pdftotext, in English and in Arabic', async () => {
    const db = await outstandingInDb(fleet.account.id);
    const dbTotal = db.reduce((sum, l) => sum + l.amount, 0n);
    for (const lang of ['en', 'ar'] as const) {
      const got = await waitForDocument(fleet.accountant, `/runs/${run.id}/statement.pdf?lang=${lang}`);
      expect(got.headers.get('content-type')).toBe('application/pdf');
      expect(got.headers.get('content-disposition')).toContain(`_${lang}.pdf`);
      const text = await pdfText(got.bytes);
      const pages = await pdfPages(got.bytes);
      const format = (amount: bigint) => formatMinor(amount, currency, { locale: lang });
      const lines = text.split('\n');
      if (lang === 'en') {
        expect(text).toContain(`Page 1 of ${pages}`);
        expect(text).toContain(`Page ${pages} of ${pages}`);
        const totalLine = lines.find((l) => l.includes('Outstanding total'))!;
        expect(totalLine).toContain(format(dbTotal));
        expect(totalLine).toContain(String(db.length));
      } else {
        // Arabic in logical order; poppler spaces the left-to-right numbers inside it loosely.
        expect(text).toMatch(new RegExp(`صفحة\\s*1\\s*من\\s*${pages}`));
        const totalLine = lines.find((l) => l.includes('إجمالي المستحق'))!;
        expect(totalLine, text.slice(0, 2000)).toContain(format(dbTotal));
        expect(totalLine).toContain(String(db.length));
      }
      // Every outstanding line is printed whole on its row of the violations table (the one with the
      // authority status) with its plate and amount; they add up.
      const statusWords: Record<string, Record<string, string>> = {
        en: { unpaid: 'Unpaid', under_objection: 'Under objection' },
        ar: { unpaid: 'غير مسددة', under_objection: 'قيد الاعتراض' },
      };
      let sum = 0n;
      for (const line of db) {
        const row = lines.find(
          (l) =>
            l.includes(line.ticket_number) &&
            l.includes(format(line.amount)) &&
            l.includes(statusWords[lang]![line.status]!),
        );
        expect(row, `${lang}: ${line.ticket_number} ${format(line.amount)}`).toBeTruthy();
        // The plate's parts intact (a plate with Arabic letters is laid out right to left).
        for (const part of line.plate.split('-')) expect(row).toContain(part);
        sum += line.amount;
      }
      expect(sum).toBe(dbTotal);
    }
  });

  it('shows the payment numbers the run issued, each total equal to the database and to its lines', async () => {
    // The statements come after the payments stage, so its numbers are in the database by then.
    const xlsx = await waitForDocument(fleet.accountant, `/runs/${run.id}/statement.xlsx?lang=en`);
    const numbers = await numbersInDb(fleet.account.id);
    const vehicleNumbers = numbers.filter((n) => n.kind === 'vehicle');
    const consolidated = numbers.find((n) => n.kind === 'consolidated');
    expect(vehicleNumbers.length).toBeGreaterThan(3);
    for (const n of numbers) expect(n.linesTotal, n.number).toBe(n.total);
    const vehicleTotal = vehicleNumbers.reduce((sum, n) => sum + n.total, 0n);
    // Rendered after the payments stage, which said how it ended.
    const { rows: jobRows } = await sql<{ data: { payments?: { status: string } } }>`
      select data from pgboss.job where name = 'statements.render' and data ->> 'runId' = ${run.id}`.execute(
      test.ownerDb,
    );
    expect(jobRows.map((r) => r.data.payments?.status)).toContain('issued');

    const workbook = await readWorkbook(xlsx.bytes);
    const [summary, vehicles, violations, , numberSheet] = workbook.worksheets as ExcelJS.Worksheet[];
    const amount = (cell: ExcelJS.Cell) => toMinor(cell.value as number, currency.minorUnits);
    const sheetNumbers = sheetRows(numberSheet!);
    expect(sheetNumbers.map((r) => r.getCell(2).value).sort()).toEqual(numbers.map((n) => n.number).sort());
    if (consolidated) expect(sheetNumbers[0]!.getCell(2).value).toBe(consolidated.number);
    for (const n of numbers) {
      const row = sheetNumbers.find((r) => r.getCell(2).value === n.number)!;
      expect(amount(row.getCell(5)), n.number).toBe(n.total);
      expect(row.getCell(4).value).toBe(n.line_count);
      if (n.kind === 'vehicle') {
        expect(row.getCell(3).value).toBe(n.plate);
        // The violation lines the number covers add up to it, and so many lines there are.
        const lines = sheetRows(violations!).filter((r) => r.getCell(10).value === n.number);
        expect(lines).toHaveLength(n.line_count);
        expect(
          lines.reduce((sum, r) => sum + amount(r.getCell(8)), 0n),
          n.number,
        ).toBe(n.total);
        const vehicle = sheetRows(vehicles!).find((r) => r.getCell(1).value === n.plate)!;
        expect(vehicle.getCell(9).value).toBe(n.number);
      }
    }
    const summaryRow = (label: string) => sheetRows(summary!).find((r) => r.getCell(1).value === label)!;
    const numbersTotal = summaryRow('Vehicle numbers: total');
    expect(numbersTotal.getCell(3).value).toBe(vehicleNumbers.length);
    expect(amount(numbersTotal.getCell(4))).toBe(vehicleTotal);
    expect(
      sheetNumbers
        .filter((r) => r.getCell(1).value === 'Vehicle')
        .reduce((sum, r) => sum + amount(r.getCell(5)), 0n),
    ).toBe(vehicleTotal);
    const consolidatedRow = summaryRow('Consolidated payment number');
    if (consolidated) {
      expect(consolidatedRow.getCell(2).value).toBe(consolidated.number);
      expect(amount(consolidatedRow.getCell(4))).toBe(consolidated.total);
    } else expect(consolidatedRow.getCell(2).value).toMatch(/^No consolidated number/);

    for (const lang of ['en', 'ar'] as const) {
      const pdf = await waitForDocument(fleet.accountant, `/runs/${run.id}/statement.pdf?lang=${lang}`);
      const lines = (await pdfText(pdf.bytes)).split('\n');
      const format = (value: bigint) => formatMinor(value, currency, { locale: lang });
      // Each number on its row of the payment numbers table (its digits under its barcode) with its total.
      let printed = 0n;
      for (const n of vehicleNumbers) {
        // A plate with Arabic letters is laid out right to left: its parts are checked, not their order.
        const row = lines.find(
          (l) =>
            l.includes(n.number) &&
            l.includes(format(n.total)) &&
            n.plate!.split('-').every((part) => l.includes(part)),
        );
        expect(row, `${lang}: ${n.number}`).toBeTruthy();
        printed += n.total;
      }
      expect(printed).toBe(vehicleTotal);
      const totalLine = lines.find((l) =>
        l.includes(lang === 'en' ? 'Vehicle numbers: total' : 'مجموع أرقام المركبات'),
      )!;
      expect(totalLine).toContain(format(vehicleTotal));
      if (consolidated) {
        const line = lines.find((l) =>
          l.includes(lang === 'en' ? 'Consolidated payment number' : 'رقم الدفع الموحد'),
        )!;
        expect(line).toContain(consolidated.number);
      }
    }
  });
});

describe('statement documents', () => {
  let fleet: Fleet;
  let run: RunBody;
  beforeAll(async () => {
    fleet = await makeFleet('JO', 12);
    run = await runToEnd(fleet.admin);
  });

  it('are served byte-identical on every download, each download audited, stored once', async () => {
    await waitForDocument(fleet.accountant, `/runs/${run.id}/statement.xlsx?lang=en`);
    const first = await waitForDocument(fleet.accountant, `/runs/${run.id}/statement.pdf`);
    const second = await fetchBytes(fleet.accountant, `/runs/${run.id}/statement.pdf`);
    expect(second.status).toBe(200);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    const audited = await sql<{ n: number }>`
      select count(*)::int as n from audit_log
      where account_id = ${fleet.account.id} and action = 'document.downloaded'`.execute(test.ownerDb);
    expect(audited.rows[0]!.n).toBeGreaterThanOrEqual(2);
    const stored = await sql<{ n: number }>`
      select count(*)::int as n from documents where account_id = ${fleet.account.id} and subject = ${`run:${run.id}`}`.execute(
      test.ownerDb,
    );
    expect(stored.rows[0]!.n).toBe(4);
  });

  it('renders once however often the render job is delivered', async () => {
    await waitForDocument(fleet.accountant, `/runs/${run.id}/statement.xlsx?lang=en`);
    const before = await sql<{ id: string; sha256: string }>`
      select id::text, sha256 from documents where account_id = ${fleet.account.id} order by id`.execute(
      test.ownerDb,
    );
    await withTenant(test.db, fleet.account.id, (trx) =>
      jobs.queue.send(trx, statementJobs.render, [{ accountId: fleet.account.id.toString(), runId: run.id }]),
    );
    // The job is done when pg-boss says so.
    for (let i = 0; i < 100; i++) {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pgboss.job where name = 'statements.render' and state <> 'completed'`.execute(
        test.ownerDb,
      );
      if (rows[0]!.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const after = await sql<{ id: string; sha256: string }>`
      select id::text, sha256 from documents where account_id = ${fleet.account.id} order by id`.execute(
      test.ownerDb,
    );
    expect(after.rows).toEqual(before.rows);
  });

  it('answers a statement of a run still going with 202 and where to poll', async () => {
    simulator.setFaults({ latencyMs: 400 });
    const started = await fleet.admin.post<RunBody>('/runs');
    const pending = await fetchBytes(fleet.accountant, `/runs/${started.body.id}/statement.xlsx`);
    simulator.setFaults({ latencyMs: 0 });
    expect(pending.status).toBe(202);
    expect(pending.headers.get('retry-after')).toBeTruthy();
    expect(JSON.parse(pending.bytes.toString())).toMatchObject({
      status: 'rendering',
      poll: `/api/v1/runs/${started.body.id}/statement.xlsx`,
    });
    await waitForDocument(fleet.accountant, `/runs/${started.body.id}/statement.xlsx`);
  });

  it('include a vehicle statement: its outstanding lines adding up to its total, and its history', async () => {
    const { rows } = await sql<{ vehicle_id: string; plate: string; tickets: string[]; amounts: string[] }>`
      select v.vehicle_id::text, h.plate_display as plate, array_agg(v.ticket_number) as tickets,
             array_agg(v.amount_minor::text) as amounts
      from violations v join vehicles h on h.account_id = v.account_id and h.id = v.vehicle_id
      where v.account_id = ${fleet.account.id} and v.state = 'outstanding'
      group by v.vehicle_id, h.plate_display order by count(*) desc limit 1`.execute(test.ownerDb);
    const vehicle = rows[0]!;
    const currency = currencies.JOD;
    const total = vehicle.amounts.reduce((sum, a) => sum + BigInt(a), 0n);
    for (const lang of ['en', 'ar'] as const) {
      const got = await fetchBytes(
        fleet.accountant,
        `/vehicles/${vehicle.vehicle_id}/statement.pdf?lang=${lang}`,
      );
      expect(got.status).toBe(200);
      expect(got.headers.get('content-disposition')).toContain(`_${lang}.pdf`);
      const again = await fetchBytes(
        fleet.accountant,
        `/vehicles/${vehicle.vehicle_id}/statement.pdf?lang=${lang}`,
      );
      expect(again.bytes.equals(got.bytes)).toBe(true);
      const text = await pdfText(got.bytes);
      const lines = text.split('\n');
      const format = (amount: bigint) => formatMinor(amount, currency, { locale: lang });
      expect(text).toContain(vehicle.plate);
      const totalLine = lines.find((l) =>
        l.includes(lang === 'en' ? 'Outstanding total' : 'إجمالي المستحق'),
      )!;
      expect(totalLine).toContain(format(total));
      vehicle.tickets.forEach((ticket, index) => {
        const amount = format(BigInt(vehicle.amounts[index]!));
        expect(
          lines.filter((l) => l.includes(ticket) && l.includes(amount)).length,
          ticket,
        ).toBeGreaterThanOrEqual(2);
      });
      expect(text).toContain(lang === 'en' ? 'History' : 'السجل');
    }
  });

  it('include a CSV of the violations for ERP import, formulas escaped, adding up to the database', async () => {
    await sql`update vehicles set cost_centre = '=HYPERLINK("http://x")' where account_id = ${fleet.account.id}`.execute(
      test.ownerDb,
    );
    const got = await fetchBytes(fleet.accountant, '/violations.csv?state=outstanding');
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const parsed = Papa.parse<Record<string, string>>(got.bytes.toString('utf8'), {
      header: true,
      skipEmptyLines: true,
    });
    expect(parsed.errors).toEqual([]);
    const db = await outstandingInDb(fleet.account.id);
    expect(parsed.data.map((r) => r.ticket_number)).toEqual(db.map((l) => l.ticket_number));
    expect(parsed.data.reduce((sum, r) => sum + BigInt(r.amount_minor!), 0n)).toBe(
      db.reduce((sum, l) => sum + l.amount, 0n),
    );
    for (const row of parsed.data) {
      expect(row.amount).toBe(minorToMajorText(BigInt(row.amount_minor!), 3));
      expect(row.cost_centre).toBe(`'=HYPERLINK("http://x")`);
      expect(row.offence_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[23]:00$/);
    }
  });

  it('are money reading: a fleet admin may not download them', async () => {
    const denied = await fetchBytes(fleet.admin, `/runs/${run.id}/statement.pdf`);
    expect(denied.status).toBe(403);
  });

  it('refuse a bad language', async () => {
    const bad = await fetchBytes(fleet.accountant, `/runs/${run.id}/statement.pdf?lang=fr`);
    expect(bad.status).toBe(400);
  });
});

describe('a run whose payment numbers could not be issued', () => {
  it('still gets its statements, which say the numbers are unavailable and why', async () => {
    const fleet = await makeFleet('JO', 8);
    simulator.setFaults({ issuanceFailures: 1_000_000 });
    try {
      const run = await runToEnd(fleet.admin);
      // The payments stage fails and is retried; once out of retries pg-boss dead-letters it.
      await withTenant(test.db, fleet.account.id, (trx) =>
        jobs.queue.send(trx, paymentJobs.issueGaveUp, [
          { accountId: fleet.account.id.toString(), runId: run.id },
        ]),
      );
      const xlsx = await waitForDocument(fleet.accountant, `/runs/${run.id}/statement.xlsx?lang=en`);
      const pdf = await waitForDocument(fleet.accountant, `/runs/${run.id}/statement.pdf?lang=en`);
      const workbook = await readWorkbook(xlsx.bytes);
      const [summary, vehicles, violations, , numberSheet] = workbook.worksheets as ExcelJS.Worksheet[];
      const note = sheetRows(summary!).find((r) => r.getCell(1).value === 'Payment numbers')!;
      expect(note.getCell(2).value).toMatch(
        /^Payment numbers are unavailable for this run: issuing payment numbers gave up/,
      );
      expect(sheetRows(numberSheet!)).toHaveLength(0);
      const payable = sheetRows(vehicles!).filter((r) => (r.getCell(5).value as number) > 0);
      expect(payable.length).toBeGreaterThan(0);
      for (const row of payable) expect(row.getCell(9).value).toBe('Unavailable');
      for (const row of sheetRows(violations!)) expect(row.getCell(10).value).toBe('Unavailable');
      const text = (await pdfText(pdf.bytes)).replace(/\s+/g, ' ');
      expect(text).toContain('Payment numbers are unavailable for this run: issuing payment numbers gave up');
      // The Arabic workbook words the same reason from the reasons catalogue.
      const arXlsx = await waitForDocument(fleet.accountant, `/runs/${run.id}/statement.xlsx?lang=ar`);
      const arSummary = (await readWorkbook(arXlsx.bytes)).worksheets[0]!;
      const arNote = sheetRows(arSummary).find((r) => r.getCell(1).value === 'أرقام الدفع')!;
      expect(arNote.getCell(2).value).toMatch(/توقف إصدار أرقام الدفع بعد/);
      expect(arNote.getCell(2).value).not.toMatch(/gave up/);
    } finally {
      simulator.setFaults({ issuanceFailures: 0 });
    }
  });
});

describe('a run whose lookups failed', () => {
  it('gives each failed vehicle its reason in the Arabic statement in Arabic, from the reasons catalogue', async () => {
    const fleet = await makeFleet('JO', 3);
    simulator.setFaults({ serverErrorRate: 1 });
    let run: RunBody;
    try {
      run = await runToEnd(fleet.admin);
    } finally {
      simulator.setFaults({ serverErrorRate: 0 });
    }
    expect(run.status).toBe('partial');
    const { rows } = await sql<{ last_error: string }>`
      select distinct last_error from lookups
      where account_id = ${fleet.account.id} and run_id = ${BigInt(run.id)}`.execute(test.ownerDb);
    expect(rows.length).toBeGreaterThan(0);
    const pdf = await waitForDocument(fleet.accountant, `/runs/${run.id}/statement.pdf?lang=ar`);
    const text = (await pdfText(pdf.bytes, { layout: false })).replace(/\s+/g, ' ');
    for (const { last_error } of rows) {
      const arabic = reasonWords('ar', 'lookup', last_error);
      expect(arabic, last_error).not.toBe(last_error);
      // The reason's Arabic words are printed (poppler may break the cell's lines anywhere).
      for (const word of arabic.split(' ').filter((w) => /^[\u0600-\u06FF]+$/.test(w)))
        expect(text, arabic).toContain(word);
      // And none of the stored English words (`HTTP 503` has none: it stays in the Arabic as it is).
      for (const word of last_error.match(/\b[a-z]{3,}\b/g) ?? []) expect(text).not.toContain(` ${word} `);
    }

    // The workbooks list the same vehicles with their reasons, each in its own language.
    const byPlate = new Map(
      (
        await sql<{ plate_display: string; last_error: string; attempts: number }>`
          select h.plate_display, k.last_error, k.attempts from lookups k
          join vehicles h on h.account_id = k.account_id and h.id = k.vehicle_id
          where k.account_id = ${fleet.account.id} and k.run_id = ${BigInt(run.id)}`.execute(test.ownerDb)
      ).rows.map((r) => [r.plate_display, r]),
    );
    expect(byPlate.size).toBe(3);
    for (const language of ['en', 'ar'] as const) {
      const xlsx = await waitForDocument(fleet.accountant, `/runs/${run.id}/statement.xlsx?lang=${language}`);
      const workbook = await readWorkbook(xlsx.bytes);
      const failed = workbook.worksheets.at(-1)!;
      expect(failed.name).toBe(language === 'en' ? 'Failed lookups' : 'الاستعلامات الفاشلة');
      expect(failed.getRow(1).getCell(4).value).toBe(language === 'en' ? 'Reason' : 'السبب');
      const rows = sheetRows(failed);
      expect(rows.map((r) => r.getCell(1).value).sort()).toEqual([...byPlate.keys()].sort());
      for (const row of rows) {
        const stored = byPlate.get(row.getCell(1).value as string)!;
        expect(row.getCell(2).value).toBe(language === 'en' ? 'Failed' : 'تعذر');
        expect(row.getCell(3).value).toBe(stored.attempts);
        const reason = row.getCell(4).value as string;
        if (language === 'en') expect(reason).toBe(stored.last_error);
        else {
          expect(reason).toBe(reasonWords('ar', 'lookup', stored.last_error));
          expect(reason).toMatch(/[\u0600-\u06FF]/);
          for (const word of stored.last_error.match(/\b[a-z]{3,}\b/g) ?? [])
            expect(reason).not.toContain(word);
        }
      }
    }
  });
});
