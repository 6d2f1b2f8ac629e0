/**
 * An authority's bulk export (CSV or XLSX of violations) as an authority provider. Every row goes
 * through the same checks as a gateway answer: the contract's violation schema (ticket, offence
 * time with its offset, type, descriptions, location, status, payment reference), the amount
 * converted exactly from major units to bigint minor units, the jurisdiction's currency, each
 * ticket once.
 *
 * Coverage rule: a plate with rows is `ok` with those rows; a plate without rows is `ok` with no
 * violations only if the export is declared to cover that plate (`coveredPlates`: a list, or
 * `'all'` when the importer declares the file the authority's complete answer for every plate);
 * any other plate is `failed`, because absence from a file proves nothing. A plate with any bad
 * row is `failed` too, never answered in part. The file cannot say a plate is unknown, so it
 * never answers `not_found`.
 *
 * Reading is safe like fleet uploads: the type comes from the bytes, an XLSX's zip is checked
 * for bombs before anything is inflated and read with exceljs's streaming reader, and sizes, rows
 * and cells are capped. Whole-file problems throw `AuthorityExportError`; row problems are
 * collected with their row and column (`AuthorityExport.problems`), so an import can refuse the
 * file naming every one while the provider fails only the plates concerned.
 */
import { decodeCsvBytes } from '../fleet/csv-text.ts';
import { sniffFileType } from '../fleet/file-type.ts';
import { foldForMatching, normaliseCell, toAsciiDigits } from '../fleet/normalise.ts';
import { parsePlate } from '../fleet/plates.ts';
import {
  csvRecords,
  type ExcelValue,
  excelText,
  isFormula,
  xlsxFirstSheetRows,
} from '../fleet/sheet-records.ts';
import { columnLetter, headerMatcher } from '../fleet/upload-columns.ts';
import { detectDelimiter, type UploadLimits } from '../fleet/upload-read.ts';
import { guardZip, ZipGuardError } from '../fleet/zip-guard.ts';
import { type JurisdictionCode, jurisdictions } from '../jurisdictions/profiles.ts';
import { parseMajor } from '../money/money.ts';
import { readAnswer } from './answer.ts';
import {
  type AuthorityProvider,
  type PlateLookup,
  plateKeySchema,
  type WireViolation,
  wireViolationSchema,
} from './contract.ts';

/** The export's columns by their canonical (English) header names. */
export const exportColumns = [
  'plate_key',
  'ticket_number',
  'offence_at',
  'type_code',
  'description_ar',
  'description_en',
  'location',
  'amount',
  'currency',
  'status',
  'payment_ref',
] as const;
export type ExportColumn = (typeof exportColumns)[number];

/** Every column but the authority's payment reference must be present (its cells may be empty). */
export const requiredExportColumns: readonly ExportColumn[] = exportColumns.filter(
  (c) => c !== 'payment_ref',
);

/**
 * Header names accepted for each column, English and Arabic; compared after folding (case,
 * spaces, underscores, punctuation, Arabic letter variants), so `Ticket No.` and `ticket_no` match.
 */
export const exportColumnSynonyms: Record<ExportColumn, readonly string[]> = {
  plate_key: ['plate_key', 'plate', 'plate number', 'plate no', 'رقم اللوحة', 'اللوحة', 'رقم اللوحه'],
  ticket_number: [
    'ticket_number',
    'ticket',
    'ticket no',
    'violation number',
    'violation no',
    'رقم المخالفة',
    'رقم المخالفه',
    'رقم الضبط',
  ],
  offence_at: [
    'offence_at',
    'offense_at',
    'offence time',
    'offense time',
    'offence date',
    'violation date',
    'تاريخ المخالفة',
    'وقت المخالفة',
    'تاريخ ووقت المخالفة',
  ],
  type_code: [
    'type_code',
    'type',
    'offence code',
    'violation code',
    'violation type',
    'رمز المخالفة',
    'كود المخالفة',
    'نوع المخالفة',
  ],
  description_ar: [
    'description_ar',
    'arabic description',
    'description arabic',
    'وصف المخالفة',
    'الوصف بالعربية',
    'الوصف',
  ],
  description_en: ['description_en', 'english description', 'description english', 'description'],
  location: ['location', 'place', 'الموقع', 'مكان المخالفة', 'المكان'],
  amount: ['amount', 'fine', 'fine amount', 'المبلغ', 'قيمة المخالفة', 'الغرامة', 'قيمة الغرامة'],
  currency: ['currency', 'العملة'],
  status: ['status', 'الحالة', 'حالة المخالفة'],
  payment_ref: [
    'payment_ref',
    'payment reference',
    'authority payment reference',
    'رقم الدفع',
    'رقم السداد',
    'مرجع الدفع',
  ],
};

/** The Arabic header each column is named by in messages (and in the README). */
export const exportColumnTitlesAr: Record<ExportColumn, string> = {
  plate_key: 'رقم اللوحة',
  ticket_number: 'رقم المخالفة',
  offence_at: 'تاريخ المخالفة',
  type_code: 'رمز المخالفة',
  description_ar: 'وصف المخالفة',
  description_en: 'الوصف بالإنجليزية',
  location: 'الموقع',
  amount: 'المبلغ',
  currency: 'العملة',
  status: 'الحالة',
  payment_ref: 'رقم الدفع',
};

/** The column a header names; bilingual headers ("رقم المخالفة / Ticket") match when their parts agree. */
export const matchExportHeader = headerMatcher<ExportColumn>(
  exportColumns.flatMap((column) =>
    [...exportColumnSynonyms[column], exportColumnTitlesAr[column]].map(
      (phrase) => [phrase, column] as [string, ExportColumn],
    ),
  ),
);

const statusSynonyms: Record<WireViolation['status'], readonly string[]> = {
  unpaid: ['unpaid', 'غير مدفوعة', 'غير مدفوع', 'غير مسددة', 'غير مسدد', 'مستحقة'],
  paid: ['paid', 'مدفوعة', 'مدفوع', 'مسددة', 'مسدد'],
  cancelled: ['cancelled', 'canceled', 'ملغاة', 'ملغى', 'ملغية'],
  under_objection: ['under_objection', 'under objection', 'objected', 'قيد الاعتراض', 'معترض عليها'],
};
const statusIndex = new Map<string, WireViolation['status']>();
for (const [status, names] of Object.entries(statusSynonyms)) {
  for (const name of names) statusIndex.set(foldForMatching(name), status as WireViolation['status']);
}

/* ------------------------------------------------------------------ errors */

export type AuthorityExportErrorKind =
  | 'too_large'
  | 'too_many_rows'
  | 'unsupported_type'
  | 'zip_bomb'
  | 'corrupt'
  | 'encoding'
  | 'empty'
  | 'missing_column'
  | 'duplicate_header'
  | 'cell_too_large'
  | 'invalid_row';

/** The whole export is refused. `row`/`column` say where, when one place is to blame. */
export class AuthorityExportError extends Error {
  override readonly name = 'AuthorityExportError';
  readonly kind: AuthorityExportErrorKind;
  readonly row: number | undefined;
  readonly column: string | undefined;
  constructor(
    kind: AuthorityExportErrorKind,
    message: string,
    where: { row?: number; column?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: where.cause });
    this.kind = kind;
    this.row = where.row;
    this.column = where.column;
  }
}

/** One bad row: where it is (the spreadsheet's row number, the file's own header) and what is wrong. */
export interface ExportRowProblem {
  row: number;
  /** The header as written in the file, or null for the whole row. */
  column: string | null;
  /** Spreadsheet column letter, or null for the whole row. */
  columnLetter: string | null;
  field: ExportColumn | null;
  message: string;
}

/* ------------------------------------------------------------------ limits */

/** Same limits as fleet uploads (size, rows, zip, cells), with their own defaults. */
export type ExportLimits = UploadLimits;

export const defaultExportLimits: ExportLimits = {
  maxBytes: 25 * 1024 * 1024,
  maxRows: 300_000,
  maxUncompressedBytes: 250 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxZipEntries: 500,
  maxCellChars: 4_000,
};

/** A title above the header is common; look this many non-blank rows down for it. */
const HEADER_SEARCH_ROWS = 10;

/* -------------------------------------------------------------------- rows */

interface RawCell {
  text: string;
  /** An XLSX date cell: a wall-clock time without a zone. */
  date: boolean;
}

interface RawRow {
  rowNumber: number;
  cells: RawCell[];
}

const textCell = (text: string): RawCell => ({ text, date: false });

function csvRows(text: string, limits: ExportLimits): RawRow[] {
  const { records, quoteError } = csvRecords(
    text.replace(/^\uFEFF/, ''),
    detectDelimiter(text),
    limits.maxRows + HEADER_SEARCH_ROWS + 1,
  );
  if (quoteError) {
    throw new AuthorityExportError(
      'corrupt',
      `row ${quoteError.row}: the CSV is malformed (${quoteError.message})`,
      {
        row: quoteError.row,
      },
    );
  }
  return records.map((record) => ({ rowNumber: record.rowNumber, cells: record.cells.map(textCell) }));
}

/** A date cell (also as a formula's result) carries no zone: it is flagged, not read as text. */
function xlsxCell(value: ExcelValue): RawCell {
  const shown = isFormula(value) ? ((value.result ?? null) as ExcelValue) : value;
  if (shown instanceof Date) return { text: shown.toISOString(), date: true };
  return textCell(excelText(shown));
}

async function xlsxRows(bytes: Uint8Array, limits: ExportLimits): Promise<RawRow[]> {
  const rows: RawRow[] = [];
  try {
    for await (const row of xlsxFirstSheetRows(bytes)) {
      const cells = row.values.map(xlsxCell);
      if (cells.every((cell) => cell.text.trim() === '')) continue;
      rows.push({ rowNumber: row.rowNumber, cells });
      if (rows.length > limits.maxRows + HEADER_SEARCH_ROWS + 1) break;
    }
  } catch (error) {
    throw new AuthorityExportError(
      'corrupt',
      'the workbook cannot be read; open it in Excel and save it again',
      {
        cause: error,
      },
    );
  }
  return rows;
}

/* ------------------------------------------------------------------ export */

export interface AuthorityExportColumn {
  field: ExportColumn;
  header: string;
  letter: string;
  index: number;
}

/** A read export: its good rows by plate, and every problem found. */
export interface AuthorityExport {
  jurisdiction: JurisdictionCode;
  format: 'csv' | 'xlsx';
  headerRow: number;
  columns: AuthorityExportColumn[];
  /** Violation rows read (good and bad). */
  rows: number;
  /** Good rows, in file order, by plate key. */
  byPlate: Map<string, WireViolation[]>;
  /** Every row problem, in file order. */
  problems: ExportRowProblem[];
  /** The first problem of each plate that has one: that plate cannot be answered. */
  plateProblems: Map<string, ExportRowProblem>;
  /** Problems of rows whose plate could not be read: no plate's answer can be trusted whole. */
  unattributed: ExportRowProblem[];
}

export function describeProblem(problem: ExportRowProblem): string {
  const column = problem.column === null ? '' : `, column "${problem.column}" (${problem.columnLetter})`;
  return `row ${problem.row}${column}: ${problem.message}`;
}

/** A canonical plate key (`JO:13-20697`) as it is, or a plate as people write it, parsed. */
export function readExportPlate(
  jurisdiction: JurisdictionCode,
  text: string,
): { ok: true; key: string } | { ok: false; message: string } {
  const prefixed = /^(JO|IQ|EG):/.exec(text);
  if (prefixed) {
    if (prefixed[1] !== jurisdiction)
      return {
        ok: false,
        message: `plate ${text} is a ${prefixed[1]} plate; the account is in ${jurisdiction}`,
      };
    return plateKeySchema.safeParse(text).success
      ? { ok: true, key: text }
      : { ok: false, message: 'the plate key is too long' };
  }
  const parsed = parsePlate(jurisdiction, text);
  return parsed.ok ? { ok: true, key: parsed.plate.key } : { ok: false, message: parsed.message };
}

const wireField: Record<string, ExportColumn> = {
  ticketNumber: 'ticket_number',
  offenceAt: 'offence_at',
  typeCode: 'type_code',
  descriptionAr: 'description_ar',
  descriptionEn: 'description_en',
  location: 'location',
  amountMinor: 'amount',
  currency: 'currency',
  status: 'status',
  authorityPaymentRef: 'payment_ref',
};

const OFFSET_EXAMPLE = 'e.g. 2025-01-10T08:15:00+03:00';

function findHeader(rows: RawRow[]): { row: RawRow; columns: AuthorityExportColumn[] } {
  const first = rows[0];
  if (!first) throw new AuthorityExportError('empty', 'the file is empty');
  for (const row of rows.slice(0, HEADER_SEARCH_ROWS)) {
    const columns: AuthorityExportColumn[] = [];
    row.cells.forEach((cell, index) => {
      const header = normaliseCell(cell.text);
      const field = header === '' ? null : matchExportHeader(header);
      if (field) columns.push({ field, header, letter: columnLetter(index), index });
    });
    const fields = new Set(columns.map((c) => c.field));
    if (!fields.has('plate_key') || !fields.has('ticket_number')) continue;
    for (const column of columns) {
      const twin = columns.find((c) => c.field === column.field && c.index < column.index);
      if (twin) {
        throw new AuthorityExportError(
          'duplicate_header',
          `row ${row.rowNumber}: columns ${twin.letter} ("${twin.header}") and ${column.letter} ("${column.header}") both mean "${column.field}"; keep one`,
          { row: row.rowNumber, column: column.header },
        );
      }
    }
    const missing = requiredExportColumns.filter((field) => !fields.has(field));
    if (missing.length > 0) {
      throw new AuthorityExportError(
        'missing_column',
        `row ${row.rowNumber}: the export lacks column(s) ${missing.map((m) => `"${m}" / "${exportColumnTitlesAr[m]}"`).join(', ')}`,
        { row: row.rowNumber },
      );
    }
    return { row, columns };
  }
  const seen = first.cells
    .map((cell) => normaliseCell(cell.text))
    .filter((h) => h !== '')
    .map((h) => `"${h}"`)
    .join(', ');
  throw new AuthorityExportError(
    'missing_column',
    `no header row with a plate column ("plate_key" / "رقم اللوحة") and a ticket column ("ticket_number" / "رقم المخالفة") was found; found: ${seen || 'no headers'}`,
    { row: first.rowNumber },
  );
}

function buildExport(
  jurisdiction: JurisdictionCode,
  format: AuthorityExport['format'],
  rows: RawRow[],
  limits: ExportLimits,
): AuthorityExport {
  for (const row of rows) {
    row.cells.forEach((cell, index) => {
      if (cell.text.length > limits.maxCellChars) {
        throw new AuthorityExportError(
          'cell_too_large',
          `row ${row.rowNumber}, column ${columnLetter(index)}: a cell holds ${cell.text.length} characters (at most ${limits.maxCellChars})`,
          { row: row.rowNumber, column: columnLetter(index) },
        );
      }
    });
  }
  const header = findHeader(rows);
  const data = rows.filter((row) => row.rowNumber > header.row.rowNumber);
  if (data.length === 0)
    throw new AuthorityExportError('empty', 'the file has a header row but no violation rows');
  if (data.length > limits.maxRows) {
    throw new AuthorityExportError(
      'too_many_rows',
      `the export has more than ${limits.maxRows} violation rows; split it by plates into smaller files`,
      { row: data[limits.maxRows]!.rowNumber },
    );
  }
  const profile = jurisdictions[jurisdiction];
  const byField = new Map(header.columns.map((c) => [c.field, c]));
  const headerWidth = header.row.cells.length;

  const result: AuthorityExport = {
    jurisdiction,
    format,
    headerRow: header.row.rowNumber,
    columns: header.columns,
    rows: data.length,
    byPlate: new Map(),
    problems: [],
    plateProblems: new Map(),
    unattributed: [],
  };
  const ticketRows = new Map<string, { row: number; plateKey: string }>();

  for (const row of data) {
    const cellOf = (field: ExportColumn): RawCell | undefined => {
      const column = byField.get(field);
      return column ? row.cells[column.index] : undefined;
    };
    const text = (field: ExportColumn) => normaliseCell(cellOf(field)?.text ?? '');
    const problem = (field: ExportColumn | null, message: string): ExportRowProblem => {
      const column = field === null ? undefined : byField.get(field);
      return {
        row: row.rowNumber,
        column: column?.header ?? null,
        columnLetter: column?.letter ?? null,
        field,
        message,
      };
    };
    const rowProblems: ExportRowProblem[] = [];

    const plate = readExportPlate(jurisdiction, text('plate_key'));
    if (!plate.ok) rowProblems.push(problem('plate_key', plate.message));

    if (
      format === 'csv' &&
      row.cells.length > headerWidth &&
      row.cells.slice(headerWidth).some((c) => c.text.trim() !== '')
    ) {
      rowProblems.push(
        problem(
          null,
          `the row has ${row.cells.length} cells but the header has ${headerWidth}; a value probably contains an unquoted separator`,
        ),
      );
    }

    const amountText = toAsciiDigits(text('amount'));
    const amount = parseMajor(amountText, profile.minorUnits);
    if (amount === undefined) {
      rowProblems.push(
        problem(
          'amount',
          `${JSON.stringify(amountText)} is not a ${profile.currency} amount in major units with at most ${profile.minorUnits} decimals (e.g. 45.000), without thousands separators`,
        ),
      );
    }
    if (cellOf('offence_at')?.date) {
      rowProblems.push(
        problem(
          'offence_at',
          `is an Excel date, which has no time zone; write the offence time as text with its offset, ${OFFSET_EXAMPLE}`,
        ),
      );
    }
    const statusText = text('status');
    const status = statusIndex.get(foldForMatching(statusText));
    if (!status) {
      rowProblems.push(
        problem(
          'status',
          `${JSON.stringify(statusText)} is not a status; use unpaid, paid, cancelled or under_objection (or غير مدفوعة، مدفوعة، ملغاة، قيد الاعتراض)`,
        ),
      );
    }
    const currency = text('currency').toUpperCase();
    const candidate = {
      ticketNumber: text('ticket_number'),
      offenceAt: toAsciiDigits(text('offence_at')),
      typeCode: text('type_code'),
      descriptionAr: text('description_ar'),
      descriptionEn: text('description_en'),
      location: text('location'),
      amountMinor: (amount ?? 0n).toString(),
      currency,
      status: status ?? 'unpaid',
      authorityPaymentRef: text('payment_ref') || null,
    };
    const checked = wireViolationSchema.safeParse(candidate);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        const field = wireField[String(issue.path[0])] ?? null;
        if (rowProblems.some((p) => p.field === field)) continue;
        const message =
          field === 'offence_at'
            ? `${JSON.stringify(candidate.offenceAt)} is not a date and time with its offset (${OFFSET_EXAMPLE})`
            : field === 'currency'
              ? `${JSON.stringify(currency)} is not a currency; expected ${profile.currency}`
              : candidate[String(issue.path[0]) as keyof typeof candidate] === ''
                ? 'is empty'
                : issue.message;
        rowProblems.push(problem(field, message));
      }
    }
    if (checked.success && currency !== profile.currency) {
      rowProblems.push(
        problem('currency', `currency ${currency}, expected ${profile.currency} for ${jurisdiction}`),
      );
    }
    if (candidate.ticketNumber !== '') {
      const earlier = ticketRows.get(candidate.ticketNumber);
      if (earlier) {
        const twice = problem(
          'ticket_number',
          `ticket ${candidate.ticketNumber} is also on row ${earlier.row}`,
        );
        rowProblems.push(twice);
        // The earlier row's plate cannot be answered either: which row is right is unknown.
        if (!result.plateProblems.has(earlier.plateKey)) result.plateProblems.set(earlier.plateKey, twice);
      } else if (plate.ok) {
        ticketRows.set(candidate.ticketNumber, { row: row.rowNumber, plateKey: plate.key });
      }
    }

    result.problems.push(...rowProblems);
    if (!plate.ok) {
      result.unattributed.push(...rowProblems);
      continue;
    }
    const first = rowProblems[0];
    if (first) {
      if (!result.plateProblems.has(plate.key)) result.plateProblems.set(plate.key, first);
      continue;
    }
    const list = result.byPlate.get(plate.key);
    const violation = checked.data as WireViolation;
    if (list) list.push(violation);
    else result.byPlate.set(plate.key, [violation]);
  }
  return result;
}

/** Reads an export already decoded to text (CSV only). */
export function readAuthorityExportCsv(
  jurisdiction: JurisdictionCode,
  text: string,
  limits: ExportLimits = defaultExportLimits,
): AuthorityExport {
  return buildExport(jurisdiction, 'csv', csvRows(text, limits), limits);
}

const XLSX_REQUIRED_ENTRIES = ['[Content_Types].xml', 'xl/workbook.xml'];

/**
 * Reads an export file (CSV in UTF-8/UTF-16/Windows-1256, or XLSX) safely. Throws
 * `AuthorityExportError` when the whole file is refused; row problems are in the result.
 */
export async function readAuthorityExport(
  jurisdiction: JurisdictionCode,
  bytes: Uint8Array,
  limits: ExportLimits = defaultExportLimits,
): Promise<AuthorityExport> {
  if (bytes.byteLength > limits.maxBytes) {
    throw new AuthorityExportError(
      'too_large',
      `the file is ${bytes.byteLength} bytes; at most ${limits.maxBytes} bytes are accepted`,
    );
  }
  if (bytes.byteLength === 0) throw new AuthorityExportError('empty', 'the file is empty');
  const sniffed = sniffFileType(bytes);
  if (sniffed.kind === 'refused') {
    throw new AuthorityExportError(
      'unsupported_type',
      `this is ${sniffed.description}, not CSV or XLSX. ${sniffed.advice}`,
    );
  }
  if (sniffed.kind === 'zip') {
    let names: string[];
    try {
      names = await guardZip(bytes, {
        maxUncompressedBytes: limits.maxUncompressedBytes,
        maxCompressionRatio: limits.maxCompressionRatio,
        maxEntries: limits.maxZipEntries,
      });
    } catch (error) {
      if (!(error instanceof ZipGuardError)) throw error;
      const kind = { bomb: 'zip_bomb', corrupt: 'corrupt', unsupported: 'unsupported_type' } as const;
      throw new AuthorityExportError(kind[error.problem.kind], error.problem.detail, { cause: error });
    }
    if (!XLSX_REQUIRED_ENTRIES.every((name) => names.includes(name))) {
      throw new AuthorityExportError(
        'unsupported_type',
        'this is a zip archive but not an Excel workbook (.xlsx); save the export as .xlsx or .csv',
      );
    }
    return buildExport(jurisdiction, 'xlsx', await xlsxRows(bytes, limits), limits);
  }
  const decoded = decodeCsvBytes(bytes);
  if (!decoded.ok) {
    const kind = decoded.problem === 'encoding' ? 'encoding' : 'unsupported_type';
    throw new AuthorityExportError(kind, `${decoded.detail}; save the export as "CSV UTF-8" or .xlsx`);
  }
  return readAuthorityExportCsv(jurisdiction, decoded.text, limits);
}

/* ---------------------------------------------------------------- provider */

export type FileProviderOptions = {
  jurisdiction: JurisdictionCode;
  /**
   * Plates the export declares it covers completely, or `'all'`: the export is the authority's
   * complete answer for every plate it will be asked about.
   */
  coveredPlates?: Iterable<string> | 'all';
} & ({ csv: string } | { parsed: AuthorityExport });

export function createFileAuthorityProvider(options: FileProviderOptions): AuthorityProvider {
  const { jurisdiction } = options;
  const parsed = 'parsed' in options ? options.parsed : readAuthorityExportCsv(jurisdiction, options.csv);
  if (parsed.jurisdiction !== jurisdiction) {
    throw new Error(`the export was read for ${parsed.jurisdiction}, not ${jurisdiction}`);
  }
  const firstUnattributed = parsed.unattributed[0];
  if (firstUnattributed) {
    // A row that belongs to no readable plate may be any plate's missing violation.
    throw new AuthorityExportError('invalid_row', `export ${describeProblem(firstUnattributed)}`, {
      row: firstUnattributed.row,
      ...(firstUnattributed.column === null ? {} : { column: firstUnattributed.column }),
    });
  }
  const coversAll = options.coveredPlates === 'all';
  const covered = new Set(options.coveredPlates === 'all' ? [] : (options.coveredPlates ?? []));

  return {
    async queryPlates(plateKeys) {
      const unique = [...new Set(plateKeys)];
      const answerable = unique.filter(
        (p) => !parsed.plateProblems.has(p) && (parsed.byPlate.has(p) || coversAll || covered.has(p)),
      );
      const reading = readAnswer(jurisdiction, answerable, {
        jurisdiction,
        asOf: new Date().toISOString(),
        results: answerable.map((plateKey) => ({
          plateKey,
          status: 'ok',
          violations: parsed.byPlate.get(plateKey) ?? [],
        })),
      });
      if (!reading.ok) throw new AuthorityExportError('invalid_row', reading.problem);
      const lookups = new Map<string, PlateLookup>();
      for (const plateKey of unique) {
        const outcome = reading.plates.get(plateKey);
        if (outcome?.kind === 'ok') lookups.set(plateKey, { status: 'ok', violations: outcome.violations });
        else {
          const problem = parsed.plateProblems.get(plateKey);
          const lastError = problem
            ? `export ${describeProblem(problem)}`
            : outcome?.kind === 'retry'
              ? `export: ${outcome.problem}`
              : 'plate not covered by the export';
          lookups.set(plateKey, { status: 'failed', attempts: 1, lastError });
        }
      }
      return lookups;
    },
  };
}
