-- Runs answered from an authority's bulk export file instead of the gateway: the file as it was
-- imported (validated in full before the run started), one per run. The run's lookup batches
-- read it back and answer through the same contract checks as a gateway answer.

alter table runs
  drop constraint runs_kind_check,
  add constraint runs_kind_check check (kind in ('scheduled', 'manual', 'import'));

create table run_imports (
  account_id bigint not null,
  run_id bigint not null,
  file_name text not null,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  format text not null check (format in ('csv', 'xlsx')),
  -- The importer declared the export the authority's complete answer for every plate of the fleet:
  -- a plate it does not mention has no violations. Otherwise such a plate's lookup fails (stale).
  covers_all_plates boolean not null default false,
  content bytea not null,
  created_at timestamptz not null default now(),
  primary key (account_id, run_id),
  foreign key (account_id, run_id) references runs (account_id, id)
);

alter table run_imports enable row level security;
alter table run_imports force row level security;
create policy run_imports_tenant on run_imports
  using (account_id = app_account_id()) with check (account_id = app_account_id());

grant select, insert on run_imports to fleet_app;
