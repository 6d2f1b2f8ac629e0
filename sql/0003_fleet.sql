-- The fleet: vehicles, the fleet version that makes stale previews detectable, and uploads
-- (vehicle list files) with their staged rows and row-level report.
--
-- Vehicle identity: a vehicle is one plate identity in one account, so there is exactly one row
-- per (account_id, plate_key), ever. Vehicles are never deleted: removal ends the active period
-- (active_until is set); uploading a removed plate again reopens the same row (same id, so its
-- violation history stays attached) with a new active_from. Another account's plates are
-- invisible: uniqueness is per account only.
--
-- Every tenant table begins its primary key with account_id (partition-ready) and has forced
-- row-level security on app_account_id(), like sql/0002_accounts.sql.

create table vehicles (
  account_id bigint not null references accounts (id),
  id bigint generated always as identity,
  plate_key text not null check (length(plate_key) between 1 and 100),
  -- The plate's fields per the jurisdiction's scheme (server/fleet/plates.ts PlateFields).
  plate jsonb not null,
  plate_display text not null,
  registration_number text,
  vin text,
  label text,
  cost_centre text,
  driver text,
  -- Extra columns of the uploaded list, by header.
  attributes jsonb not null default '{}'::jsonb,
  active_from timestamptz not null default now(),
  active_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (account_id, id),
  unique (account_id, plate_key),
  check (active_until is null or active_until >= active_from)
);
-- What a run snapshots: the account's active vehicles.
create index vehicles_active on vehicles (account_id, id) where active_until is null;

-- One row per account that has ever had a fleet change. `version` goes up by one with every
-- apply that changes vehicles; an upload records the version its preview was computed against,
-- so a stale preview is detected. Applies lock this row (select … for update): for one account
-- they run one after another, never interleaved.
create table fleet_state (
  account_id bigint not null references accounts (id),
  version bigint not null default 0,
  updated_at timestamptz not null default now(),
  primary key (account_id)
);

create table uploads (
  account_id bigint not null references accounts (id),
  id bigint generated always as identity,
  file_name text not null check (length(file_name) between 1 and 255),
  -- Null only for a file refused before it was read whole (too large).
  file_sha256 text check (file_sha256 ~ '^[0-9a-f]{64}$'),
  byte_size bigint not null check (byte_size >= 0),
  format text check (format in ('csv', 'xlsx')),
  mode text not null check (mode in ('replace', 'merge')),
  status text not null default 'previewed' check (status in ('previewed', 'applied', 'rejected')),
  -- Why the whole file was refused: { code, message, location }.
  file_error jsonb,
  -- The file's named columns in order: [{ header, field }] (field null for an attribute column).
  columns jsonb not null default '[]'::jsonb,
  -- Vehicle fields (column names of vehicles) the file has a column for; others are left as they are.
  present_fields text[] not null default '{}',
  -- Headers of the file's attribute columns; these attribute keys are replaced, others kept.
  attribute_headers text[] not null default '{}',
  header_row_number integer,
  row_count integer not null default 0,
  valid_count integer not null default 0,
  invalid_count integer not null default 0,
  duplicate_count integer not null default 0,
  warning_count integer not null default 0,
  diff_added integer not null default 0,
  diff_removed integer not null default 0,
  diff_changed integer not null default 0,
  diff_unchanged integer not null default 0,
  -- The fleet_state.version the diff was computed against.
  base_version bigint not null default 0,
  created_by bigint references users (id),
  created_by_token bigint,
  created_at timestamptz not null default now(),
  applied_at timestamptz,
  applied_by bigint references users (id),
  applied_by_token bigint,
  primary key (account_id, id),
  check ((status = 'applied') = (applied_at is not null)),
  check ((status = 'rejected') = (file_error is not null))
);
-- The same file re-sent: found by its hash.
create index uploads_file on uploads (account_id, file_sha256, mode);

-- An upload's valid rows, staged in bulk when it is previewed; applying reads them set-based.
-- (No foreign key to uploads: rows are written only in the transaction that creates the upload,
-- and a per-row key check would double the cost of staging 100,000 rows.)
create table upload_rows (
  account_id bigint not null,
  upload_id bigint not null,
  plate_key text not null,
  row_number integer not null,
  plate jsonb not null,
  plate_display text not null,
  registration_number text,
  vin text,
  label text,
  cost_centre text,
  driver text,
  attributes jsonb not null default '{}'::jsonb,
  primary key (account_id, upload_id, plate_key)
);

-- Row-level errors and warnings of an upload, in report order.
create table upload_issues (
  account_id bigint not null,
  upload_id bigint not null,
  seq integer not null,
  row_number integer not null,
  severity text not null check (severity in ('error', 'warning')),
  column_name text,
  code text not null,
  message text not null,
  message_ar text not null,
  primary key (account_id, upload_id, seq)
);

-- The rejected rows as written (cells in the order of uploads.columns), for the errors file.
create table upload_rejects (
  account_id bigint not null,
  upload_id bigint not null,
  row_number integer not null,
  cells jsonb not null,
  primary key (account_id, upload_id, row_number)
);

alter table vehicles enable row level security;
alter table vehicles force row level security;
create policy vehicles_tenant on vehicles
  using (account_id = app_account_id())
  with check (account_id = app_account_id());

alter table fleet_state enable row level security;
alter table fleet_state force row level security;
create policy fleet_state_tenant on fleet_state
  using (account_id = app_account_id())
  with check (account_id = app_account_id());

alter table uploads enable row level security;
alter table uploads force row level security;
create policy uploads_tenant on uploads
  using (account_id = app_account_id())
  with check (account_id = app_account_id());

alter table upload_rows enable row level security;
alter table upload_rows force row level security;
create policy upload_rows_tenant on upload_rows
  using (account_id = app_account_id())
  with check (account_id = app_account_id());

alter table upload_issues enable row level security;
alter table upload_issues force row level security;
create policy upload_issues_tenant on upload_issues
  using (account_id = app_account_id())
  with check (account_id = app_account_id());

alter table upload_rejects enable row level security;
alter table upload_rejects force row level security;
create policy upload_rejects_tenant on upload_rejects
  using (account_id = app_account_id())
  with check (account_id = app_account_id());

-- Vehicles are never deleted; an upload's report is written once.
grant select, insert, update on vehicles, fleet_state, uploads to fleet_app;
grant select, insert on upload_rows, upload_issues, upload_rejects to fleet_app;
grant usage on all sequences in schema public to fleet_app;
