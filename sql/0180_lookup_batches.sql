-- What each recording of a run's lookups counted: a landed batch, or lookups failed by a batch
-- that gave up, an abort or the sweep. One row per recording, written in the transaction that
-- marked those lookups, so each lookup is counted by exactly one row. Insert-only: the batches of a
-- run landing at once never wait for each other on the run's row, which they used to update one
-- after another, each holding it until its client sent the commit. The run's counters are these
-- rows added up once its lookups are complete (or when it ends failed); while it is fetching, its
-- progress is read from them.
create table lookup_batches (
  account_id bigint not null,
  run_id bigint not null,
  -- Null for lookups failed across the run (an abort, the sweep).
  batch_no integer,
  marked integer not null check (marked > 0),
  failed integer not null check (failed between 0 and marked),
  -- The answers this recording stored, as reconciliation would add them up; `answers_counted` is
  -- false when it folded a ticket into a row another batch had counted (the sums no longer exact).
  answers_counted boolean not null,
  answers_stored integer not null check (answers_stored >= 0),
  answers_minor bigint not null,
  answers_outstanding integer not null check (answers_outstanding >= 0),
  answers_outstanding_minor bigint not null,
  recorded_at timestamptz not null default now()
) partition by range (run_id);
-- A batch is recorded once: its recording marks only lookups still pending, under their row locks,
-- and a second one finds none and writes no row. The key says so (the failing of a whole run's
-- lookups has no batch number and may happen besides).
create unique index lookup_batches_once on lookup_batches (account_id, run_id, batch_no);

alter table lookup_batches enable row level security;
alter table lookup_batches force row level security;
create policy lookup_batches_tenant on lookup_batches using (account_id = (select app_account_id()))
  with check (account_id = (select app_account_id()));
grant select, insert on lookup_batches to fleet_app;

-- The per-night tables, one list for the functions below: creating a night's partitions, dropping
-- expired ones.
create function night_tables() returns text[] language sql immutable as $$
  select array['lookups', 'lookup_violations', 'run_changes', 'run_imports', 'lookup_batches']
$$;

-- A partition is walled like its table: row security forced, with the tenant policy. Reads and
-- writes go through the table, whose policy applies, but no tenant table is left unwalled in the
-- catalogue (test/accounts/tenant-wall.test.ts).
create function wall_night_partition(part text) returns void language plpgsql as $$
begin
  execute format('alter table %I enable row level security', part);
  execute format('alter table %I force row level security', part);
  if not exists (select from pg_policy where polrelid = part::regclass) then
    execute format('create policy %I on %I using (account_id = (select app_account_id())) '
                   'with check (account_id = (select app_account_id()))', part || '_tenant', part);
  end if;
end
$$;
revoke all on function wall_night_partition(text) from public;

create or replace function create_night_partition(p_lo bigint, p_hi bigint)
returns void language plpgsql security definer set search_path = public as $$
declare
  t text;
  part text;
begin
  foreach t in array night_tables() loop
    part := t || '_r' || (p_lo / 1000000);
    continue when exists (select from pg_class where oid = to_regclass(part) and relispartition);
    execute format('create table if not exists %I (like %I including defaults including constraints)', part, t);
    perform wall_night_partition(part);
    execute format('alter table %I attach partition %I for values from (%s) to (%s)', t, part, p_lo, p_hi);
  end loop;
  insert into night_partitions (lo, hi) values (p_lo, p_hi) on conflict (lo) do nothing;
end
$$;

-- Every range already made gets its batch ledger, and partitions made before this are walled too.
select create_night_partition(lo, hi) from night_partitions;
select wall_night_partition(c.relname::text)
from pg_inherits i join pg_class c on c.oid = i.inhrelid
where i.inhparent::regclass::text = any (night_tables()) and not c.relforcerowsecurity;

-- A run fetching while this migration runs keeps what it counted so far, as its ledger's first row.
-- Row security applies to the migration's login too: each account's runs are read as that account.
do $$
declare
  a bigint;
begin
  perform set_config('app.operator', 'on', true);
  for a in select id from accounts loop
    perform set_config('app.account_id', a::text, true);
    insert into lookup_batches (account_id, run_id, batch_no, marked, failed, answers_counted, answers_stored,
                                answers_minor, answers_outstanding, answers_outstanding_minor)
    select account_id, id, null, lookups_done, lookups_failed, answers_counted, answers_stored, answers_minor,
           answers_outstanding, answers_outstanding_minor
    from runs where account_id = a and status = 'fetching' and lookups_done > 0;
  end loop;
  perform set_config('app.operator', '', true);
  perform set_config('app.account_id', '', true);
end
$$;


-- As in 0050, over night_tables(); a table missing from `retain_days` is kept.
create or replace function drop_expired_night_partitions(retain_days jsonb, at timestamptz)
returns table (table_name text, partition_name text, lo bigint, hi bigint, closed_at timestamptz,
               bytes bigint, outcome text)
language plpgsql security definer set search_path = public as $$
declare
  p record;
  t text;
  part text;
  why text;
begin
  perform pg_advisory_xact_lock(hashtext('night_partitions'));
  for p in select n.lo, n.hi, n.closed_at from night_partitions n where n.closed_at is not null order by n.lo loop
    foreach t in array night_tables() loop
      part := t || '_r' || (p.lo / 1000000);
      continue when to_regclass(part) is null or not retain_days ? t;
      continue when p.closed_at >= at - make_interval(days => (retain_days ->> t)::int);
      why := case
        when exists (select from runs r where r.id >= p.lo and r.id < p.hi
                       and r.status in ('waiting', 'fetching', 'reconciling', 'issuing', 'rendering'))
          then 'kept: a run in it is still in progress'
        when t = 'run_changes' and exists (select from exceptions e where e.run_id >= p.lo and e.run_id < p.hi
                                             and e.kind = 'suspect_mass_settlement')
          then 'kept: a suspected mass settlement reads its held change lines'
      end;
      table_name := t; partition_name := part; lo := p.lo; hi := p.hi; closed_at := p.closed_at;
      bytes := pg_total_relation_size(part::regclass);
      if why is null then
        -- Dropping locks the parent: a partition another session is using is left for the next
        -- night, given up before the deadlock check would pick a victim (deadlock_timeout, 1 s).
        begin
          perform set_config('lock_timeout', '500ms', true);
          execute format('drop table %I', part);
          outcome := 'dropped';
        exception when lock_not_available or deadlock_detected then
          outcome := 'kept: busy, tried again next night';
        end;
        perform set_config('lock_timeout', '0', true);
      else
        outcome := why;
      end if;
      return next;
    end loop;
  end loop;
  delete from night_partitions n
  where n.closed_at is not null
    and not exists (select from unnest(night_tables()) as nt(name)
                    where to_regclass(nt.name || '_r' || (n.lo / 1000000)) is not null);
end
$$;

-- Whether a fetching run's ledger now counts every lookup: asked after every recording of a batch,
-- so in one statement outside any transaction of the caller's (a round trip is much of a small
-- query's cost to the worker). It reads as the account, as a tenant transaction would; setting
-- the account is nothing the application login could not do itself.
create function run_lookups_complete(p_account_id bigint, p_run_id bigint)
returns boolean language plpgsql as $$
begin
  perform set_config('app.account_id', p_account_id::text, true);
  return exists (
    select from runs r
    where r.account_id = p_account_id and r.id = p_run_id and r.status = 'fetching'
      and (select coalesce(sum(b.marked), 0) from lookup_batches b
           where b.account_id = p_account_id and b.run_id = p_run_id) >= r.lookups_total);
end
$$;
revoke all on function run_lookups_complete(bigint, bigint) from public;
grant execute on function run_lookups_complete(bigint, bigint) to fleet_app;
