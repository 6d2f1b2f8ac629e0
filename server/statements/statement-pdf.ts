/**
 * The run statement as a PDF: A4, the header block, summary and consolidated payment number on
 * the first page, then the tables (vehicles, vehicles whose lookup failed, outstanding violations,
 * change lines, payment numbers as Code 128 barcodes), each repeating its header on every page,
 * every page numbered "X of Y". Lines come from cursor pages.
 */

import type { DocumentOutput } from '../documents/documents.service.ts';
import { code128Width, drawCode128 } from '../documents/pdf-barcode.ts';
import {
  type CellBox,
  contentWidth,
  PAGE,
  PagedPdf,
  ROW_HEIGHT,
  type TableColumn,
  tablePages,
} from '../documents/pdf-pages.ts';
import { drawLine, isolate, ltr } from '../documents/pdf-text.ts';
import type { Language } from '../i18n/messages.ts';
import { reasonWords } from '../i18n/reasons.ts';
import type { Currency } from '../money/money.ts';
import { amountText, localDateText, localDateTimeText, notes, t } from './format.ts';
import { numberDueNow, type RunStatement } from './run-statement.ts';
import type { PaymentNumberRow } from './statements.repo.ts';

/** Barcode geometry: a module of 0.72 pt (0.25 mm) prints and scans well on an office printer. */
const BAR_MODULE = 0.72;
const BAR_HEIGHT = 18;
const BARCODE_ROW_HEIGHT = 34;

/** Writes the statement into its output (storage, page by page). */
export async function writeRunStatementPdf(
  statement: RunStatement,
  language: Language,
  output: DocumentOutput,
): Promise<void> {
  const { header } = statement;
  const zone = header.account.timeZone;
  const currency = header.currency;
  const { text, money, when, violationCells } = pdfCells(language, currency, zone);
  const accountName = language === 'ar' ? header.account.nameAr : header.account.nameEn;
  const hasFailed = statement.failed.length > 0;
  const payments = statement.payments;
  const available = payments.outcome.status === 'issued';
  const numberRows = (payments.consolidated ? 1 : 0) + payments.vehicleNumbers.numbers;
  const totalPages =
    1 +
    tablePages(statement.counts.vehicles) +
    (hasFailed ? tablePages(statement.failed.length) : 0) +
    tablePages(statement.counts.violations) +
    tablePages(statement.counts.changes) +
    tablePages(numberRows, BARCODE_ROW_HEIGHT);
  const numberText = (number: string | null | undefined, payable: boolean) =>
    number ? ltr(number) : !payable ? '' : available ? text('number_not_issued') : text('number_unavailable');
  const title = text('run_title');
  const pdf = new PagedPdf({
    base: language === 'ar' ? 'rtl' : 'ltr',
    totalPages,
    title: `${title} — ${accountName}`,
    createdAt: header.generatedAt,
    output,
    footer: (page, pages) => ({
      left: `${header.account.registryNumber} · ${text('run_number', { id: header.run.id.toString() })}`,
      right: text('page', { page, pages }),
    }),
  });

  pdf.newPage();
  pdf.line(title, { size: 18, bold: true, gap: 4 });
  pdf.field(text('account'), isolate(accountName));
  pdf.field(text('account_kind'), text(`kind_${header.account.kind}`));
  pdf.field(text('registry_number'), ltr(header.account.registryNumber));
  pdf.field(text('jurisdiction'), text(`jurisdiction_${header.account.jurisdiction}`));
  pdf.field(text('currency'), text(`currency_${currency.code}`));
  pdf.field(text('run'), text('run_number', { id: header.run.id.toString() }));
  pdf.field(text('run_time'), when(header.run.createdAt));
  pdf.field(
    text('authority'),
    header.source.kind === 'file'
      ? text('authority_file', { file: isolate(header.source.fileName) })
      : text('authority_gateway'),
  );
  pdf.field(text('generated_at'), when(header.generatedAt));
  pdf.y += 8;

  const o = statement.outstanding;
  pdf.line(text('summary'), { size: 13, bold: true });
  const figures: TableColumn[] = [
    { header: text('item'), weight: 6 },
    { header: text('count'), weight: 1.2, align: 'end' },
    { header: text('amount'), weight: 2, align: 'end' },
  ];
  pdf.smallTable(figures, [
    [text('outstanding_total'), ltr(String(o.violations)), money(o.amount_minor)],
    [text('vehicles_with_outstanding'), ltr(String(o.vehicles)), ''],
    [text('vehicles_looked_up'), ltr(String(statement.vehiclesLookedUp)), ''],
    [text('held_settlements'), ltr(String(o.held_violations)), money(o.held_minor)],
    [text('stale_outstanding'), ltr(String(o.stale_violations)), money(o.stale_minor)],
    [text('failed_vehicles'), ltr(String(statement.failed.length)), ''],
  ]);
  pdf.line(text('failed_note', { count: statement.failed.length }), { size: 9 });
  pdf.y += 6;
  pdf.line(text('changes'), { size: 13, bold: true });
  pdf.smallTable(
    [
      { header: text('change'), weight: 6 },
      { header: text('count'), weight: 1.2, align: 'end' },
      { header: text('held_count'), weight: 1.2, align: 'end' },
      { header: text('amount'), weight: 2, align: 'end' },
    ],
    statement.changes.length > 0
      ? statement.changes.map((c) => [
          text(`change_${c.change}`),
          ltr(String(c.violations)),
          ltr(String(c.held)),
          money(c.amountMinor),
        ])
      : [[text('none'), '', '', '']],
  );

  pdf.line(text('payment_numbers'), { size: 13, bold: true });
  if (payments.outcome.status === 'unavailable') {
    pdf.paragraph(
      text('numbers_unavailable', { reason: reasonWords(language, 'issuance', payments.outcome.reason) }),
      { size: 9 },
    );
  } else {
    const c = payments.consolidated;
    if (c) {
      pdf.field(text('consolidated_number'), ltr(c.number), { bold: true });
      barcodeAtStart(pdf, c.number);
      pdf.field(text('due_now'), money(numberDueNow(c)));
      pdf.field(
        text('due_after_escalation'),
        c.next_deadline_at
          ? `${money(c.total_after_deadline_minor)} (${when(c.next_deadline_at)})`
          : money(c.total_after_deadline_minor),
      );
      pdf.field(text('valid_until'), when(c.expires_at));
    } else pdf.line(text('no_consolidated'), { size: 9 });
    const v = payments.vehicleNumbers;
    pdf.field(text('numbers_total'), `${ltr(String(v.numbers))} · ${money(v.total_minor)}`);
    pdf.line(text('numbers_refused', { count: payments.outcome.refused }), { size: 9 });
  }

  await pdf.table(
    text('vehicles'),
    [
      { header: text('plate'), weight: 2 },
      { header: text('label'), weight: 2.1 },
      { header: text('cost_centre'), weight: 1.9 },
      { header: text('lookup'), weight: 1.3 },
      { header: text('count'), weight: 1.2, align: 'end' },
      { header: text('due_now'), weight: 1.9, align: 'end' },
      { header: text('due_after_escalation'), weight: 2.6, align: 'end' },
      { header: text('next_escalation'), weight: 2.5, align: 'end' },
      { header: text('payment_number'), weight: 2.7, align: 'end' },
    ],
    (async function* () {
      for await (const page of statement.vehicles()) {
        yield page.map((v) => [
          isolate(v.plate_display),
          v.label ? isolate(v.label) : '',
          v.cost_centre ? isolate(v.cost_centre) : '',
          text(
            v.lookup_status === null
              ? 'lookup_not_in_run'
              : v.lookup_status === 'not_found'
                ? 'lookup_ok'
                : `lookup_${v.lookup_status}`,
          ),
          ltr(String(v.violations)),
          money(v.due_now_minor),
          money(v.due_after_deadline_minor),
          v.next_deadline_at ? ltr(localDateText(v.next_deadline_at, zone)) : '',
          numberText(v.payment_number, v.violations > 0),
        ]);
      }
    })(),
    text('none'),
  );

  if (hasFailed) {
    await pdf.table(
      text('failed_vehicles'),
      [
        { header: text('plate'), weight: 2.5 },
        { header: text('lookup'), weight: 1.5 },
        { header: text('attempts'), weight: 1, align: 'end' },
        { header: text('reason'), weight: 6 },
      ],
      (async function* () {
        yield statement.failed.map((f) => [
          isolate(f.plate_display),
          text(`lookup_${f.status}`),
          ltr(String(f.attempts)),
          f.last_error ? isolate(reasonWords(language, 'lookup', f.last_error)) : '',
        ]);
      })(),
      text('none'),
    );
  }

  await pdf.table(
    text('violations'),
    [
      { header: text('plate'), weight: 1.7 },
      { header: text('ticket'), weight: 3.4 },
      { header: text('offence_at'), weight: 2.3 },
      { header: text('description'), weight: 2.6 },
      { header: text('authority_status'), weight: 1.9 },
      { header: text('amount'), weight: 1.5, align: 'end' },
      { header: text('notes'), weight: 1.4 },
    ],
    (async function* () {
      for await (const page of statement.violations()) {
        yield page.map((v) => [isolate(v.plate_display), ltr(v.ticket_number), ...violationCells(v)]);
      }
    })(),
    text('none'),
  );

  await pdf.table(
    text('change_lines'),
    [
      { header: text('ticket'), weight: 2.9 },
      { header: text('plate'), weight: 1.8 },
      { header: text('change'), weight: 2.4 },
      { header: text('previous_plate'), weight: 2 },
      { header: text('previous_amount'), weight: 1.6, align: 'end' },
      { header: text('amount'), weight: 1.6, align: 'end' },
    ],
    (async function* () {
      for await (const page of statement.changeLines()) {
        yield page.map((c) => [
          ltr(c.ticket_number),
          isolate(c.plate_display),
          c.held ? `${text(`change_${c.change}`)} (${text('note_held')})` : text(`change_${c.change}`),
          c.previous_plate_display ? isolate(c.previous_plate_display) : '',
          c.previous_amount_minor === null ? '' : money(c.previous_amount_minor),
          money(c.amount_minor),
        ]);
      }
    })(),
    text('none'),
  );

  // Payment numbers, each also as a barcode: the consolidated one first, then each vehicle's.
  const numberCells = (n: PaymentNumberRow) => [
    n.number,
    text(`number_kind_${n.kind}`),
    n.plate_display ? isolate(n.plate_display) : '',
    ltr(String(n.line_count)),
    money(numberDueNow(n)),
    money(n.total_after_deadline_minor),
    n.next_deadline_at ? ltr(localDateText(n.next_deadline_at, zone)) : '',
    ltr(localDateText(n.expires_at, zone)),
  ];
  await pdf.table(
    text('payment_numbers'),
    [
      { header: text('payment_number'), weight: 3.4 },
      { header: text('number_kind'), weight: 1.6 },
      { header: text('plate'), weight: 1.8 },
      { header: text('lines'), weight: 0.9, align: 'end' },
      { header: text('due_now'), weight: 1.7, align: 'end' },
      { header: text('due_after_escalation'), weight: 2.2, align: 'end' },
      { header: text('next_escalation'), weight: 2.1, align: 'end' },
      { header: text('valid_until'), weight: 1.7, align: 'end' },
    ],
    (async function* () {
      if (payments.consolidated) yield [numberCells(payments.consolidated)];
      for await (const page of payments.numbers()) yield page.map(numberCells);
    })(),
    payments.outcome.status === 'unavailable'
      ? text('numbers_unavailable', { reason: reasonWords(language, 'issuance', payments.outcome.reason) })
      : text('none'),
    {
      rowHeight: BARCODE_ROW_HEIGHT,
      drawCell: (column, cell, box) => column === 0 && drawNumberCell(pdf, cell, box),
    },
  );

  await pdf.end();
}

/** A payment number's cell: its barcode, the digits under it on the row's text line, at the start side. */
function drawNumberCell(pdf: PagedPdf, number: string, box: CellBox): true {
  const width = code128Width(number, BAR_MODULE);
  const x = pdf.base === 'rtl' ? box.x + box.width - width : box.x;
  const textY = box.y + box.height - ROW_HEIGHT;
  drawCode128(pdf.doc, number, { x, y: box.y + 1, module: BAR_MODULE, height: textY - box.y - 2 });
  pdf.doc.font('regular').fontSize(8.5);
  drawLine(pdf.doc, ltr(number), { x, y: textY, width, base: pdf.base, align: 'center' });
  return true;
}

/** A barcode on its own line at the start side of the page, under the field that names it. */
function barcodeAtStart(pdf: PagedPdf, number: string) {
  const width = code128Width(number, BAR_MODULE);
  const labelWidth = contentWidth * 0.32;
  const x = pdf.base === 'rtl' ? PAGE.margin + contentWidth - labelWidth - width : PAGE.margin + labelWidth;
  drawCode128(pdf.doc, number, { x, y: pdf.y, module: BAR_MODULE, height: BAR_HEIGHT + 4 });
  pdf.y += BAR_HEIGHT + 10;
}

/** How a PDF statement writes text, amounts and local times, and an outstanding violation's cells. */
export function pdfCells(language: Language, currency: Currency, zone: string) {
  const text = (key: string, values?: Record<string, string | number>) => t(language, key, values);
  const money = (amount: bigint) => ltr(amountText(amount, currency, language));
  const when = (at: Date) => ltr(localDateTimeText(at, zone));
  /** Offence time, description, authority status, amount and notes, as both statements list them. */
  const violationCells = (v: {
    offence_at: Date;
    description_ar: string;
    description_en: string;
    authority_status: string;
    amount_minor: bigint;
    held: boolean;
    stale: boolean;
  }) => [
    when(v.offence_at),
    isolate(language === 'ar' ? v.description_ar : v.description_en),
    text(`status_${v.authority_status}`),
    money(v.amount_minor),
    notes(v, language),
  ];
  return { text, money, when, violationCells };
}
