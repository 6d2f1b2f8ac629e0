/**
 * A settlement file from the bank or the payment network (CSV or XLSX): one payment per row,
 * read by the shared sheet reader (../sheets/read.ts: type from the bytes, zip guard before any
 * inflating, strict text decoding, streaming XLSX rows) and validated in full before anything is
 * written. Row problems are reported by row and column, in English and Arabic; the file is
 * accepted only when there are none.
 */
import type { Words } from '../errors.ts';
import { bilingual, message } from '../i18n/messages.ts';
import { type Currency, currencies, parseMajor } from '../money/money.ts';
import { columnLetter, headerMatcher } from '../sheets/columns.ts';
import { normaliseCell, toAsciiDigits } from '../sheets/normalise.ts';
import { readSheet, SheetError } from '../sheets/read.ts';
import { readPaymentNumber } from './payment-number.ts';
import type { IncomingPayment } from './payments.service.ts';

export const settlementColumns = [
  'transaction_id',
  'number',
  'amount',
  'fee',
  'currency',
  'paid_at',
  'settled_on',
  'channel',
] as const;
type SettlementColumn = (typeof settlementColumns)[number];
const requiredColumns: SettlementColumn[] = ['transaction_id', 'number', 'amount', 'paid_at'];

const matchColumn = headerMatcher<SettlementColumn>(
  (
    [
      [
        'transaction_id',
        ['transaction id', 'transaction', 'txn id', 'reference no', 'رقم العملية', 'رقم الحركة'],
      ],
      ['number', ['billing number', 'payment number', 'bill number', 'number', 'رقم الدفع', 'رقم الفاتورة']],
      ['amount', ['paid amount', 'amount', 'المبلغ المدفوع', 'المبلغ']],
      ['fee', ['fee', 'fees', 'commission', 'العمولة', 'الرسوم']],
      ['currency', ['currency', 'العملة']],
      ['paid_at', ['paid at', 'payment date', 'process date', 'تاريخ الدفع']],
      ['settled_on', ['settlement date', 'settled on', 'تاريخ التسوية']],
      ['channel', ['channel', 'القناة']],
    ] as const
  ).flatMap(([field, phrases]) => phrases.map((p) => [p, field] as [string, SettlementColumn])),
);

export interface SettlementLimits {
  maxBytes: number;
  maxRows: number;
  maxUncompressedBytes: number;
  maxCompressionRatio: number;
  maxZipEntries: number;
}

export const defaultSettlementLimits: SettlementLimits = {
  maxBytes: 25 * 1024 * 1024,
  maxRows: 200_000,
  maxUncompressedBytes: 250 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxZipEntries: 500,
};

export interface SettlementRowError {
  row: number;
  column: string;
  code: string;
  message: string;
  messageAr: string;
}

export class SettlementFileError extends Error {
  readonly code: string;
  readonly messageAr: string;
  constructor(code: string, text: Words) {
    super(text.en);
    this.name = 'SettlementFileError';
    this.code = code;
    this.messageAr = text.ar;
  }
}

const HEADER_SEARCH_ROWS = 10;
interface Row {
  rowNumber: number;
  cells: string[];
}

/** The refusal of a whole file, in the words of a settlement file. */
function settlementRefusal(error: SheetError, limits: SettlementLimits): SettlementFileError {
  switch (error.reason) {
    case 'empty':
      return new SettlementFileError('settlement.empty', bilingual('payments.settlement_empty'));
    case 'size':
      return new SettlementFileError(
        'settlement.too_large',
        bilingual('payments.settlement_too_large', { max: String(limits.maxBytes) }),
      );
    case 'file_type':
      return new SettlementFileError('settlement.unsupported_type', {
        en: `${error.detail}. ${error.advice}`,
        ar: `${error.detailAr}. ${error.adviceAr}`,
      });
    case 'not_workbook':
      return new SettlementFileError(
        'settlement.unsupported_type',
        bilingual('payments.settlement_not_workbook'),
      );
    case 'text':
      return new SettlementFileError('settlement.encoding', { en: error.detail, ar: error.detailAr });
    case 'csv_quotes':
      return new SettlementFileError('settlement.corrupt', {
        en: message('en', 'payments.settlement_where_row', { row: String(error.row), detail: error.detail }),
        ar: message('ar', 'payments.settlement_where_row', {
          row: String(error.row),
          detail: error.detailAr,
        }),
      });
    default:
      return new SettlementFileError(`settlement.${error.kind === 'zip_bomb' ? 'zip_bomb' : 'corrupt'}`, {
        en: error.detail,
        ar: error.detailAr,
      });
  }
}

async function rowsOf(bytes: Uint8Array, limits: SettlementLimits): Promise<Row[]> {
  const rows: Row[] = [];
  const cap = limits.maxRows + HEADER_SEARCH_ROWS + 1;
  try {
    await readSheet({ bytes }, limits, {
      row(row) {
        rows.push({ rowNumber: row.rowNumber, cells: row.texts });
        return rows.length <= cap;
      },
    });
  } catch (error) {
    throw error instanceof SheetError ? settlementRefusal(error, limits) : error;
  }
  return rows;
}

export interface SettlementFile {
  payments: Array<IncomingPayment & { rowNumber: number }>;
  errors: SettlementRowError[];
  rows: number;
}

/** Reads and checks every row; `errors` empty means every row is a payment. */
export async function readSettlementFile(
  bytes: Uint8Array,
  currency: Currency['code'],
  limits: SettlementLimits = defaultSettlementLimits,
): Promise<SettlementFile> {
  const rows = await rowsOf(bytes, limits);
  const headerAt = rows.slice(0, HEADER_SEARCH_ROWS).findIndex((r) => {
    const found = new Set(r.cells.map((c) => matchColumn(normaliseCell(c))));
    return requiredColumns.every((c) => found.has(c));
  });
  if (headerAt < 0) {
    const first = new Set((rows[0]?.cells ?? []).map((c) => matchColumn(normaliseCell(c))));
    const missing = requiredColumns.find((c) => !first.has(c)) ?? requiredColumns[0]!;
    throw new SettlementFileError(
      'settlement.missing_column',
      bilingual('payments.settlement_missing_column', { column: missing }),
    );
  }
  const columns = new Map<SettlementColumn, number>();
  rows[headerAt]!.cells.forEach((cell, index) => {
    const field = matchColumn(normaliseCell(cell));
    if (field && !columns.has(field)) columns.set(field, index);
  });
  const body = rows.slice(headerAt + 1);
  if (body.length === 0)
    throw new SettlementFileError('settlement.empty', bilingual('payments.settlement_empty'));
  if (body.length > limits.maxRows)
    throw new SettlementFileError(
      'settlement.too_many_rows',
      bilingual('payments.settlement_too_many_rows', { max: String(limits.maxRows) }),
    );

  const money = currencies[currency];
  const errors: SettlementRowError[] = [];
  const payments: SettlementFile['payments'] = [];
  const firstRowOf = new Map<string, number>();
  const cell = (row: Row, column: SettlementColumn) => {
    const index = columns.get(column);
    return index === undefined ? '' : normaliseCell(row.cells[index] ?? '');
  };
  const fail = (
    row: Row,
    column: SettlementColumn,
    code: string,
    key: string,
    values: Record<string, string | number> = {},
  ) => {
    const letter = columnLetter(columns.get(column) ?? 0);
    errors.push({
      row: row.rowNumber,
      column: letter,
      code,
      message: message('en', 'payments.settlement_row_error', {
        row: row.rowNumber,
        column: letter,
        problem: message('en', key, values),
      }),
      messageAr: message('ar', 'payments.settlement_row_error', {
        row: row.rowNumber,
        column: letter,
        problem: message('ar', key, values),
      }),
    });
  };
  for (const row of body) {
    const before = errors.length;
    const transactionId = cell(row, 'transaction_id');
    if (transactionId === '' || transactionId.length > 128)
      fail(row, 'transaction_id', 'settlement.bad_transaction', 'payments.settlement_bad_transaction');
    const first = firstRowOf.get(transactionId);
    if (first !== undefined)
      fail(
        row,
        'transaction_id',
        'settlement.duplicate_transaction',
        'payments.settlement_duplicate_transaction',
        {
          transactionId,
          first,
          row: row.rowNumber,
        },
      );
    else firstRowOf.set(transactionId, row.rowNumber);
    const reference = cell(row, 'number');
    const reading = readPaymentNumber(reference);
    if (!reading.ok)
      fail(row, 'number', 'settlement.bad_number', 'payments.settlement_bad_number', {
        problem: reading.problem,
      });
    const amount = parseMajor(cell(row, 'amount'), money.minorUnits);
    if (amount === undefined || amount === 0n)
      fail(row, 'amount', 'settlement.bad_amount', 'payments.settlement_bad_amount', {
        currency,
        decimals: money.minorUnits,
      });
    const feeText = cell(row, 'fee');
    const fee = feeText === '' ? 0n : parseMajor(feeText, money.minorUnits);
    if (fee === undefined)
      fail(row, 'fee', 'settlement.bad_amount', 'payments.settlement_bad_amount', {
        currency,
        decimals: money.minorUnits,
      });
    const rowCurrency = cell(row, 'currency').toUpperCase() || currency;
    if (rowCurrency !== currency)
      fail(row, 'currency', 'settlement.bad_currency', 'payments.settlement_bad_currency', {
        currency: rowCurrency,
        expected: currency,
      });
    const paidAt = readInstant(cell(row, 'paid_at'));
    if (!paidAt) fail(row, 'paid_at', 'settlement.bad_date', 'payments.settlement_bad_date');
    const settledText = cell(row, 'settled_on');
    const settledOn = settledText === '' ? null : readInstant(settledText)?.toISOString().slice(0, 10);
    if (settledOn === undefined)
      fail(row, 'settled_on', 'settlement.bad_date', 'payments.settlement_bad_date');
    if (errors.length === before) {
      payments.push({
        rowNumber: row.rowNumber,
        transactionId,
        reference: reading.ok ? reading.number : reference,
        amountMinor: amount!,
        feeMinor: fee!,
        currency,
        paidAt: paidAt!,
        settledOn: settledOn ?? null,
        channel: cell(row, 'channel') || null,
      });
    }
  }
  return { payments, errors, rows: body.length };
}

/** An ISO date or date-time; a time without an offset is read as UTC (bank files state no zone). */
function readInstant(text: string): Date | undefined {
  const t = toAsciiDigits(text.trim());
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t))
    return undefined;
  const iso =
    t.length === 10
      ? `${t}T00:00:00Z`
      : /Z|[+-]\d{2}:?\d{2}$/.test(t)
        ? t.replace(' ', 'T')
        : `${t.replace(' ', 'T')}Z`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
