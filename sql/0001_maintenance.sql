-- Nightly maintenance bookkeeping. One row per local night and zone: the primary key makes the
-- job idempotent when pg-boss delivers it twice.
create table maintenance_runs (
  local_date date not null,
  time_zone text not null,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  details jsonb not null default '{}'::jsonb,
  primary key (local_date, time_zone)
);
