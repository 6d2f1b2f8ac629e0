-- Nightly runs start from one job a minute (runs.nightly) instead of one pg-boss schedule per
-- account: at the minute thousands of accounts fall due, pg-boss forwarded one job per schedule,
-- about ten a second, and the night waited minutes for its runs to be created.

-- A run's fleet snapshot, the one implementation for every start (nightly, manual, import, a
-- waiting run starting): the account's active vehicles into the run's lookups in batches of
-- `batch_size`, the run's size and snapshot time recorded, and a run with nothing to look up moved
-- straight on to reconciling. Security invoker: the caller is inside the account's tenant (RLS).
create function snapshot_run_fleet(run_account_id bigint, snapshot_run_id bigint, batch_size int)
returns table (status text, vehicles int, batches int)
language plpgsql volatile security invoker set search_path = public as $$
#variable_conflict use_column
begin
  with snapshot as (
    insert into lookups (account_id, run_id, vehicle_id, plate_key, vehicle_active_from, batch_no)
    select v.account_id, snapshot_run_id, v.id, v.plate_key, v.active_from,
           ((row_number() over (order by v.id)) - 1) / batch_size
    from vehicles v
    where v.account_id = run_account_id and v.active_until is null
    returning batch_no
  )
  select count(*)::int, coalesce(max(batch_no) + 1, 0)::int into vehicles, batches from snapshot;
  update runs r
    set lookups_total = vehicles, snapshotted_at = clock_timestamp(),
        status = case when vehicles = 0 then 'reconciling' else r.status end,
        fetched_at = case when vehicles = 0 then clock_timestamp() else r.fetched_at end
    where r.account_id = run_account_id and r.id = snapshot_run_id
    returning r.status into status;
  return next;
end
$$;
revoke all on function snapshot_run_fleet(bigint, bigint, int) from public;
grant execute on function snapshot_run_fleet(bigint, bigint, int) to fleet_app;

-- As sql/0080, with the snapshot taken by snapshot_run_fleet.
create or replace function start_nightly_runs(account_ids bigint[], at timestamptz, batch_size int)
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
      select s.status, s.vehicles, s.batches into status, vehicles, batches
        from snapshot_run_fleet(a.id, run_id, batch_size) s;
    end if;
    return next;
  end loop;
  perform set_config('app.account_id', '', true);
end
$$;

-- The accounts whose nightly time, in their own zone, fell due in (at - lookback, at] and whose
-- run for that local night does not exist yet, with the instant each fell due (which names its
-- local night). The minute's job passes its own time: a job pg-boss forwarded late, or one lost,
-- leaves its accounts to the next minutes' jobs within `lookback` (and to the missed-nights sweep,
-- sql/0060, after that). Read from the accounts as they are, so a changed time or zone needs no
-- schedule rewritten. Across every account (not one tenant), as scheduling is.
create function due_nightly_runs(at timestamptz, lookback interval)
returns table (account_id bigint, due_at timestamptz)
language sql stable security definer set search_path = public as $$
  select a.id, d.due_at from accounts a
  cross join lateral (select distinct (t at time zone a.time_zone)::date as local_night
                      from unnest(array[at - lookback, at]) t) n
  cross join lateral (select (n.local_night + a.nightly_run_time) at time zone a.time_zone as due_at) d
  where a.status = 'active'
    and d.due_at > at - lookback and d.due_at <= at
    and a.created_at < d.due_at
    and not exists (select from runs r where r.account_id = a.id and r.kind = 'scheduled'
                    and r.local_night = n.local_night)
  order by d.due_at, a.id
$$;
revoke all on function due_nightly_runs(timestamptz, interval) from public;
grant execute on function due_nightly_runs(timestamptz, interval) to fleet_app;

-- Nothing reads every account's schedule any more.
drop function account_schedules();
