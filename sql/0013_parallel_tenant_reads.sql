-- The tenant functions only read transaction settings, which PostgreSQL hands to parallel workers,
-- so they are parallel safe. Declared unsafe (the default), they kept every query over a tenant
-- table (its row-level security policy calls them) from using parallel workers.
alter function app_account_id() parallel safe;
alter function app_user_id() parallel safe;
alter function app_is_operator() parallel safe;

-- The reconciliation keeps a night's diff in a temporary table of its transaction. PostgreSQL
-- grants that to everyone by default; a server that revoked it from PUBLIC still grants it here.
do $$
begin
  if not has_database_privilege('fleet_app', current_database(), 'temporary') then
    execute format('grant temporary on database %I to fleet_app', current_database());
  end if;
end
$$;
