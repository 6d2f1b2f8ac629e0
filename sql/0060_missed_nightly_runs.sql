-- Nightly runs the scheduler lost. pg-boss fires a schedule by forwarding a job; when that send
-- fails (a database refusing connections at the busy minute every schedule falls due), the night
-- is gone with only a log line. The sweep looks for active accounts whose nightly time has passed
-- today in their own zone, at least `grace` ago (the scheduler's own lag), that existed by then,
-- and have no scheduled run for that local night; it starts theirs (a run per night, as always).
create function missed_nightly_runs(at timestamptz, grace interval)
returns table (account_id bigint)
language sql stable security definer set search_path = public as $$
  select a.id from accounts a
  cross join lateral (select (at at time zone a.time_zone)::date as local_night) n
  cross join lateral (select (n.local_night + a.nightly_run_time) at time zone a.time_zone as due_at) d
  where a.status = 'active'
    and d.due_at <= at - grace
    and a.created_at < d.due_at
    and not exists (select from runs r where r.account_id = a.id and r.kind = 'scheduled'
                    and r.local_night = n.local_night)
  order by a.id
$$;
revoke all on function missed_nightly_runs(timestamptz, interval) from public;
grant execute on function missed_nightly_runs(timestamptz, interval) to fleet_app;
