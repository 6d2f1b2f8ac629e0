/**
 * The violations list as CSV for ERP import: stable English column names, amounts as exact
 * major-unit text and as minor units, offence times in ISO 8601 with the account's offset, UTF-8,
 * CRLF. Text that a spreadsheet would read as a formula (=, +, -, @, tab, CR) is escaped.
 */

import { DateTime } from 'luxon';
import Papa from 'papaparse';
import { cursorPages } from '../db/cursor.ts';
import type { Tx } from '../db/tenant.ts';
import { type Currency, currencies, minorToMajorText } from '../money/money.ts';
import { violationsExportQuery } from './statements.repo.ts';

export const CSV_COLUMNS = [
  'ticket_number',
  'vehicle_id',
  'plate',
  'registration_number',
  'cost_centre',
  'state',
  'offence_at',
  'type_code',
  'description_ar',
  'description_en',
  'location',
  'amount',
  'amount_minor',
  'currency',
  'authority_status',
  'authority_payment_ref',
] as const;

/** The CSV in chunks (the header first), one per cursor page. */
export async function* violationsCsv(
  trx: Tx,
  accountId: bigint,
  timeZone: string,
  state: string | undefined,
): AsyncGenerator<string> {
  const unparse = (rows: unknown[][], header: boolean) =>
    Papa.unparse(
      { fields: [...CSV_COLUMNS], data: rows },
      { header, escapeFormulae: true, newline: '\r\n', quotes: false },
    );
  yield `${unparse([], true)}\r\n`;
  for await (const page of cursorPages(trx, violationsExportQuery(accountId, state))) {
    const rows = page.map((v) => {
      const currency: Currency = currencies[v.currency as Currency['code']];
      return [
        v.ticket_number,
        v.vehicle_id.toString(),
        v.plate_display,
        v.registration_number ?? '',
        v.cost_centre ?? '',
        v.state,
        DateTime.fromJSDate(v.offence_at, { zone: timeZone }).toISO({ suppressMilliseconds: true }),
        v.type_code,
        v.description_ar,
        v.description_en,
        v.location,
        minorToMajorText(v.amount_minor, currency.minorUnits),
        v.amount_minor.toString(),
        v.currency,
        v.authority_status,
        v.authority_payment_ref ?? '',
      ];
    });
    yield `${unparse(rows, false)}\r\n`;
  }
}
