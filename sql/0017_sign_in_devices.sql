-- Sign-in throttling that slows guesses, not the owner, and sign-ins audited per account.
--
-- A browser that signed in as a person gets a device cookie; its secret's SHA-256 is kept here.
-- Attempts for that person from a recognised device are counted per device, so guesses from
-- elsewhere that exhaust the person's limit do not lock them out of their own browser.
create table login_devices (
  token_hash text primary key,
  user_id bigint not null references users (id),
  created_at timestamptz not null default now(),
  last_used_at timestamptz not null default now()
);
create index login_devices_user on login_devices (user_id);
grant select, insert, update, delete on login_devices to fleet_app;

-- The accounts a session has acted in: its sign-in is audited in each, once, when it first acts
-- there (never broadcast to every account the person belongs to).
create table session_accounts (
  account_id bigint not null references accounts (id),
  session_id text not null references sessions (id) on delete cascade,
  first_at timestamptz not null default now(),
  primary key (account_id, session_id)
);
create index session_accounts_session on session_accounts (session_id);
alter table session_accounts enable row level security;
alter table session_accounts force row level security;
create policy session_accounts_tenant on session_accounts
  using (account_id = app_account_id()
         or exists (select 1 from sessions s where s.id = session_id and s.user_id = app_user_id()))
  with check (account_id = app_account_id());
grant select, insert on session_accounts to fleet_app;
