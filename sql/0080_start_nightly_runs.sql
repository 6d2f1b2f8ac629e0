-- Starts the nightly runs of many accounts in one round trip: at the minute thousands of accounts
-- fall due, a transaction (and its round trips) per account is what the night waits for.
-- For each account, in turn and behind its own tenant (app.account_id, so row-level security
-- walls every statement off exactly as a single start does): an active account gets its
-- scheduled run for the local night at `at`, unless it has one (runs_one_per_night); `waiting`
-- when another run is in progress (runs_one_active, also when a concurrent start wins the race);
-- a started run snapshots its active fleet into lookups in batches of `batch_size` and, with
-- nothing to look up, goes straight to reconciling. Answers the runs created; the caller enqueues
-- their jobs in the same transaction. Rerunnable: a night already started answers nothing.
create function start_nightly_runs(account_ids bigint[], at timestamptz, batch_size int)
returns table (account_id bigint, run_id bigint, status text, vehicles int, batches int)
language plpgsql volatile security invoker set search_path = public as $$
#variable_conflict use_column
declare
  a record;
  night date;
begin
  for a in
    select id from unnest(account_ids) u (id) group by id order by id
  loop
    perform set_config('app.account_id', a.id::text, true);
    select (at at time zone acc.time_zone)::date into night
      from accounts acc where acc.id = a.id and acc.status = 'active';
    continue when night is null;
    account_id := a.id;
    vehicles := 0;
    batches := 0;
    run_id := null;
    begin
      insert into runs as r (account_id, kind, local_night, status)
      select a.id, 'scheduled', night,
             case when exists (select from runs x where x.account_id = a.id
                               and x.status in ('fetching', 'reconciling', 'issuing', 'rendering'))
                  then 'waiting' else 'fetching' end
      on conflict (account_id, local_night) where kind = 'scheduled' do nothing
      returning r.id, r.status into run_id, status;
    exception when unique_violation then
      -- Only runs_one_active can fire here: a run started between the check and the insert.
      insert into runs as r (account_id, kind, local_night, status)
      values (a.id, 'scheduled', night, 'waiting')
      on conflict (account_id, local_night) where kind = 'scheduled' do nothing
      returning r.id, r.status into run_id, status;
    end;
    continue when run_id is null;
    if status = 'fetching' then
      with snapshot as (
        insert into lookups (account_id, run_id, vehicle_id, plate_key, vehicle_active_from, batch_no)
        select v.account_id, run_id, v.id, v.plate_key, v.active_from,
               ((row_number() over (order by v.id)) - 1) / batch_size
        from vehicles v
        where v.account_id = a.id and v.active_until is null
        returning batch_no
      )
      select count(*)::int, coalesce(max(batch_no) + 1, 0)::int into vehicles, batches from snapshot;
      update runs r
        set lookups_total = vehicles, snapshotted_at = clock_timestamp(),
            status = case when vehicles = 0 then 'reconciling' else r.status end,
            fetched_at = case when vehicles = 0 then clock_timestamp() else r.fetched_at end
        where r.account_id = a.id and r.id = run_id;
      if vehicles = 0 then status := 'reconciling'; end if;
    end if;
    return next;
  end loop;
  perform set_config('app.account_id', '', true);
end
$$;
revoke all on function start_nightly_runs(bigint[], timestamptz, int) from public;
grant execute on function start_nightly_runs(bigint[], timestamptz, int) to fleet_app;
