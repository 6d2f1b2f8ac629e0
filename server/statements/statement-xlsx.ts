/**
 * The run statement as a workbook: summary, vehicles, violations, changes, payment numbers and,
 * when some failed, the failed lookups with their reasons; written with exceljs's streaming writer
 * from cursor pages. Typed cells (amounts as numbers with the currency's display decimals, times as
 * dates in the account's zone), frozen header rows, filters, columns made to fit, right-to-left
 * sheets in Arabic. Values are only ever plain strings, numbers and dates, so no cell is a formula.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import type { DocumentOutput } from '../documents/documents.service.ts';
import type { Language } from '../i18n/messages.ts';
import { reasonWords } from '../i18n/reasons.ts';
import {
  amountCellFormat,
  amountCellValue,
  DATE_FORMAT,
  DATE_TIME_FORMAT,
  localCellDate,
  notes,
  t,
} from './format.ts';
import { numberDueNow, type RunStatement } from './run-statement.ts';

type CellValue = string | number | Date | null;

interface Column {
  header: string;
  width: number;
  numFmt?: string;
}

/** Shared by every date cell of a column without a format of its own; never changed. */
const dateTimeStyle = { numFmt: DATE_TIME_FORMAT };

/** How much of a sheet's XML may wait for the zip before rows stop being written. */
const ZIP_BACKLOG_BYTES = 4 << 20;

/**
 * Waits, when the zip is behind, until it has taken in the sheet's XML written so far. exceljs's
 * streaming writer writes a sheet's XML into the stream archiver keeps for the sheet's entry
 * without heeding its backpressure, and the entry is deflated a chunk per turn of the event loop
 * (and only once the sheets before it are done): when the deflate falls behind, rows written page
 * after page pile up there uncompressed, up to a whole sheet (the violations sheet of 250,000
 * lines is 130 MB of XML). Rejects with `failed` should the workbook fail first.
 */
function zipped(worksheet: object, failed: Promise<void>): Promise<void> {
  // The worksheet's stream (exceljs's StreamBuf) writes into what it was piped to: the entry.
  const entry = (worksheet as { stream?: { pipes?: unknown[] } }).stream?.pipes?.[0] as
    | (PassThrough & { _writableState?: { length: number } })
    | undefined;
  if (!entry?._writableState) throw new Error('exceljs: a worksheet stream without its zip entry');
  if (entry._writableState.length < ZIP_BACKLOG_BYTES) return Promise.resolve();
  return Promise.race([once(entry, 'drain').then(() => undefined), failed]);
}

const columnWidth = (header: string, longest: number, max = 60) =>
  Math.min(max, Math.max(header.length, longest) + 3);

/** Writes the workbook into its output (storage, a part at a time, between pages of rows). */
export async function writeRunStatementXlsx(
  statement: RunStatement,
  language: Language,
  output: DocumentOutput,
): Promise<void> {
  const { header, widths } = statement;
  const zone = header.account.timeZone;
  const currency = header.currency;
  const money = amountCellFormat(currency);
  const text = (key: string, values?: Record<string, string | number>) => t(language, key, values);

  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => output.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    sink.on('end', resolve);
    sink.on('error', reject);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: sink,
    useSharedStrings: false,
    useStyles: true,
  });
  workbook.creator = 'Fleet fines';
  workbook.created = header.generatedAt;
  workbook.modified = header.generatedAt;

  const sheet = async (name: string, columns: Column[], rows: () => AsyncIterable<CellValue[][]>) => {
    const ws = workbook.addWorksheet(name, {
      views: [{ rightToLeft: language === 'ar', state: 'frozen', ySplit: 1 }],
    });
    ws.columns = columns.map((c, index) => ({
      header: c.header,
      key: `c${index}`,
      width: c.width,
      ...(c.numFmt ? { style: { numFmt: c.numFmt } } : {}),
    }));
    ws.getRow(1).font = { bold: true };
    ws.getRow(1).commit();
    // One style object per column, shared by its cells: exceljs keys the styles it has seen by
    // object, so a shared one is looked up instead of rendered to XML again for every cell. A
    // date in a column without a format of its own (the summary's value column) gets the date's.
    const styles = columns.map((c) => (c.numFmt ? { numFmt: c.numFmt } : {}));
    let last = 1;
    for await (const page of rows()) {
      for (const values of page) {
        const row = ws.addRow(values);
        for (let index = 0; index < values.length; index++) {
          row.getCell(index + 1).style =
            values[index] instanceof Date && !columns[index]!.numFmt ? dateTimeStyle : styles[index]!;
        }
        row.commit();
        last += 1;
      }
      await zipped(ws, finished);
      await output.drain();
    }
    ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: last, column: columns.length } };
    ws.commit();
  };

  const payments = statement.payments;
  const available = payments.outcome.status === 'issued';
  /** A vehicle's or line's payment number, or why it has none. */
  const numberCell = (number: string | null | undefined, payable: boolean): string | null =>
    number ?? (!payable ? null : available ? text('number_not_issued') : text('number_unavailable'));
  function paymentSummary(): CellValue[][] {
    if (payments.outcome.status === 'unavailable') {
      return [
        [
          text('payment_numbers'),
          text('numbers_unavailable', { reason: reasonWords(language, 'issuance', payments.outcome.reason) }),
          null,
          null,
        ],
      ];
    }
    const c = payments.consolidated;
    const v = payments.vehicleNumbers;
    return [
      c
        ? [text('consolidated_number'), c.number, c.line_count, amountCellValue(numberDueNow(c), currency)]
        : [text('consolidated_number'), text('no_consolidated'), null, null],
      ...(c
        ? [
            [
              text('consolidated_after_deadline'),
              c.next_deadline_at ? localCellDate(c.next_deadline_at, zone) : null,
              c.line_count,
              amountCellValue(c.total_after_deadline_minor, currency),
            ],
          ]
        : []),
      [text('numbers_total'), null, v.numbers, amountCellValue(v.total_minor, currency)],
      [
        text('payment_numbers'),
        text('numbers_refused', { count: payments.outcome.refused }),
        payments.outcome.refused,
        null,
      ],
    ];
  }

  // Summary: the header block (item → value), then figures (item → count, amount).
  const lookupWord = (status: string | null) => text(status ? `lookup_${status}` : 'lookup_not_in_run');
  const o = statement.outstanding;
  const info: CellValue[][] = [
    [text('account'), language === 'ar' ? header.account.nameAr : header.account.nameEn, null, null],
    [text('account_kind'), text(`kind_${header.account.kind}`), null, null],
    [text('registry_number'), header.account.registryNumber, null, null],
    [text('jurisdiction'), text(`jurisdiction_${header.account.jurisdiction}`), null, null],
    [text('currency'), text(`currency_${currency.code}`), null, null],
    [text('run'), text('run_number', { id: header.run.id.toString() }), null, null],
    [text('run_time'), localCellDate(header.run.createdAt, zone), null, null],
    [
      text('authority'),
      header.source.kind === 'file'
        ? text('authority_file', { file: header.source.fileName })
        : text('authority_gateway'),
      null,
      null,
    ],
    [text('generated_at'), localCellDate(header.generatedAt, zone), null, null],
    [text('outstanding_total'), null, o.violations, amountCellValue(o.amount_minor, currency)],
    [text('vehicles_with_outstanding'), null, o.vehicles, null],
    [text('vehicles_looked_up'), null, statement.vehiclesLookedUp, null],
    [text('held_settlements'), null, o.held_violations, amountCellValue(o.held_minor, currency)],
    [text('stale_outstanding'), null, o.stale_violations, amountCellValue(o.stale_minor, currency)],
    [
      text('failed_vehicles'),
      statement.failed.map((f) => f.plate_display).join(', ') || null,
      statement.failed.length,
      null,
    ],
    ...statement.changes.map((c): CellValue[] => [
      `${text('changes')}: ${text(`change_${c.change}`)}`,
      null,
      c.violations,
      amountCellValue(c.amountMinor, currency),
    ]),
    ...paymentSummary(),
  ];
  const summaryColumns: Column[] = [
    {
      header: text('item'),
      width: columnWidth(text('item'), Math.max(...info.map((r) => String(r[0]).length))),
    },
    { header: text('value'), width: 40 },
    { header: text('count'), width: columnWidth(text('count'), 10) },
    { header: text('amount'), width: columnWidth(text('amount'), 16), numFmt: money },
  ];
  await sheet(text('sheet_summary'), summaryColumns, async function* () {
    yield info;
  });

  await sheet(
    text('sheet_vehicles'),
    [
      { header: text('plate'), width: columnWidth(text('plate'), widths.plate) },
      { header: text('label'), width: columnWidth(text('label'), widths.label, 40) },
      { header: text('cost_centre'), width: columnWidth(text('cost_centre'), widths.cost_centre, 30) },
      { header: text('lookup'), width: columnWidth(text('lookup'), 12) },
      { header: text('count'), width: columnWidth(text('count'), 6) },
      { header: text('due_now'), width: columnWidth(text('due_now'), 14), numFmt: money },
      {
        header: text('due_after_escalation'),
        width: columnWidth(text('due_after_escalation'), 14),
        numFmt: money,
      },
      {
        header: text('next_escalation'),
        width: columnWidth(text('next_escalation'), 12),
        numFmt: DATE_FORMAT,
      },
      { header: text('payment_number'), width: columnWidth(text('payment_number'), 16) },
    ],
    async function* () {
      for await (const page of statement.vehicles()) {
        yield page.map((v) => [
          v.plate_display,
          v.label,
          v.cost_centre,
          v.lookup_status === 'ok' || v.lookup_status === 'not_found'
            ? text('lookup_ok')
            : lookupWord(v.lookup_status),
          v.violations,
          amountCellValue(v.due_now_minor, currency),
          amountCellValue(v.due_after_deadline_minor, currency),
          v.next_deadline_at ? localCellDate(v.next_deadline_at, zone) : null,
          numberCell(v.payment_number, v.violations > 0),
        ]);
      }
    },
  );

  const descriptionWidth = language === 'ar' ? widths.description_ar : widths.description_en;
  await sheet(
    text('sheet_violations'),
    [
      { header: text('plate'), width: columnWidth(text('plate'), widths.plate) },
      { header: text('ticket'), width: columnWidth(text('ticket'), widths.ticket) },
      { header: text('offence_at'), width: columnWidth(text('offence_at'), 16), numFmt: DATE_TIME_FORMAT },
      { header: text('type'), width: columnWidth(text('type'), widths.type, 20) },
      { header: text('description'), width: columnWidth(text('description'), descriptionWidth) },
      { header: text('location'), width: columnWidth(text('location'), widths.location, 40) },
      { header: text('authority_status'), width: columnWidth(text('authority_status'), 14) },
      { header: text('amount'), width: columnWidth(text('amount'), 14), numFmt: money },
      { header: text('notes'), width: columnWidth(text('notes'), 16) },
      { header: text('payment_number'), width: columnWidth(text('payment_number'), 16) },
    ],
    async function* () {
      for await (const page of statement.violations()) {
        yield page.map((v) => [
          v.plate_display,
          v.ticket_number,
          localCellDate(v.offence_at, zone),
          v.type_code,
          language === 'ar' ? v.description_ar : v.description_en,
          v.location,
          text(`status_${v.authority_status}`),
          amountCellValue(v.amount_minor, currency),
          notes(v, language) || null,
          numberCell(v.payment_number, true),
        ]);
      }
    },
  );

  await sheet(
    text('sheet_changes'),
    [
      { header: text('ticket'), width: columnWidth(text('ticket'), widths.ticket) },
      { header: text('plate'), width: columnWidth(text('plate'), widths.plate) },
      { header: text('change'), width: columnWidth(text('change'), 16) },
      { header: text('previous_plate'), width: columnWidth(text('previous_plate'), widths.plate) },
      { header: text('held_count'), width: columnWidth(text('held_count'), 6) },
      { header: text('previous_amount'), width: columnWidth(text('previous_amount'), 14), numFmt: money },
      { header: text('amount'), width: columnWidth(text('amount'), 14), numFmt: money },
      { header: text('offence_at'), width: columnWidth(text('offence_at'), 16), numFmt: DATE_TIME_FORMAT },
    ],
    async function* () {
      for await (const page of statement.changeLines()) {
        yield page.map((c) => [
          c.ticket_number,
          c.plate_display,
          text(`change_${c.change}`),
          c.previous_plate_display,
          c.held ? text('note_held') : null,
          c.previous_amount_minor === null ? null : amountCellValue(c.previous_amount_minor, currency),
          amountCellValue(c.amount_minor, currency),
          c.offence_at ? localCellDate(c.offence_at, zone) : null,
        ]);
      }
    },
  );

  // Payment numbers: the consolidated one first, then each vehicle's, by plate.
  const numberRow = (n: NonNullable<typeof payments.consolidated>): CellValue[] => [
    text(`number_kind_${n.kind}`),
    n.number,
    n.plate_display,
    n.line_count,
    amountCellValue(numberDueNow(n), currency),
    amountCellValue(n.total_after_deadline_minor, currency),
    n.next_deadline_at ? localCellDate(n.next_deadline_at, zone) : null,
    localCellDate(n.expires_at, zone),
    text(`issuer_${n.issuer}`),
  ];
  await sheet(
    text('sheet_payment_numbers'),
    [
      { header: text('number_kind'), width: columnWidth(text('number_kind'), 12) },
      { header: text('payment_number'), width: columnWidth(text('payment_number'), 16) },
      { header: text('plate'), width: columnWidth(text('plate'), widths.plate) },
      { header: text('lines'), width: columnWidth(text('lines'), 6) },
      { header: text('due_now'), width: columnWidth(text('due_now'), 14), numFmt: money },
      {
        header: text('due_after_escalation'),
        width: columnWidth(text('due_after_escalation'), 14),
        numFmt: money,
      },
      {
        header: text('next_escalation'),
        width: columnWidth(text('next_escalation'), 16),
        numFmt: DATE_TIME_FORMAT,
      },
      { header: text('valid_until'), width: columnWidth(text('valid_until'), 16), numFmt: DATE_TIME_FORMAT },
      { header: text('issued_by'), width: columnWidth(text('issued_by'), 16) },
    ],
    async function* () {
      if (payments.consolidated) yield [numberRow(payments.consolidated)];
      for await (const page of payments.numbers()) yield page.map(numberRow);
    },
  );

  // Vehicles whose lookup failed and why, as the PDF lists them, in the workbook's language.
  if (statement.failed.length > 0) {
    const reasons = statement.failed.map((f) =>
      f.last_error ? reasonWords(language, 'lookup', f.last_error) : null,
    );
    await sheet(
      text('sheet_failed_lookups'),
      [
        { header: text('plate'), width: columnWidth(text('plate'), widths.plate) },
        { header: text('lookup'), width: columnWidth(text('lookup'), 12) },
        { header: text('attempts'), width: columnWidth(text('attempts'), 6) },
        {
          header: text('reason'),
          width: columnWidth(text('reason'), Math.max(0, ...reasons.map((r) => r?.length ?? 0)), 80),
        },
      ],
      async function* () {
        yield statement.failed.map((f, i) => [
          f.plate_display,
          text(`lookup_${f.status}`),
          f.attempts,
          reasons[i]!,
        ]);
      },
    );
  }

  await workbook.commit();
  await finished;
}
