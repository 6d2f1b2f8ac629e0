-- Every run ends, and the mass-disappearance guard holds until it is decided.
--
-- 1. A scheduled run that meets another run of its account in progress waits for it (`waiting`)
--    instead of being dropped; the run that ends wakes it. `waiting` is not active, so the
--    one-active-run index lets it be created beside the running one.
alter table runs
  drop constraint runs_status_check,
  add constraint runs_status_check
    check (status in ('waiting', 'fetching', 'reconciling', 'issuing', 'rendering', 'done', 'partial', 'failed'));

-- 2. Runs stuck past the configured limit, and runs waiting with nothing in their way, across
--    every account (the sweep is not one tenant's job; it then acts inside each tenant).
create function runs_to_sweep(stuck_after interval)
returns table (account_id bigint, run_id bigint, status text)
language sql stable security definer set search_path = public as $$
  select r.account_id, r.id, r.status from runs r
  where (r.status = 'fetching' and coalesce(r.snapshotted_at, r.created_at) < now() - stuck_after)
     or (r.status = 'reconciling' and coalesce(r.fetched_at, r.created_at) < now() - stuck_after)
     or (r.status = 'waiting' and not exists (
           select from runs a where a.account_id = r.account_id
             and a.status in ('fetching', 'reconciling', 'issuing', 'rendering')))
  order by r.account_id, r.id
$$;
revoke all on function runs_to_sweep(interval) from public;
grant execute on function runs_to_sweep(interval) to fleet_app;

-- 3. A held settlement counts the plausible nights that confirmed it (its vehicle answered, the
--    fine still absent, the night itself not suspect); at the configured number it is settled.
alter table violations add column suspect_nights integer not null default 0;

-- 4. How an exception was closed, and by which run when no person decided it.
alter table exceptions
  add column resolution text
    check (resolution in ('confirmed_by_person', 'dismissed_by_person', 'confirmed_by_runs', 'cleared_by_runs')),
  add column resolved_by_run bigint;

-- 5. A vehicle that left the fleet: its outstanding fines are concluded once (`outside_fleet`,
--    with the run) instead of going `stale` every night, and are totalled apart from the fleet's.
alter table violations add column outside_fleet_since_run bigint;
create index violations_outside_fleet on violations (account_id) where outside_fleet_since_run is not null;
alter table run_changes
  drop constraint run_changes_change_check,
  add constraint run_changes_change_check
    check (change in ('new', 'unchanged', 'escalated', 'reduced', 'settled', 'cancelled', 'reappeared', 'moved',
                      'stale', 'outside_fleet'));
-- The violations a suspect exception still holds, found without reading the account's others.
create index violations_suspect on violations (account_id, suspect_since_run) where suspect_since_run is not null;
