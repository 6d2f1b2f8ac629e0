-- Issued documents (statements, clearance certificates) and clearance certificates.
--
-- A document is immutable: its bytes are stored once, by SHA-256, and every download serves the
-- same bytes. `documents` says what a document is (kind, subject, format, language); its bytes live
-- behind a storage interface (server/documents/storage.ts), PostgreSQL's `document_contents` by
-- default. One document per (account, kind, subject, format, language): rendering the same run
-- twice (a re-delivered job) stores one.
--
-- Tenant tables: account_id leads every key, forced row-level security, no UPDATE or DELETE on
-- documents; clearances change only their status fields.

create table documents (
  account_id bigint not null references accounts (id),
  id bigint generated always as identity,
  kind text not null check (kind in ('run_statement', 'vehicle_statement', 'clearance_certificate')),
  -- What it is about, e.g. `run:12`, `vehicle:5@run:12`, `clearance:3`.
  subject text not null check (length(subject) between 1 and 200),
  format text not null check (format in ('xlsx', 'pdf')),
  language text not null check (language in ('ar', 'en', 'ar+en')),
  file_name text not null check (length(file_name) between 1 and 255),
  content_type text not null,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  byte_size bigint not null check (byte_size >= 0),
  storage text not null default 'postgres',
  created_at timestamptz not null default now(),
  primary key (account_id, id),
  unique (account_id, kind, subject, format, language)
);

-- The bytes, once per content hash.
create table document_contents (
  account_id bigint not null references accounts (id),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  content bytea not null,
  created_at timestamptz not null default now(),
  primary key (account_id, sha256)
);

create table clearances (
  account_id bigint not null references accounts (id),
  id bigint generated always as identity,
  vehicle_id bigint not null,
  -- The plate as printed on the certificate, frozen at issue.
  plate_display text not null,
  -- The vehicle's last successful lookup: nothing was outstanding as of then.
  as_of timestamptz not null,
  as_of_run_id bigint not null,
  -- SHA-256 of the verification code; the code itself is printed on the certificate only.
  code_hash text not null unique check (code_hash ~ '^[0-9a-f]{64}$'),
  status text not null default 'valid' check (status in ('valid', 'revoked')),
  issued_by bigint references users (id),
  issued_by_token bigint,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  revoked_by bigint references users (id),
  revoked_by_token bigint,
  -- Set when a later run revoked it (a violation recorded late, with an offence before as_of).
  revoked_by_run bigint,
  revoke_reason text,
  primary key (account_id, id),
  foreign key (account_id, vehicle_id) references vehicles (account_id, id),
  check ((status = 'revoked') = (revoked_at is not null and revoke_reason is not null))
);
create index clearances_vehicle on clearances (account_id, vehicle_id) where status = 'valid';

do $$
declare t text;
begin
  foreach t in array array['documents', 'document_contents', 'clearances'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format('create policy %I on %I using (account_id = app_account_id()) with check (account_id = app_account_id())',
                   t || '_tenant', t);
  end loop;
end
$$;

grant select, insert on documents, document_contents to fleet_app;
grant select, insert, update on clearances to fleet_app;

-- The public verification page knows only the code: it sees exactly the certificate whose code
-- hash matches, and only what the page shows.
create function verify_clearance(p_code_hash text)
returns table (status text, plate_display text, as_of timestamptz, time_zone text, revoked_at timestamptz)
language sql stable security definer set search_path = public as $$
  select c.status, c.plate_display, c.as_of, a.time_zone, c.revoked_at
  from clearances c join accounts a on a.id = c.account_id
  where c.code_hash = p_code_hash
$$;
revoke all on function verify_clearance(text) from public;
grant execute on function verify_clearance(text) to fleet_app;
