-- Reconciliation in one pass over a night's answers, with writes that grow with changes only.
--
-- 1. One raw answer row per ticket per run. The authority can list one ticket for two plates in
--    one night; the lowest vehicle id keeps it (deterministically, whatever order the batches
--    land in) and the others are kept in other_vehicle_ids. The diff then joins on the ticket
--    without sorting a night's answers to drop duplicates.
alter table lookup_violations add column other_vehicle_ids bigint[] not null default '{}';
-- A fine from before its vehicle joined the fleet, flagged when the answer lands (the lookup knows
-- when the vehicle joined), so the diff needs no join with the lookups to say so.
alter table lookup_violations add column pre_acquisition boolean not null default false;
-- Existing rows are brought in line as a new batch would write them (the owner sees every tenant here).
alter table lookup_violations no force row level security;
alter table lookups no force row level security;
update lookup_violations lv set pre_acquisition = true
from lookups l
where l.account_id = lv.account_id and l.run_id = lv.run_id and l.vehicle_id = lv.vehicle_id
  and lv.offence_at < l.vehicle_active_from;
with ranked as (
  select account_id, run_id, ticket_number, vehicle_id,
         row_number() over w as rank,
         array_agg(vehicle_id) over (w rows between 1 following and unbounded following) as others
  from lookup_violations
  window w as (partition by account_id, run_id, ticket_number order by vehicle_id)
), kept as (
  update lookup_violations l set other_vehicle_ids = r.others
  from ranked r
  where r.rank = 1 and r.others is not null and l.account_id = r.account_id and l.run_id = r.run_id
    and l.ticket_number = r.ticket_number and l.vehicle_id = r.vehicle_id
)
delete from lookup_violations l
using ranked r
where r.rank > 1 and l.account_id = r.account_id and l.run_id = r.run_id and l.ticket_number = r.ticket_number
  and l.vehicle_id = r.vehicle_id;
alter table lookup_violations force row level security;
alter table lookups force row level security;
alter table lookup_violations drop constraint lookup_violations_pkey;
alter table lookup_violations add primary key (account_id, run_id, ticket_number);
grant update on lookup_violations to fleet_app;

-- 2. What each lookup's answer said, counted when it lands: the vehicle's side of a run's summary.
--    Per-change counts per vehicle come from the change lines; the run's own totals per change
--    (unchanged included) are in its summary. Per-vehicle rows for every change of every vehicle
--    each night were most of a night's writes.
alter table lookups
  add column answered_violations integer,
  add column answered_outstanding integer,
  add column answered_outstanding_minor bigint;
drop table run_vehicle_totals;

-- 3. Current state updated in place without touching its indexes where possible: room on each
--    page for the new version (HOT updates), and no index on `state`, which changes when a fine is
--    settled or cancelled. Outstanding totals are computed by the reconciliation that changes them.
drop index violations_outstanding;
alter table violations set (fillfactor = 85);

-- 4. The tenant check evaluated once per statement instead of once per row: written as a scalar
--    subquery, app_account_id() becomes an init plan. Same rule, cheaper bulk writes.
do $$
declare t text;
begin
  foreach t in array array['api_tokens', 'vehicles', 'fleet_state', 'uploads', 'upload_rows', 'upload_issues',
                           'upload_rejects', 'runs', 'lookups', 'lookup_violations', 'violations',
                           'violation_versions', 'run_changes', 'exceptions', 'run_imports'] loop
    execute format('alter policy %I on %I using (account_id = (select app_account_id())) '
                   'with check (account_id = (select app_account_id()))', t || '_tenant', t);
  end loop;
end
$$;
