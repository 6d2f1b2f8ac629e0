/**
 * One vehicle's statement (PDF, Arabic or English): its outstanding violations now and the history
 * of every violation that has been its own, as of the account's last finished run. Stored like
 * every document: asked for again before another run finishes, the same bytes are served.
 */
import { findAccount } from '../accounts/accounts.repo.ts';
import { findVehicle, lastLookup } from '../clearances/clearances.repo.ts';
import { cursorPages } from '../db/cursor.ts';
import type { Tx } from '../db/tenant.ts';
import { findDocument } from '../documents/documents.repo.ts';
import { downloadDocument, storeDocument } from '../documents/documents.service.ts';
import { PagedPdf, tablePages } from '../documents/pdf-pages.ts';
import { isolate, ltr } from '../documents/pdf-text.ts';
import { DomainError } from '../errors.ts';
import type { Language } from '../i18n/messages.ts';
import { type Currency, currencies } from '../money/money.ts';
import { localDateTimeText } from './format.ts';
import { pdfCells } from './statement-pdf.ts';
import {
  countVehicleHistory,
  lastFinishedRun,
  totalVehicleOutstanding,
  vehicleHistoryQuery,
  vehicleOutstandingQuery,
} from './statements.repo.ts';

async function renderVehicleStatement(
  trx: Tx,
  accountId: bigint,
  vehicleId: bigint,
  language: Language,
  now: Date,
): Promise<{ fileName: string; bytes: Buffer }> {
  const account = (await findAccount(trx, accountId))!;
  const vehicle = (await findVehicle(trx, accountId, vehicleId))!;
  const lookup = await lastLookup(trx, accountId, vehicleId);
  const totals = await totalVehicleOutstanding(trx, accountId, vehicleId);
  const historyCount = await countVehicleHistory(trx, accountId, vehicleId);
  const currency = currencies[account.currency as Currency['code']];
  const zone = account.time_zone;
  const { text, money, when, violationCells } = pdfCells(language, currency, zone);
  const pdf = new PagedPdf({
    base: language === 'ar' ? 'rtl' : 'ltr',
    totalPages: 1 + tablePages(totals.violations) + tablePages(historyCount),
    title: `${text('vehicle_title')} ${vehicle.plate_display}`,
    createdAt: now,
    footer: (page, pages) => ({
      left: `${account.registry_number} · ${vehicle.plate_display}`,
      right: text('page', { page, pages }),
    }),
  });
  pdf.newPage();
  pdf.line(text('vehicle_title'), { size: 18, bold: true, gap: 4 });
  pdf.field(text('account'), isolate(language === 'ar' ? account.legal_name_ar : account.legal_name_en));
  pdf.field(text('registry_number'), ltr(account.registry_number));
  pdf.field(text('plate'), isolate(vehicle.plate_display));
  if (vehicle.registration_number) pdf.field(text('registration_number'), ltr(vehicle.registration_number));
  if (vehicle.label) pdf.field(text('label'), isolate(vehicle.label));
  if (vehicle.cost_centre) pdf.field(text('cost_centre'), isolate(vehicle.cost_centre));
  pdf.field(
    text('last_lookup'),
    lookup?.answered_at
      ? `${when(lookup.answered_at)} (${text(lookup.status === 'ok' || lookup.status === 'not_found' ? 'lookup_ok' : `lookup_${lookup.status}`)})`
      : text('never_looked_up'),
  );
  pdf.field(text('generated_at'), when(now));
  pdf.y += 8;
  pdf.line(text('summary'), { size: 13, bold: true });
  pdf.smallTable(
    [
      { header: text('item'), weight: 6 },
      { header: text('count'), weight: 1.2, align: 'end' },
      { header: text('amount'), weight: 2, align: 'end' },
    ],
    [[text('outstanding_total'), ltr(String(totals.violations)), money(totals.amount_minor)]],
  );

  await pdf.table(
    text('violations'),
    [
      { header: text('ticket'), weight: 3.4 },
      { header: text('offence_at'), weight: 2.3 },
      { header: text('description'), weight: 3.3 },
      { header: text('authority_status'), weight: 1.6 },
      { header: text('amount'), weight: 1.5, align: 'end' },
      { header: text('notes'), weight: 1.2 },
    ],
    (async function* () {
      for await (const page of cursorPages(trx, vehicleOutstandingQuery(accountId, vehicleId))) {
        yield page.map((v) => [ltr(v.ticket_number), ...violationCells(v)]);
      }
    })(),
    text('none'),
  );
  await pdf.table(
    text('history'),
    [
      { header: text('recorded_at'), weight: 2.3 },
      { header: text('ticket'), weight: 3.4 },
      { header: text('version'), weight: 0.9, align: 'end' },
      { header: text('run'), weight: 1.4, align: 'end' },
      { header: text('change'), weight: 2.2 },
      { header: text('state'), weight: 1.5 },
      { header: text('amount'), weight: 1.5, align: 'end' },
    ],
    (async function* () {
      for await (const page of cursorPages(trx, vehicleHistoryQuery(accountId, vehicleId))) {
        yield page.map((h) => [
          when(h.recorded_at),
          ltr(h.ticket_number),
          ltr(String(h.version)),
          ltr(h.run_id.toString()),
          text(`change_${h.change}`),
          text(`state_${h.state}`),
          money(h.amount_minor),
        ]);
      }
    })(),
    text('none'),
  );
  const date = localDateTimeText(now, zone).slice(0, 10);
  const plate = vehicle.plate_key.replace(/[^\p{L}\p{N}-]+/gu, '-');
  return {
    fileName: `vehicle-statement_${account.registry_number}_${plate}_${date}_${language}.pdf`,
    bytes: await pdf.finish(),
  };
}

/**
 * The vehicle's statement as of the account's last finished run: the stored one if it was asked
 * for before (same bytes), rendered and stored once otherwise; each download audited.
 */
export async function vehicleStatementDownload(
  trx: Tx,
  accountId: bigint,
  vehicleId: bigint,
  language: Language,
  actor: { userId: bigint | null; tokenId: bigint | null; ip: string | null },
  now: Date,
) {
  if (!(await findVehicle(trx, accountId, vehicleId))) {
    throw new DomainError('vehicle_not_found', 'no such vehicle in this account', { status: 404 });
  }
  const run = await lastFinishedRun(trx, accountId);
  const key = {
    kind: 'vehicle_statement' as const,
    subject: `vehicle:${vehicleId}@run:${run?.id ?? 0}`,
    format: 'pdf' as const,
    language,
  };
  let document = await findDocument(trx, accountId, key);
  if (!document) {
    const rendered = await renderVehicleStatement(trx, accountId, vehicleId, language, now);
    document = (await storeDocument(trx, accountId, key, rendered)).document;
  }
  return downloadDocument(trx, accountId, document, actor);
}
