/**
 * Fleet SQL: the fleet version, uploads and their staged rows, the diff and its apply (reading
 * vehicles is vehicles.repo.ts). Everything is set-based: a file's rows are COPYed in while it is
 * still being read, the diff against the current fleet is one statement, and applying is one
 * upsert plus (replace) one update — never a statement per row.
 *
 * Every write to `vehicles` must go through an apply that holds the fleet lock and bumps
 * `fleet_state.version`; that is what makes a stale preview detectable.
 */
import { type RawBuilder, sql } from 'kysely';
import { copyInto } from '../db/copy.ts';
import type { Executor } from '../db/tenant.ts';

export type UploadMode = 'replace' | 'merge';

/** The vehicle columns an upload may carry (besides the plate, which every upload has). */
export const optionalVehicleColumns = [
  'registration_number',
  'vin',
  'label',
  'cost_centre',
  'driver',
] as const;
export type OptionalVehicleColumn = (typeof optionalVehicleColumns)[number];

export interface Diff {
  added: number;
  removed: number;
  changed: number;
  unchanged: number;
}

/* ------------------------------------------------------------ account, lock */

export async function accountJurisdiction(trx: Executor, accountId: bigint): Promise<string | undefined> {
  const row = await trx
    .selectFrom('accounts')
    .select('jurisdiction')
    .where('id', '=', accountId)
    .executeTakeFirst();
  return row?.jurisdiction;
}

export async function fleetVersion(trx: Executor, accountId: bigint): Promise<bigint> {
  const row = await trx
    .selectFrom('fleet_state')
    .select('version')
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row?.version ?? 0n;
}

/**
 * Locks the account's fleet for the rest of the transaction and answers its version. Applies for
 * one account queue up here, so they never interleave.
 */
export async function lockFleet(trx: Executor, accountId: bigint): Promise<bigint> {
  await sql`insert into fleet_state (account_id) values (${accountId}) on conflict (account_id) do nothing`.execute(
    trx,
  );
  const { rows } = await sql<{ version: bigint }>`
    select version from fleet_state where account_id = ${accountId} for update`.execute(trx);
  return rows[0]!.version;
}

export async function bumpFleetVersion(trx: Executor, accountId: bigint): Promise<bigint> {
  const { rows } = await sql<{ version: bigint }>`
    update fleet_state set version = version + 1, updated_at = now()
    where account_id = ${accountId} returning version`.execute(trx);
  return rows[0]!.version;
}

/* ----------------------------------------------------------------- uploads */

export const uploadColumns = [
  'id',
  'file_name',
  'file_sha256',
  'byte_size',
  'format',
  'mode',
  'status',
  'file_error',
  'columns',
  'header_row_number',
  'row_count',
  'valid_count',
  'invalid_count',
  'duplicate_count',
  'warning_count',
  'diff_added',
  'diff_removed',
  'diff_changed',
  'diff_unchanged',
  'base_version',
  'present_fields',
  'attribute_headers',
  'created_by',
  'created_at',
  'applied_at',
  'applied_by',
] as const;

export function findUpload(
  trx: Executor,
  accountId: bigint,
  uploadId: bigint,
  options: { lock?: boolean } = {},
) {
  let query = trx
    .selectFrom('uploads')
    .select(uploadColumns)
    .where('account_id', '=', accountId)
    .where('id', '=', uploadId);
  if (options.lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export type UploadRow = NonNullable<Awaited<ReturnType<typeof findUpload>>>;

/** A previewed upload of the same file (name and bytes), in the same mode, against the fleet as it is now. */
export async function findReusableUpload(
  trx: Executor,
  accountId: bigint,
  fileName: string,
  sha256: string,
  mode: UploadMode,
  version: bigint,
): Promise<bigint | undefined> {
  const row = await trx
    .selectFrom('uploads')
    .select('id')
    .where('account_id', '=', accountId)
    .where('file_sha256', '=', sha256)
    .where('file_name', '=', fileName)
    .where('mode', '=', mode)
    .where('status', '=', 'previewed')
    .where('base_version', '=', version)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}

export interface UploadCounts {
  rows: number;
  valid: number;
  invalid: number;
  duplicate: number;
  warnings: number;
}

/** An upload whose file was read; its counts are saved once the last row is staged. */
export interface NewUpload {
  accountId: bigint;
  fileName: string;
  sha256: string | null;
  byteSize: number;
  format: 'csv' | 'xlsx' | null;
  mode: UploadMode;
  columns: { header: string; field: string | null }[];
  presentFields: OptionalVehicleColumn[];
  attributeHeaders: string[];
  headerRowNumber: number | null;
  createdBy: bigint | null;
  createdByToken: bigint | null;
}

export async function insertUpload(trx: Executor, upload: NewUpload): Promise<bigint> {
  const row = await trx
    .insertInto('uploads')
    .values({
      account_id: upload.accountId,
      file_name: upload.fileName,
      file_sha256: upload.sha256,
      byte_size: BigInt(upload.byteSize),
      format: upload.format,
      mode: upload.mode,
      status: 'previewed',
      columns: JSON.stringify(upload.columns),
      present_fields: upload.presentFields,
      attribute_headers: upload.attributeHeaders,
      header_row_number: upload.headerRowNumber,
      created_by: upload.createdBy,
      created_by_token: upload.createdByToken,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function saveUploadCounts(
  trx: Executor,
  accountId: bigint,
  uploadId: bigint,
  counts: UploadCounts,
): Promise<void> {
  await trx
    .updateTable('uploads')
    .set({
      row_count: counts.rows,
      valid_count: counts.valid,
      invalid_count: counts.invalid,
      duplicate_count: counts.duplicate,
      warning_count: counts.warnings,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', uploadId)
    .execute();
}

export async function insertRejectedUpload(
  trx: Executor,
  upload: Pick<
    NewUpload,
    'accountId' | 'fileName' | 'sha256' | 'byteSize' | 'mode' | 'createdBy' | 'createdByToken'
  >,
  fileError: { code: string; message: string; messageAr: string; location: unknown },
): Promise<bigint> {
  const row = await trx
    .insertInto('uploads')
    .values({
      account_id: upload.accountId,
      file_name: upload.fileName,
      file_sha256: upload.sha256,
      byte_size: BigInt(upload.byteSize),
      mode: upload.mode,
      status: 'rejected',
      file_error: JSON.stringify(fileError),
      created_by: upload.createdBy,
      created_by_token: upload.createdByToken,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Temporary tables, dropped at commit, that an upload's rows are COPYed into while the file is
 * still being read (tables under row-level security refuse COPY); each batch is then moved into
 * the upload's own tables with one statement, while the next one is being read.
 */
export async function createUploadStaging(trx: Executor): Promise<void> {
  await sql`
    create temp table staged_upload_rows (
      plate_key text, row_number integer, plate jsonb, plate_display text, registration_number text,
      vin text, label text, cost_centre text, driver text, attributes jsonb) on commit drop`.execute(trx);
  await sql`
    create temp table staged_upload_issues (
      seq integer, row_number integer, severity text, column_name text, code text, message text,
      message_ar text) on commit drop`.execute(trx);
  await sql`create temp table staged_upload_rejects (row_number integer, cells jsonb) on commit drop`.execute(
    trx,
  );
}

/**
 * Stages a batch of valid rows (COPY text as UTF-8, columns in the order of `staged_upload_rows`).
 * The staging table is emptied with TRUNCATE, not DELETE: deleted rows stay in the table until the
 * transaction ends, so each batch would scan every earlier one again.
 */
export async function stageUploadRows(
  trx: Executor,
  accountId: bigint,
  uploadId: bigint,
  copy: Uint8Array,
): Promise<void> {
  await copyInto(trx, 'copy staged_upload_rows from stdin', [copy]);
  await sql`
    insert into upload_rows (account_id, upload_id, plate_key, row_number, plate, plate_display,
                             registration_number, vin, label, cost_centre, driver, attributes)
    select ${accountId}, ${uploadId}, s.plate_key, s.row_number, s.plate, s.plate_display,
           s.registration_number, s.vin, s.label, s.cost_centre, s.driver, s.attributes
    from staged_upload_rows s`.execute(trx);
  await sql`truncate staged_upload_rows`.execute(trx);
}

/** Stores the upload's errors, warnings and rejected rows (COPY text, in their staging tables' column order). */
export async function stageUploadReport(
  trx: Executor,
  accountId: bigint,
  uploadId: bigint,
  issues: string,
  rejects: string,
): Promise<void> {
  if (issues !== '') {
    await copyInto(trx, 'copy staged_upload_issues from stdin', [issues]);
    await sql`
      insert into upload_issues (account_id, upload_id, seq, row_number, severity, column_name, code, message, message_ar)
      select ${accountId}, ${uploadId}, s.seq, s.row_number, s.severity, s.column_name, s.code, s.message, s.message_ar
      from staged_upload_issues s`.execute(trx);
  }
  if (rejects !== '') {
    await copyInto(trx, 'copy staged_upload_rejects from stdin', [rejects]);
    await sql`
      insert into upload_rejects (account_id, upload_id, row_number, cells)
      select ${accountId}, ${uploadId}, s.row_number, s.cells from staged_upload_rejects s`.execute(trx);
  }
}

export function listUploadIssues(
  trx: Executor,
  accountId: bigint,
  uploadId: bigint,
  severity: 'error' | 'warning',
  limit: number,
) {
  return trx
    .selectFrom('upload_issues')
    .select(['row_number', 'column_name', 'code', 'message', 'message_ar'])
    .where('account_id', '=', accountId)
    .where('upload_id', '=', uploadId)
    .where('severity', '=', severity)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/**
 * A page of rejected rows with their errors joined into one reason text: Arabic, then English.
 * The page's errors are read in one pass over the upload's and grouped by row: upload_issues is
 * keyed by report order, not by row, so a lookup per row would scan all the upload's errors each
 * time (quadratic in a big refused file).
 */
export async function listRejectedRows(
  trx: Executor,
  accountId: bigint,
  uploadId: bigint,
  afterRow: number,
  limit: number,
): Promise<{ rowNumber: number; cells: string[]; reason: string }[]> {
  const { rows } = await sql<{ row_number: number; cells: string[]; reason: string }>`
    with page as (
      select r.row_number, r.cells from upload_rejects r
      where r.account_id = ${accountId} and r.upload_id = ${uploadId} and r.row_number > ${afterRow}
      order by r.row_number
      limit ${limit}
    ), reasons as (
      select i.row_number,
             string_agg(case when i.column_name is null then i.message_ar
                             else i.column_name || ': ' || i.message_ar end, ' | ' order by i.seq)
             || E'\n'
             || string_agg(case when i.column_name is null then i.message
                                else i.column_name || ': ' || i.message end, ' | ' order by i.seq) as reason
      from upload_issues i
      where i.account_id = ${accountId} and i.upload_id = ${uploadId} and i.severity = 'error'
        and i.row_number > ${afterRow} and i.row_number <= (select max(row_number) from page)
      group by i.row_number
    )
    select p.row_number, p.cells, coalesce(x.reason, '') as reason
    from page p left join reasons x on x.row_number = p.row_number
    order by p.row_number`.execute(trx);
  return rows.map((row) => ({ rowNumber: row.row_number, cells: row.cells, reason: row.reason }));
}

/* -------------------------------------------------------------------- diff */

/*
 * How an upload's row becomes a vehicle, in one place for the diff and the apply: fields whose
 * column the file does not have keep their current value; attribute columns the file has replace
 * those attribute keys, other keys are kept. `row` is the upload's row, `current` the vehicle
 * (null columns when there is none), `present`/`headers` the upload's present_fields and
 * attribute_headers.
 */
function merged(row: string, current: string, present: RawBuilder<unknown>, headers: RawBuilder<unknown>) {
  const r = sql.raw(row);
  const v = sql.raw(current);
  const field = (column: OptionalVehicleColumn) =>
    sql`case when ${sql.lit(column)} = any(${present}) then ${r}.${sql.ref(column)} else ${v}.${sql.ref(column)} end`;
  return {
    registration_number: field('registration_number'),
    vin: field('vin'),
    label: field('label'),
    cost_centre: field('cost_centre'),
    driver: field('driver'),
    attributes: sql`coalesce(${v}.attributes - ${headers}, '{}'::jsonb) || ${r}.attributes`,
  };
}

/** True when the merged vehicle differs from the current one (same comparison for diff and apply). */
function differs(row: string, current: string, present: RawBuilder<unknown>, headers: RawBuilder<unknown>) {
  const m = merged(row, current, present, headers);
  const r = sql.raw(row);
  const v = sql.raw(current);
  return sql`(${r}.plate, ${r}.plate_display, ${m.registration_number}, ${m.vin}, ${m.label}, ${m.cost_centre}, ${m.driver}, ${m.attributes})
    is distinct from
    (${v}.plate, ${v}.plate_display, ${v}.registration_number, ${v}.vin, ${v}.label, ${v}.cost_centre, ${v}.driver, ${v}.attributes)`;
}

/** Which of a vehicle's fields an upload sets (uploads.present_fields and attribute_headers). */
export interface UploadFieldSet {
  presentFields: string[];
  attributeHeaders: string[];
}

/**
 * The field set as SQL arrays. Passed as parameters rather than joined from `uploads`: the join
 * has no column to hash on, so it became a nested loop re-reading `uploads` once per row.
 */
function fieldArrays(fields: UploadFieldSet) {
  return {
    present: sql`${fields.presentFields}::text[]`,
    headers: sql`${fields.attributeHeaders}::text[]`,
  };
}

/** Condition on `vehicles v`: an active vehicle the upload does not list (what a replace removes). */
function notListed(accountId: bigint, uploadId: bigint): RawBuilder<unknown> {
  return sql`v.account_id = ${accountId} and v.active_until is null
    and not exists (select 1 from upload_rows r
                    where r.account_id = ${accountId} and r.upload_id = ${uploadId} and r.plate_key = v.plate_key)`;
}

/**
 * The diff against the fleet as it is now, and that fleet's version, read in one snapshot: each
 * row is `added` (a new plate, or a removed vehicle coming back), `changed` or `unchanged`;
 * `removed` counts (replace only) the active vehicles the upload does not list.
 */
export async function computeDiff(
  trx: Executor,
  accountId: bigint,
  uploadId: bigint,
  mode: UploadMode,
  fields: UploadFieldSet,
): Promise<Diff & { version: bigint }> {
  const { present, headers } = fieldArrays(fields);
  const changed = differs('r', 'v', present, headers);
  const { rows } = await sql<Diff & { version: bigint }>`
    with p as (
      select case when v.id is null or v.active_until is not null then 'added'
                  when ${changed} then 'changed'
                  else 'unchanged' end as kind
      from upload_rows r
      left join vehicles v on v.account_id = r.account_id and v.plate_key = r.plate_key
      where r.account_id = ${accountId} and r.upload_id = ${uploadId}
    )
    select (select count(*) from p where kind = 'added')::int as added,
           (select count(*) from p where kind = 'changed')::int as changed,
           (select count(*) from p where kind = 'unchanged')::int as unchanged,
           ${mode === 'replace' ? sql`(select count(*) from vehicles v where ${notListed(accountId, uploadId)})::int` : sql`0`} as removed,
           coalesce((select version from fleet_state where account_id = ${accountId}), 0::bigint) as version`.execute(
    trx,
  );
  return rows[0]!;
}

export async function saveUploadDiff(
  trx: Executor,
  accountId: bigint,
  uploadId: bigint,
  diff: Diff,
  version: bigint,
): Promise<void> {
  await trx
    .updateTable('uploads')
    .set({
      diff_added: diff.added,
      diff_removed: diff.removed,
      diff_changed: diff.changed,
      diff_unchanged: diff.unchanged,
      base_version: version,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', uploadId)
    .execute();
}

/* ------------------------------------------------------------------- apply */

/**
 * Adds the vehicles whose plates the account has never had: one plain insert (the fleet lock
 * keeps anyone else from adding the same plate meanwhile; the unique key would stop it anyway).
 */
export async function insertUploadVehicles(
  trx: Executor,
  accountId: bigint,
  uploadId: bigint,
): Promise<number> {
  const result = await sql`
    insert into vehicles (account_id, plate_key, plate, plate_display, registration_number, vin, label,
                          cost_centre, driver, attributes)
    select r.account_id, r.plate_key, r.plate, r.plate_display, r.registration_number, r.vin, r.label,
           r.cost_centre, r.driver, r.attributes
    from upload_rows r
    where r.account_id = ${accountId} and r.upload_id = ${uploadId}
      and not exists (select 1 from vehicles v where v.account_id = ${accountId} and v.plate_key = r.plate_key)`.execute(
    trx,
  );
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Reopens removed vehicles the upload lists and updates changed ones, in one statement; a
 * vehicle the row neither reopens nor changes is not touched.
 */
export async function updateUploadVehicles(
  trx: Executor,
  accountId: bigint,
  uploadId: bigint,
  fields: UploadFieldSet,
): Promise<number> {
  const { present, headers } = fieldArrays(fields);
  const m = merged('r', 'v', present, headers);
  const result = await sql`
    update vehicles v set
      plate = r.plate,
      plate_display = r.plate_display,
      registration_number = ${m.registration_number},
      vin = ${m.vin},
      label = ${m.label},
      cost_centre = ${m.cost_centre},
      driver = ${m.driver},
      attributes = ${m.attributes},
      active_from = case when v.active_until is null then v.active_from else now() end,
      active_until = null,
      updated_at = now()
    from upload_rows r
    where r.account_id = ${accountId} and r.upload_id = ${uploadId}
      and v.account_id = ${accountId} and v.plate_key = r.plate_key
      and (v.active_until is not null or ${differs('r', 'v', present, headers)})`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

/** Replace: ends the active period of every active vehicle the upload does not list. */
export async function endVehiclesNotListed(
  trx: Executor,
  accountId: bigint,
  uploadId: bigint,
): Promise<number> {
  const result = await sql`
    update vehicles v set active_until = now(), updated_at = now()
    where ${notListed(accountId, uploadId)}`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

export async function markUploadApplied(
  trx: Executor,
  accountId: bigint,
  uploadId: bigint,
  by: { userId: bigint | null; tokenId: bigint | null },
): Promise<void> {
  await trx
    .updateTable('uploads')
    .set({
      status: 'applied',
      applied_at: sql<Date>`now()`,
      applied_by: by.userId,
      applied_by_token: by.tokenId,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', uploadId)
    .execute();
}
