/**
 * Fleet uploads and vehicles.
 *
 * An upload is read and validated in a worker thread (no transaction is held meanwhile), then
 * stored with its report and its valid rows staged in one transaction, and previewed as a diff
 * against the current fleet. Applying locks the account's fleet, refuses a stale preview (the
 * fleet changed since: 409 with the recomputed diff, which the next apply confirms), and applies
 * set-based. Same file twice = same result: a re-sent file gets the existing preview back, an
 * applied upload applied again changes nothing, and a file already applied previews as unchanged.
 */

import { findMembershipRole } from '../accounts/accounts.repo.ts';
import { appendAudit } from '../audit/audit.repo.ts';
import type { Principal } from '../auth/auth.service.ts';
import type { Database } from '../db/database.ts';
import { withoutNestedLoops } from '../db/planner.ts';
import { type Tx, withTenant } from '../db/tenant.ts';
import { DomainError, notFound } from '../errors.ts';
import { bilingual, message } from '../i18n/messages.ts';
import { type JurisdictionCode, jurisdictions } from '../jurisdictions/profiles.ts';
import { parsePlate } from '../plates/plates.ts';
import { normaliseCell, toAsciiDigits } from '../sheets/normalise.ts';
import {
  accountJurisdiction,
  bumpFleetVersion,
  computeDiff,
  createUploadStaging,
  type Diff,
  endVehiclesNotListed,
  findReusableUpload,
  findUpload,
  fleetVersion,
  insertRejectedUpload,
  insertUpload,
  insertUploadVehicles,
  listRejectedRows,
  listUploadIssues,
  lockFleet,
  markUploadApplied,
  type OptionalVehicleColumn,
  saveUploadCounts,
  saveUploadDiff,
  stageUploadReport,
  stageUploadRows,
  type UploadMode,
  type UploadRow,
  updateUploadVehicles,
} from './fleet.repo.ts';
import type { VehicleField } from './upload-columns.ts';
import { UploadError, type UploadErrorCode } from './upload-error.ts';
import { type ErrorsFileRow, writeErrorsWorkbook } from './upload-errors-file.ts';
import { parseUpload } from './upload-parse.ts';
import { defaultUploadLimits, type UploadLimits } from './upload-read.ts';
import type { ReceivedUpload } from './upload-receive.ts';
import { writeUploadTemplate } from './upload-template.ts';
import { findVehicle, listVehicles, type VehicleRow } from './vehicles.repo.ts';

/**
 * What one upload may be: up to 100,000 vehicles and 25 MB (a 100,000-row CSV with every column
 * is about 12 MB). The zip and cell limits are the reader's defaults.
 */
export const fleetUploadLimits: UploadLimits = {
  ...defaultUploadLimits,
  maxBytes: 25 * 1024 * 1024,
  maxRows: 100_000,
};

/** Errors and warnings listed in a report; all of them are in the errors file. */
export const REPORT_ISSUE_LIMIT = 1_000;

export const uploadModes = ['replace', 'merge'] as const;

/** Whole-file refusals: the status says what kind of problem, the code says exactly which. */
export const uploadErrorStatus: Record<UploadErrorCode, number> = {
  'upload.too_large': 413,
  'upload.too_many_rows': 413,
  'upload.zip_bomb': 422,
  'upload.unsupported_type': 415,
  'upload.encoding': 422,
  'upload.empty': 422,
  'upload.duplicate_header': 422,
  'upload.missing_column': 422,
  'upload.cell_too_large': 422,
  'upload.corrupt': 422,
};

export interface Actor {
  userId: bigint | null;
  tokenId: bigint | null;
  ip: string | null;
}

export type TenantRunner = <T>(work: (trx: Tx) => Promise<T>) => Promise<T>;

const columnOfField: Partial<Record<VehicleField, OptionalVehicleColumn>> = {
  registrationNumber: 'registration_number',
  vin: 'vin',
  label: 'label',
  costCentre: 'cost_centre',
  driver: 'driver',
};

async function jurisdictionOf(trx: Tx, accountId: bigint): Promise<JurisdictionCode> {
  const code = await accountJurisdiction(trx, accountId);
  if (!code) throw new DomainError('account_not_found', 'no such account', { status: 404 });
  return code as JurisdictionCode;
}

/* ---------------------------------------------------------------- reports */

export interface UploadIssueView {
  row: number;
  column: string | null;
  code: string;
  message: string;
  messageAr: string;
}

export interface UploadReport {
  id: string;
  status: 'previewed' | 'applied' | 'rejected';
  fileName: string;
  mode: UploadMode;
  format: 'csv' | 'xlsx' | null;
  sha256: string | null;
  byteSize: number;
  counts: { rows: number; valid: number; invalid: number; duplicate: number; warnings: number };
  diff: Diff;
  /** A previewed upload whose fleet has changed since: applying it answers 409 with a fresh diff. */
  stale: boolean;
  /**
   * The file's columns as read: the vehicle field each was taken for (null: kept as an attribute)
   * and, for plate parts and plate-like short headers, why.
   */
  columns: { header: string; field: string | null; note?: { en: string; ar: string } }[];
  errors: UploadIssueView[];
  errorsTruncated: boolean;
  warnings: UploadIssueView[];
  warningsTruncated: boolean;
  fileError: { code: string; message: string; messageAr: string } | null;
  createdAt: Date;
  appliedAt: Date | null;
}

async function issues(trx: Tx, accountId: bigint, uploadId: bigint, severity: 'error' | 'warning') {
  const rows = await listUploadIssues(trx, accountId, uploadId, severity, REPORT_ISSUE_LIMIT);
  return rows.map((row) => ({
    row: row.row_number,
    column: row.column_name,
    code: row.code,
    message: row.message,
    messageAr: row.message_ar,
  }));
}

async function reportOf(trx: Tx, accountId: bigint, upload: UploadRow): Promise<UploadReport> {
  const [errors, warnings, version] = await Promise.all([
    upload.invalid_count + upload.duplicate_count > 0 ? issues(trx, accountId, upload.id, 'error') : [],
    upload.warning_count > 0 ? issues(trx, accountId, upload.id, 'warning') : [],
    upload.status === 'previewed' ? fleetVersion(trx, accountId) : upload.base_version,
  ]);
  const fileError = upload.file_error as { code: string; message: string; messageAr?: string } | null;
  return {
    id: upload.id.toString(),
    status: upload.status as UploadReport['status'],
    fileName: upload.file_name,
    mode: upload.mode as UploadMode,
    format: upload.format as UploadReport['format'],
    sha256: upload.file_sha256,
    byteSize: Number(upload.byte_size),
    counts: {
      rows: upload.row_count,
      valid: upload.valid_count,
      invalid: upload.invalid_count,
      duplicate: upload.duplicate_count,
      warnings: upload.warning_count,
    },
    diff: {
      added: upload.diff_added,
      removed: upload.diff_removed,
      changed: upload.diff_changed,
      unchanged: upload.diff_unchanged,
    },
    stale: upload.status === 'previewed' && version !== upload.base_version,
    columns: upload.columns as UploadReport['columns'],
    errors,
    errorsTruncated: errors.length >= REPORT_ISSUE_LIMIT,
    warnings,
    warningsTruncated: warnings.length >= REPORT_ISSUE_LIMIT,
    fileError: fileError
      ? {
          code: fileError.code,
          message: fileError.message,
          // A refusal stored without its Arabic words is said in general terms.
          messageAr: fileError.messageAr ?? message('ar', 'uploads.file_refused'),
        }
      : null,
    createdAt: upload.created_at,
    appliedAt: upload.applied_at,
  };
}

async function loadUpload(trx: Tx, accountId: bigint, uploadId: bigint, lock = false): Promise<UploadRow> {
  const upload = await findUpload(trx, accountId, uploadId, { lock });
  if (!upload) throw notFound('upload', 'no such upload in this account', { uploadId: uploadId.toString() });
  return upload;
}

export async function getUploadReport(trx: Tx, accountId: bigint, uploadId: bigint): Promise<UploadReport> {
  return reportOf(trx, accountId, await loadUpload(trx, accountId, uploadId));
}

/* ----------------------------------------------------------------- upload */

/**
 * Reads, validates, stores and previews an uploaded file. A refused file is recorded as a
 * rejected upload and answered with its specific 4xx; the fleet is never touched here.
 */
export async function createUpload(
  tenant: TenantRunner,
  accountId: bigint,
  actor: Actor,
  received: ReceivedUpload,
  mode: UploadMode,
  limits: UploadLimits = fleetUploadLimits,
): Promise<{ created: boolean; report: UploadReport }> {
  const { jurisdiction, reused } = await tenant(async (trx) => {
    const jurisdiction = await jurisdictionOf(trx, accountId);
    if (received.sha256 === null) return { jurisdiction, reused: undefined };
    const id = await findReusableUpload(
      trx,
      accountId,
      received.fileName,
      received.sha256,
      mode,
      await fleetVersion(trx, accountId),
    );
    return { jurisdiction, reused: id === undefined ? undefined : await getUploadReport(trx, accountId, id) };
  });
  if (reused) return { created: false, report: reused };

  const base = {
    accountId,
    fileName: received.fileName,
    sha256: received.sha256,
    byteSize: received.size,
    mode,
    createdBy: actor.userId,
    createdByToken: actor.tokenId,
  };
  const events = parseUpload({
    fileName: received.fileName,
    bytes: received.bytes ?? new Uint8Array(0),
    jurisdiction,
    limits,
  });
  try {
    if (received.bytes === null) {
      throw new UploadError(
        'upload.too_large',
        { fileName: received.fileName },
        bilingual('uploads.file_too_large', { max: String(limits.maxBytes) }),
      );
    }
    // Most refusals come before the header is found; only then is a transaction worth opening.
    const first = await events.next();
    if (first.done || first.value.type !== 'header') throw new Error('upload parser sent no header first');
    const header = first.value.header;
    const fields = new Set(header.columns.map((column) => column.field));
    const presentFields = Object.entries(columnOfField)
      .filter(([field]) => fields.has(field as VehicleField))
      .map(([, column]) => column);
    const attributeHeaders = header.columns
      .filter((column) => column.field === null)
      .map((column) => column.header);
    const report = await tenant(async (trx) => {
      const uploadId = await insertUpload(trx, {
        ...base,
        format: header.format,
        columns: header.columns,
        presentFields,
        attributeHeaders,
        headerRowNumber: header.headerRowNumber,
      });
      await createUploadStaging(trx);
      for await (const event of events) {
        if (event.type === 'rows') {
          await stageUploadRows(trx, accountId, uploadId, event.copy);
          continue;
        }
        if (event.type !== 'done') throw new Error(`upload parser sent a second ${event.type}`);
        await stageUploadReport(trx, accountId, uploadId, event.issues, event.rejects);
        await saveUploadCounts(trx, accountId, uploadId, {
          rows: event.counts.rows,
          valid: event.counts.valid,
          invalid: event.counts.rejected - event.counts.duplicate,
          duplicate: event.counts.duplicate,
          warnings: event.counts.warnings,
        });
        const { version, ...diff } = await withoutNestedLoops(trx, () =>
          computeDiff(trx, accountId, uploadId, mode, { presentFields, attributeHeaders }),
        );
        await saveUploadDiff(trx, accountId, uploadId, diff, version);
        return getUploadReport(trx, accountId, uploadId);
      }
      throw new Error('upload parser ended without its counts');
    });
    return { created: true, report };
  } catch (error) {
    if (!(error instanceof UploadError)) throw error;
    const uploadId = await tenant((trx) =>
      insertRejectedUpload(trx, base, {
        code: error.code,
        message: error.message,
        messageAr: error.messageAr,
        location: error.location,
      }),
    );
    throw new DomainError(
      error.code,
      { en: error.message, ar: error.messageAr },
      {
        status: uploadErrorStatus[error.code],
        details: { uploadId: uploadId.toString(), location: error.location },
        cause: error,
      },
    );
  } finally {
    await events.return(undefined);
  }
}

/* ------------------------------------------------------------------ apply */

export type ApplyOutcome =
  | { outcome: 'applied' | 'already_applied'; report: UploadReport }
  | { outcome: 'stale'; report: UploadReport };

/**
 * Applies a previewed upload in the caller's transaction. Holds the account's fleet lock, so
 * concurrent applies for one account run one after another; a stale preview is recomputed and
 * refused (the caller answers 409 and commits the fresh preview, which the next apply confirms).
 */
export async function applyUpload(
  trx: Tx,
  accountId: bigint,
  uploadId: bigint,
  actor: Actor,
  options: { skipInvalidRows: boolean },
): Promise<ApplyOutcome> {
  const version = await lockFleet(trx, accountId);
  const upload = await loadUpload(trx, accountId, uploadId, true);
  if (upload.status === 'applied') {
    return { outcome: 'already_applied', report: await reportOf(trx, accountId, upload) };
  }
  if (upload.status === 'rejected') {
    throw new DomainError('upload.rejected', 'this file was refused; there is nothing to apply', {
      status: 409,
      details: { uploadId: upload.id.toString(), fileError: upload.file_error },
    });
  }
  const rejected = upload.invalid_count + upload.duplicate_count;
  if (upload.mode === 'replace' && upload.valid_count === 0) {
    throw new DomainError(
      'upload.no_valid_rows',
      'the list has no valid row; replacing the fleet with it would remove every vehicle',
      {
        status: 422,
        details: { uploadId: upload.id.toString() },
      },
    );
  }
  if (upload.mode === 'replace' && rejected > 0 && !options.skipInvalidRows) {
    throw new DomainError(
      'upload.has_errors',
      `${rejected} row${rejected === 1 ? ' was' : 's were'} rejected; replacing the fleet now would remove their vehicles. Fix the rows and upload again, or apply with "skipInvalidRows": true.`,
      { status: 422, details: { uploadId: upload.id.toString(), rejectedRows: rejected } },
    );
  }

  const mode = upload.mode as UploadMode;
  const fields = { presentFields: upload.present_fields, attributeHeaders: upload.attribute_headers };
  if (upload.base_version !== version) {
    const { version: current, ...diff } = await withoutNestedLoops(trx, () =>
      computeDiff(trx, accountId, uploadId, mode, fields),
    );
    await saveUploadDiff(trx, accountId, uploadId, diff, current);
    return { outcome: 'stale', report: await getUploadReport(trx, accountId, uploadId) };
  }

  // Removals first: the vehicles about to be added are listed, so they need not be looked at.
  const ended =
    mode === 'replace'
      ? await withoutNestedLoops(trx, () => endVehiclesNotListed(trx, accountId, uploadId))
      : 0;
  const upserted = await withoutNestedLoops(
    trx,
    async () =>
      (await updateUploadVehicles(trx, accountId, uploadId, fields)) +
      (await insertUploadVehicles(trx, accountId, uploadId)),
  );
  // The lock and the version guarantee the fleet is the one the preview saw; check it anyway.
  if (upserted !== upload.diff_added + upload.diff_changed || ended !== upload.diff_removed) {
    throw new Error(
      `upload ${uploadId}: applied ${upserted} upserts and ${ended} removals, but the preview said ${upload.diff_added}+${upload.diff_changed} and ${upload.diff_removed}`,
    );
  }
  if (upserted + ended > 0) await bumpFleetVersion(trx, accountId);
  await markUploadApplied(trx, accountId, uploadId, actor);
  await appendAudit(trx, {
    accountId,
    actorUserId: actor.userId,
    actorTokenId: actor.tokenId,
    ip: actor.ip,
    action: 'fleet.upload.applied',
    target: `upload:${uploadId}`,
    details: {
      fileName: upload.file_name,
      sha256: upload.file_sha256,
      mode,
      added: upload.diff_added,
      removed: upload.diff_removed,
      changed: upload.diff_changed,
      unchanged: upload.diff_unchanged,
      skippedRows: rejected,
    },
  });
  return { outcome: 'applied', report: await getUploadReport(trx, accountId, uploadId) };
}

/* ------------------------------------------------------------ files out */

const ERRORS_PAGE = 5_000;

async function* rejectedPages(trx: Tx, accountId: bigint, uploadId: bigint): AsyncGenerator<ErrorsFileRow[]> {
  let after = 0;
  for (;;) {
    // A page joined with its errors, both just written by the upload: hash or merge joins, never a
    // nested loop of the page's rows against its errors.
    const page = await withoutNestedLoops(trx, () =>
      listRejectedRows(trx, accountId, uploadId, after, ERRORS_PAGE),
    );
    if (page.length === 0) return;
    yield page;
    after = page.at(-1)!.rowNumber;
  }
}

const ARABIC = /[\u0600-\u06ff]/;

/** The rejected rows with a reason column, as xlsx, for fixing and uploading again. */
export async function uploadErrorsFile(
  trx: Tx,
  accountId: bigint,
  uploadId: bigint,
): Promise<{ fileName: string; bytes: Buffer }> {
  const upload = await loadUpload(trx, accountId, uploadId);
  const headers = (upload.columns as { header: string }[]).map((column) => column.header);
  const bytes = await writeErrorsWorkbook(headers, rejectedPages(trx, accountId, uploadId), {
    rightToLeft: headers.some((header) => ARABIC.test(header)),
  });
  const stem = upload.file_name.replace(/\.[^.]*$/, '') || 'upload';
  return { fileName: `${stem}-errors.xlsx`, bytes };
}

/**
 * The jurisdiction of the template to give: the one asked for, else the account's (the API
 * token's, or the x-account-id header's when the caller is a member).
 */
export async function templateJurisdiction(
  db: Database,
  principal: Principal,
  asked: JurisdictionCode | undefined,
  accountHeader: bigint | undefined,
): Promise<JurisdictionCode> {
  if (asked) return asked;
  const accountId = principal.kind === 'token' ? principal.accountId : accountHeader;
  if (accountId === undefined) {
    throw new DomainError(
      'jurisdiction_required',
      'name the jurisdiction (?jurisdiction=JO, IQ or EG) or the account (x-account-id)',
      { status: 400 },
    );
  }
  const code = await withTenant(db, accountId, async (trx) => {
    if (principal.kind === 'session' && !(await findMembershipRole(trx, accountId, principal.userId))) {
      return undefined;
    }
    return accountJurisdiction(trx, accountId);
  });
  if (!code) {
    throw new DomainError('account_not_found', 'no such account, or you are not a member of it', {
      status: 404,
    });
  }
  return code as JurisdictionCode;
}

export async function uploadTemplate(
  jurisdiction: JurisdictionCode,
): Promise<{ fileName: string; bytes: Buffer }> {
  return {
    fileName: `vehicles-template-${jurisdictions[jurisdiction].code}.xlsx`,
    bytes: await writeUploadTemplate(jurisdiction),
  };
}

/* --------------------------------------------------------------- vehicles */

export function presentVehicle(row: VehicleRow) {
  return {
    id: row.id.toString(),
    plateKey: row.plate_key,
    plateDisplay: row.plate_display,
    plate: row.plate,
    registrationNumber: row.registration_number,
    vin: row.vin,
    label: row.label,
    costCentre: row.cost_centre,
    driver: row.driver,
    attributes: row.attributes,
    active: row.active_until === null,
    activeFrom: row.active_from,
    activeUntil: row.active_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface VehicleQuery {
  q?: string | undefined;
  status: 'active' | 'removed' | 'all';
  costCentre?: string | undefined;
  limit: number;
  after?: bigint | undefined;
}

/**
 * The account's vehicles, by id, a page at a time. `q` finds a plate in any written form (it is
 * parsed with the account's plate scheme and matched on the canonical key), and otherwise the
 * start of a registration number or VIN, or text in the label or the plate as shown.
 */
export async function searchVehicles(trx: Tx, accountId: bigint, query: VehicleQuery) {
  let plateKey: string | undefined;
  let text: string | undefined;
  if (query.q !== undefined) {
    const cleaned = normaliseCell(toAsciiDigits(query.q));
    if (cleaned !== '') {
      text = cleaned;
      const plate = parsePlate(await jurisdictionOf(trx, accountId), query.q);
      if (plate.ok) plateKey = plate.plate.key;
    }
  }
  const rows = await listVehicles(trx, accountId, {
    status: query.status,
    ...(query.costCentre !== undefined ? { costCentre: query.costCentre } : {}),
    plateKey,
    text,
    after: query.after,
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  return {
    vehicles: page.map(presentVehicle),
    nextCursor: rows.length > query.limit ? page.at(-1)!.id.toString() : null,
  };
}

export async function getVehicle(trx: Tx, accountId: bigint, vehicleId: bigint) {
  const row = await findVehicle(trx, accountId, vehicleId);
  if (!row) throw notFound('vehicle', 'no such vehicle in this account', { vehicleId: vehicleId.toString() });
  return presentVehicle(row);
}
