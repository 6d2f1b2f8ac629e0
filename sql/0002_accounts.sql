-- Accounts (tenants), users, memberships, sessions, API tokens, login throttling and the audit log.
--
-- The tenant wall: the application connects as `fleet_app` (no table ownership, no BYPASSRLS),
-- and every tenant table has forced row-level security keyed on the transaction-local setting
-- `app.account_id` (set with set_config(..., true)). Migrations run as the owner.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'fleet_app') then
    create role fleet_app nologin noinherit nobypassrls;
  end if;
end
$$;
-- The migrating role must be able to SET ROLE fleet_app for its own application connections.
do $$
begin
  if not pg_has_role(current_user, 'fleet_app', 'member') then
    execute format('grant fleet_app to %I', current_user);
  end if;
end
$$;

grant usage on schema public to fleet_app;

-- The current tenant, or null outside a tenant transaction (then no tenant row is visible).
create function app_account_id() returns bigint language sql stable as $$
  select nullif(current_setting('app.account_id', true), '')::bigint
$$;
create function app_user_id() returns bigint language sql stable as $$
  select nullif(current_setting('app.user_id', true), '')::bigint
$$;
create function app_is_operator() returns boolean language sql stable as $$
  select coalesce(current_setting('app.operator', true), '') = 'on'
$$;

create table accounts (
  id bigint generated always as identity primary key,
  kind text not null check (kind in ('company', 'sole_proprietorship', 'cooperative', 'association',
                                     'professional_office', 'free_zone_firm')),
  legal_name_ar text not null check (length(legal_name_ar) between 1 and 300),
  legal_name_en text not null check (length(legal_name_en) between 1 and 300),
  registry_number text not null check (length(registry_number) between 1 and 64),
  jurisdiction text not null check (jurisdiction in ('JO', 'IQ', 'EG')),
  currency text not null check (currency in ('JOD', 'IQD', 'EGP')),
  time_zone text not null,
  nightly_run_time time not null default '02:00',
  status text not null default 'active' check (status in ('active', 'suspended', 'closed')),
  is_demo boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (jurisdiction, registry_number)
);

create table users (
  id bigint generated always as identity primary key,
  email text not null check (email = lower(email) and email like '%_@_%'),
  display_name text not null default '',
  password_hash text,
  is_operator boolean not null default false,
  status text not null default 'active' check (status in ('invited', 'active', 'disabled')),
  created_at timestamptz not null default now(),
  unique (email)
);

create table memberships (
  account_id bigint not null references accounts (id),
  user_id bigint not null references users (id),
  role text not null check (role in ('owner', 'fleet_admin', 'accountant', 'viewer')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (account_id, user_id)
);
create index memberships_user on memberships (user_id);

create table invitations (
  account_id bigint not null references accounts (id),
  id bigint generated always as identity,
  user_id bigint not null references users (id),
  role text not null check (role in ('owner', 'fleet_admin', 'accountant', 'viewer')),
  token_hash text not null unique,
  invited_by bigint references users (id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  accepted_at timestamptz,
  primary key (account_id, id)
);

-- Sessions belong to a user, not a tenant; the cookie holds a secret whose SHA-256 is the id.
create table sessions (
  id text primary key,
  user_id bigint not null references users (id),
  csrf_token text not null,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  ip inet,
  user_agent text
);
create index sessions_user on sessions (user_id);

create table api_tokens (
  account_id bigint not null references accounts (id),
  id bigint generated always as identity,
  name text not null check (length(name) between 1 and 100),
  role text not null check (role in ('owner', 'fleet_admin', 'accountant', 'viewer')),
  token_hash text not null unique,
  prefix text not null,
  created_by bigint references users (id),
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  primary key (account_id, id)
);

-- Failed sign-ins per key (`user:<email>`, `ip:<address>`), in a sliding window; shared by all web processes.
create table login_throttle (
  key text primary key,
  failures integer not null,
  window_started_at timestamptz not null
);

create table audit_log (
  id bigint generated always as identity,
  account_id bigint references accounts (id),
  at timestamptz not null default now(),
  actor_user_id bigint references users (id),
  actor_token_id bigint,
  action text not null,
  target text,
  outcome text not null default 'ok' check (outcome in ('ok', 'denied', 'failed')),
  ip inet,
  details jsonb not null default '{}'::jsonb,
  primary key (id)
);
create index audit_log_account on audit_log (account_id, at desc);

-- Row-level security: forced, so even the owner's sessions are walled when they act as the app.
alter table accounts enable row level security;
alter table accounts force row level security;
create policy accounts_visible on accounts
  using (id = app_account_id()
         or app_is_operator()
         or exists (select 1 from memberships m where m.account_id = accounts.id and m.user_id = app_user_id()))
  with check (id = app_account_id() or app_is_operator());

alter table memberships enable row level security;
alter table memberships force row level security;
create policy memberships_tenant on memberships
  using (account_id = app_account_id() or user_id = app_user_id() or app_is_operator())
  with check (account_id = app_account_id() or app_is_operator());

alter table invitations enable row level security;
alter table invitations force row level security;
create policy invitations_tenant on invitations
  using (account_id = app_account_id() or app_is_operator())
  with check (account_id = app_account_id() or app_is_operator());

alter table api_tokens enable row level security;
alter table api_tokens force row level security;
create policy api_tokens_tenant on api_tokens
  using (account_id = app_account_id())
  with check (account_id = app_account_id());

-- The audit log: anyone may append (a failed sign-in has no tenant yet); a tenant reads its own.
alter table audit_log enable row level security;
alter table audit_log force row level security;
create policy audit_log_append on audit_log for insert with check (true);
create policy audit_log_read on audit_log for select using (account_id = app_account_id() or app_is_operator());

grant select, insert, update on accounts, users, memberships, invitations, sessions, api_tokens to fleet_app;
grant delete on memberships, sessions to fleet_app;
grant select, insert, update, delete on login_throttle to fleet_app;
grant select, insert on audit_log to fleet_app;
grant usage on all sequences in schema public to fleet_app;
grant select, insert, update on maintenance_runs to fleet_app;

-- Look-ups by secret, before the tenant is known. Security definer, so they see past RLS for
-- exactly this: the row whose hash matches, nothing else.
create function find_api_token(p_token_hash text)
returns table (account_id bigint, id bigint, role text, revoked_at timestamptz)
language sql stable security definer set search_path = public as $$
  select t.account_id, t.id, t.role, t.revoked_at from api_tokens t where t.token_hash = p_token_hash
$$;
create function touch_api_token(p_account_id bigint, p_id bigint) returns void
language sql security definer set search_path = public as $$
  update api_tokens set last_used_at = now()
  where account_id = p_account_id and id = p_id and (last_used_at is null or last_used_at < now() - interval '1 minute')
$$;
create function find_invitation(p_token_hash text)
returns table (account_id bigint, id bigint, user_id bigint, role text, expires_at timestamptz, accepted_at timestamptz)
language sql stable security definer set search_path = public as $$
  select i.account_id, i.id, i.user_id, i.role, i.expires_at, i.accepted_at from invitations i where i.token_hash = p_token_hash
$$;
revoke all on function find_api_token(text), touch_api_token(bigint, bigint), find_invitation(text) from public;
grant execute on function find_api_token(text), touch_api_token(bigint, bigint), find_invitation(text) to fleet_app;
