-- Nightly and manual runs: the fleet snapshot, lookups, raw authority answers, the reconciled
-- violation state with its versions, the per-run changes, and exceptions for people to decide.
-- All tenant tables: account_id leads every key, forced row-level security, no DELETE grant.
-- The high-volume children of a run (lookups, answers, changes, totals) carry its key without a
-- foreign key: only the run's own pipeline writes them, and a per-row check would dominate the
-- cost of the night's bulk writes.

create table runs (
  account_id bigint not null references accounts (id),
  id bigint generated always as identity,
  kind text not null check (kind in ('scheduled', 'manual')),
  -- The account's local date of the night a scheduled run belongs to.
  local_night date,
  status text not null default 'fetching'
    check (status in ('fetching', 'reconciling', 'issuing', 'rendering', 'done', 'partial', 'failed')),
  requested_by bigint references users (id),
  lookups_total integer not null default 0,
  lookups_done integer not null default 0,
  lookups_failed integer not null default 0,
  created_at timestamptz not null default now(),
  fetched_at timestamptz,
  reconciled_at timestamptz,
  finished_at timestamptz,
  summary jsonb,
  error text,
  primary key (account_id, id),
  check ((kind = 'scheduled') = (local_night is not null))
);
-- Exactly one scheduled run per account per local night, however many workers or deliveries.
create unique index runs_one_per_night on runs (account_id, local_night) where kind = 'scheduled';
-- One run at a time per account.
create unique index runs_one_active on runs (account_id)
  where status in ('fetching', 'reconciling', 'issuing', 'rendering');
create index runs_recent on runs (account_id, id desc);

-- The fleet as the run saw it, and each vehicle's lookup.
create table lookups (
  account_id bigint not null,
  run_id bigint not null,
  vehicle_id bigint not null,
  plate_key text not null,
  vehicle_active_from timestamptz not null,
  batch_no integer not null,
  status text not null default 'pending' check (status in ('pending', 'ok', 'not_found', 'failed')),
  attempts integer not null default 0,
  last_error text,
  answered_at timestamptz,
  primary key (account_id, run_id, vehicle_id)
);
create index lookups_batch on lookups (account_id, run_id, batch_no);

-- What the authority answered, as it answered it (only for `ok` lookups).
create table lookup_violations (
  account_id bigint not null,
  run_id bigint not null,
  vehicle_id bigint not null,
  ticket_number text not null,
  offence_at timestamptz not null,
  type_code text not null,
  description_ar text not null,
  description_en text not null,
  location text not null,
  amount_minor bigint not null check (amount_minor >= 0),
  currency text not null,
  authority_status text not null check (authority_status in ('unpaid', 'paid', 'cancelled', 'under_objection')),
  authority_payment_ref text,
  primary key (account_id, run_id, vehicle_id, ticket_number)
);

-- The current state of every violation the account has ever had.
create table violations (
  account_id bigint not null,
  ticket_number text not null,
  vehicle_id bigint not null,
  state text not null check (state in ('outstanding', 'settled', 'cancelled')),
  offence_at timestamptz not null,
  type_code text not null,
  description_ar text not null,
  description_en text not null,
  location text not null,
  amount_minor bigint not null check (amount_minor >= 0),
  currency text not null,
  authority_status text not null,
  authority_payment_ref text,
  pre_acquisition boolean not null default false,
  -- Set while a settlement is held as suspect (mass disappearance); cleared when confirmed or seen again.
  suspect_since_run bigint,
  version integer not null,
  first_seen_run bigint not null,
  last_changed_run bigint not null,
  primary key (account_id, ticket_number)
);
create index violations_vehicle on violations (account_id, vehicle_id);
create index violations_outstanding on violations (account_id) where state = 'outstanding';

-- Append-only history: a new version only when something changed.
create table violation_versions (
  account_id bigint not null,
  ticket_number text not null,
  version integer not null,
  run_id bigint not null,
  vehicle_id bigint not null,
  state text not null,
  amount_minor bigint not null,
  authority_status text not null,
  authority_payment_ref text,
  change text not null,
  recorded_at timestamptz not null default now(),
  primary key (account_id, ticket_number, version)
);

-- What each run concluded, per violation that changed (or needs an action): `unchanged` lines are
-- counted in run_vehicle_totals, not stored, so this grows with changes, not with nights.
create table run_changes (
  account_id bigint not null,
  run_id bigint not null,
  ticket_number text not null,
  vehicle_id bigint not null,
  previous_vehicle_id bigint,
  change text not null check (change in ('new', 'unchanged', 'escalated', 'reduced', 'settled', 'cancelled',
                                         'reappeared', 'moved', 'stale')),
  -- A settlement held back by the mass-disappearance guard (recorded, not applied).
  held boolean not null default false,
  previous_amount_minor bigint,
  amount_minor bigint not null,
  pre_acquisition boolean not null default false,
  primary key (account_id, run_id, ticket_number)
);

-- Per-vehicle totals of each run, per change: counts and amounts (the run summary's detail).
create table run_vehicle_totals (
  account_id bigint not null,
  run_id bigint not null,
  vehicle_id bigint not null,
  change text not null,
  violations integer not null,
  amount_minor bigint not null,
  primary key (account_id, run_id, vehicle_id, change)
);

create table exceptions (
  account_id bigint not null,
  id bigint generated always as identity,
  kind text not null check (kind in ('suspect_mass_settlement', 'amount_mismatch', 'unknown_reference',
                                     'superseded_reference', 'duplicate_payment', 'paid_still_outstanding',
                                     'settled_without_payment')),
  run_id bigint,
  status text not null default 'open' check (status in ('open', 'confirmed', 'dismissed')),
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  resolved_by bigint references users (id),
  primary key (account_id, id)
);
create unique index exceptions_one_suspect_per_run on exceptions (account_id, run_id)
  where kind = 'suspect_mass_settlement';

do $$
declare t text;
begin
  foreach t in array array['runs', 'lookups', 'lookup_violations', 'violations', 'violation_versions',
                           'run_changes', 'run_vehicle_totals', 'exceptions'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format('create policy %I on %I using (account_id = app_account_id()) with check (account_id = app_account_id())',
                   t || '_tenant', t);
  end loop;
end
$$;

grant select, insert, update on runs, lookups, violations, exceptions to fleet_app;
grant select, insert on lookup_violations, violation_versions, run_changes, run_vehicle_totals to fleet_app;

-- Scheduling looks at every account (not one tenant): which accounts run when, and where.
create function account_schedules()
returns table (account_id bigint, time_zone text, nightly_run_time time)
language sql stable security definer set search_path = public as $$
  select id, time_zone, nightly_run_time from accounts where status = 'active'
$$;
revoke all on function account_schedules() from public;
grant execute on function account_schedules() to fleet_app;
