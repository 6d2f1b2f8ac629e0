-- The sweep also finds runs whose payment stage was lost (its job dead-lettered, or the worker
-- killed with no retry left): a run still `issuing` past the stuck limit after reconciliation.
create or replace function runs_to_sweep(stuck_after interval)
returns table (account_id bigint, run_id bigint, status text)
language sql stable security definer set search_path = public as $$
  select r.account_id, r.id, r.status from runs r
  where (r.status = 'fetching' and coalesce(r.snapshotted_at, r.created_at) < now() - stuck_after)
     or (r.status = 'reconciling' and coalesce(r.fetched_at, r.created_at) < now() - stuck_after)
     or (r.status = 'issuing' and coalesce(r.reconciled_at, r.created_at) < now() - stuck_after)
     or (r.status = 'waiting' and not exists (
           select from runs a where a.account_id = r.account_id
             and a.status in ('fetching', 'reconciling', 'issuing', 'rendering')))
  order by r.account_id, r.id
$$;
