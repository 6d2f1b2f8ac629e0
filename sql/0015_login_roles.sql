-- The application and the job queue log in as roles of their own. `fleet_app` owns nothing,
-- cannot bypass row-level security and belongs to no other role, so no `SET ROLE` or
-- `RESET ROLE` on its connections leads past the tenant wall; `fleet_queue` owns pg-boss's schema
-- (pg-boss needs broad rights there: it creates and drops partitions, runs its own migrations) and
-- has no rights on the tenant tables. The migrating role (DATABASE_URL) only migrates: it is made
-- a member of both so it can hand them objects; the start-up gives the logins their passwords
-- (server/db/logins.ts) and lets `fleet_app` enqueue only its own tenant's jobs (jobs/boss.ts).

do $$
begin
  if exists (
    select 1 from pg_roles
    where rolname = 'fleet_app'
      and (not rolcanlogin or rolsuper or rolbypassrls or rolcreaterole or rolcreatedb or rolreplication)
  ) then
    alter role fleet_app login nosuperuser nobypassrls nocreaterole nocreatedb noreplication;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'fleet_queue') then
    create role fleet_queue login noinherit nosuperuser nobypassrls nocreaterole nocreatedb noreplication;
  end if;
  if not pg_has_role(current_user, 'fleet_queue', 'member') then
    execute format('grant fleet_queue to %I', current_user);
  end if;
end
$$;

-- pg-boss's schema: `fleet_queue` creates in it and owns what it created; what earlier starts
-- installed as the migrating role is handed over. The application's broad rights there, granted by
-- those starts, go. (The schema itself stays the migrating role's: a new schema owner would need
-- CREATE on the whole database.)
create schema if not exists pgboss;
grant usage, create on schema pgboss to fleet_queue;
revoke all on all tables in schema pgboss from fleet_app;
revoke all on all sequences in schema pgboss from fleet_app;
revoke all on all functions in schema pgboss from fleet_app;
revoke all on schema pgboss from fleet_app;
alter default privileges in schema pgboss revoke all on tables from fleet_app;
-- Enough to name the job tables; what it may do there, the queue's login decides (jobs/boss.ts).
grant usage on schema pgboss to fleet_app;

do $$
declare
  object record;
begin
  for object in
    select c.oid::regclass as name from pg_class c
    where c.relnamespace = 'pgboss'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
      and c.relowner <> 'fleet_queue'::regrole
  loop
    execute format('alter table %s owner to fleet_queue', object.name);
  end loop;
  -- Sequences of a column follow their table; only free-standing ones are left.
  for object in
    select c.oid::regclass as name from pg_class c
    where c.relnamespace = 'pgboss'::regnamespace and c.relkind = 'S'
      and c.relowner <> 'fleet_queue'::regrole
      and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i'))
  loop
    execute format('alter sequence %s owner to fleet_queue', object.name);
  end loop;
  for object in
    select p.oid::regprocedure as name, p.prokind from pg_proc p
    where p.pronamespace = 'pgboss'::regnamespace and p.proowner <> 'fleet_queue'::regrole
  loop
    execute format('alter %s %s owner to fleet_queue',
      case object.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'function' end, object.name);
  end loop;
  for object in
    select t.oid::regtype as name from pg_type t
    where t.typnamespace = 'pgboss'::regnamespace and t.typtype in ('e', 'd') and t.typowner <> 'fleet_queue'::regrole
  loop
    execute format('alter type %s owner to fleet_queue', object.name);
  end loop;
end
$$;
