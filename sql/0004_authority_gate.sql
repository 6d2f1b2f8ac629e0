-- The authority gate: one row per authority holding its limits and its current state, so the
-- rate limit and the in-flight cap hold across every worker process. Not tenant data (no
-- account_id, no RLS): it describes the outside authority, shared by all accounts.
-- Each acquire is one UPDATE of this row: concurrent acquirers queue on the row lock and each
-- re-evaluates the limits against the row as the previous one left it (READ COMMITTED
-- re-checks an updated row), so two workers can never both take the last slot.
create function authority_gate_now_ms() returns bigint
  language sql volatile
  as $$ select (extract(epoch from clock_timestamp()) * 1000)::bigint $$;

create table authority_gate (
  authority text primary key,
  max_requests integer not null check (max_requests > 0),
  window_ms integer not null check (window_ms > 0),
  max_in_flight integer not null check (max_in_flight > 0),
  -- A worker that dies holding a slot loses it after this long; longer than any request timeout.
  lease_ms integer not null check (lease_ms > 0),
  -- Request starts within the last window, epoch milliseconds on the database's clock (one clock
  -- for all workers).
  recent_starts bigint[] not null default '{}',
  -- Requests in flight: lease id -> expiry, epoch milliseconds.
  leases jsonb not null default '{}'::jsonb,
  updated_at timestamptz not null default now()
);

grant select, insert, update on authority_gate to fleet_app;
grant execute on function authority_gate_now_ms() to fleet_app;
