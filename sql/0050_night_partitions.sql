-- A run's per-night rows (its lookups, the authority's raw answers, its change lines, an imported
-- export file) are partitioned by run id, so a night past its retention is dropped whole: no mass
-- DELETE, no bloat, no WAL for the rows. Keys are unchanged and still lead with the account.
--
-- Run ids are handed out in ranges of one million, one range per partition. The nightly
-- maintenance moves the runs' id sequence to the start of the next range (open_run_night), so each
-- partition holds the runs begun between two maintenance nights. Ranges ahead are created before
-- they are needed; a range holds a million runs, so a night without maintenance changes nothing.
-- The table below lists the ranges, when runs started going into each, and when that stopped.

create table night_partitions (
  lo bigint primary key,
  hi bigint not null check (hi > lo),
  opened_at timestamptz,
  closed_at timestamptz
);

-- What maintenance looks up across accounts: the runs of a range, newest first.
create index runs_by_id on runs (id);

do $$
declare
  width constant bigint := 1000000;
  next_id bigint;
  hi bigint;
  t text;
  i record;
begin
  select case when is_called then last_value + 1 else last_value end into next_id from runs_id_seq;
  -- The rows so far form the first partition, attached as they are (nothing is copied).
  hi := (next_id / width + 1) * width;
  foreach t in array array['lookups', 'lookup_violations', 'run_changes', 'run_imports'] loop
    execute format('alter table %I rename to %I', t, t || '_r0');
    for i in select c.relname from pg_index x join pg_class c on c.oid = x.indexrelid
             where x.indrelid = (t || '_r0')::regclass loop
      execute format('alter index %I rename to %I', i.relname, t || '_r0' || substr(i.relname, length(t) + 1));
    end loop;
    execute format('create table %I (like %I including defaults including constraints) partition by range (run_id)',
                   t, t || '_r0');
  end loop;

  alter table run_imports_r0 drop constraint run_imports_account_id_run_id_fkey;
  alter table lookups add primary key (account_id, run_id, vehicle_id);
  create index lookups_batch on lookups (account_id, run_id, batch_no);
  alter table lookup_violations add primary key (account_id, run_id, ticket_number);
  alter table run_changes add primary key (account_id, run_id, ticket_number);
  alter table run_imports add primary key (account_id, run_id);

  foreach t in array array['lookups', 'lookup_violations', 'run_changes', 'run_imports'] loop
    execute format('alter table %I attach partition %I for values from (0) to (%s)', t, t || '_r0', hi);
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format('create policy %I on %I using (account_id = (select app_account_id())) '
                   'with check (account_id = (select app_account_id()))', t || '_tenant', t);
  end loop;
  alter table run_imports add foreign key (account_id, run_id) references runs (account_id, id);

  insert into night_partitions (lo, hi, opened_at)
  values (0, hi, coalesce((select min(created_at) from runs), now()));
end
$$;

grant select, insert, update on lookups, lookup_violations to fleet_app;
grant select, insert on run_changes, run_imports to fleet_app;

-- Creates the partitions of a run id range (those missing) on every per-night table. Made as a
-- table of its own, then attached: attaching locks the parent only against other schema changes,
-- where `create table … partition of` would lock out, and could deadlock with, a run using it.
create function create_night_partition(p_lo bigint, p_hi bigint)
returns void language plpgsql security definer set search_path = public as $$
declare
  t text;
  part text;
begin
  foreach t in array array['lookups', 'lookup_violations', 'run_changes', 'run_imports'] loop
    part := t || '_r' || (p_lo / 1000000);
    continue when exists (select from pg_class where oid = to_regclass(part) and relispartition);
    execute format('create table if not exists %I (like %I including defaults including constraints)', part, t);
    execute format('alter table %I attach partition %I for values from (%s) to (%s)', t, part, p_lo, p_hi);
  end loop;
  insert into night_partitions (lo, hi) values (p_lo, p_hi) on conflict (lo) do nothing;
end
$$;
revoke all on function create_night_partition(bigint, bigint) from public;

-- Starts a new night: runs created from now on take ids from a fresh range (unless no run has
-- taken one from the current range yet), and `ahead` more ranges exist beyond it. Rerunnable.
-- `at` is the maintenance night's time. Answers the range tonight's runs go into.
create function open_run_night(ahead integer, at timestamptz)
returns table (lo bigint, hi bigint)
language plpgsql security definer set search_path = public as $$
declare
  width constant bigint := 1000000;
  next_id bigint;
  start bigint;
begin
  perform pg_advisory_xact_lock(hashtext('night_partitions'));
  select case when is_called then last_value + 1 else last_value end into next_id from runs_id_seq;
  start := case when next_id % width = 0 then next_id else (next_id / width + 1) * width end;
  for k in 0..ahead loop
    perform create_night_partition(start + k * width, start + (k + 1) * width);
  end loop;
  if start <> next_id then
    perform setval('runs_id_seq', start, false);
    update night_partitions p set closed_at = at where p.hi <= start and p.closed_at is null;
  end if;
  update night_partitions p set opened_at = at where p.lo = start and p.opened_at is null;
  return query select start, start + width;
end
$$;
revoke all on function open_run_night(integer, timestamptz) from public;
grant execute on function open_run_night(integer, timestamptz) to fleet_app;

-- Drops, table by table, the partitions of closed ranges older than that table's retention
-- (days before `at`, by table name: lookups, lookup_violations, run_changes, run_imports), unless a kept
-- document still needs them: a range with a run still in progress keeps everything; a suspected
-- mass settlement reads its run's held change lines, so those stay while the exception is kept.
-- Answers what it dropped and what it kept past its retention, and why.
create function drop_expired_night_partitions(retain_days jsonb, at timestamptz)
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
    foreach t in array array['lookups', 'lookup_violations', 'run_changes', 'run_imports'] loop
      part := t || '_r' || (p.lo / 1000000);
      continue when to_regclass(part) is null;
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
    and to_regclass('lookups_r' || (n.lo / 1000000)) is null
    and to_regclass('lookup_violations_r' || (n.lo / 1000000)) is null
    and to_regclass('run_changes_r' || (n.lo / 1000000)) is null
    and to_regclass('run_imports_r' || (n.lo / 1000000)) is null;
end
$$;
revoke all on function drop_expired_night_partitions(jsonb, timestamptz) from public;
grant execute on function drop_expired_night_partitions(jsonb, timestamptz) to fleet_app;
