-- Alerts: per-account settings and recipients, and the transactional outbox of digests. A run's
-- digests are written in the run's own transaction (one per account, run, recipient, channel and
-- destination, guarded by a unique index); jobs drain the outbox with retries, leases and a dead
-- letter. Rows reference runs and accounts only, never the per-night tables (lookups, answers,
-- changes), which get partitioned.

create table alert_settings (
  account_id bigint primary key references accounts (id),
  -- Escalation deadlines within this many days are announced, with what paying now saves.
  horizon_days integer not null default 7 check (horizon_days between 1 and 60),
  -- A scheduled night with nothing to report still sends an "all clear".
  daily_all_clear boolean not null default false,
  -- Local times in the account's zone: email and SMS wait until quiet hours end (webhooks do not).
  quiet_start time,
  quiet_end time,
  updated_at timestamptz not null default now(),
  check ((quiet_start is null) = (quiet_end is null))
);

create table alert_recipients (
  account_id bigint not null references accounts (id),
  id bigint generated always as identity,
  channel text not null check (channel in ('email', 'sms', 'webhook')),
  -- Either every member with a role (email only) or one address: an email, an E.164 phone or an https URL.
  role text check (role in ('owner', 'fleet_admin', 'accountant', 'viewer')),
  address text check (length(address) between 3 and 2000),
  language text not null default 'ar' check (language in ('ar', 'en')),
  -- A webhook endpoint's own signing secret (Standard Webhooks, whsec_…).
  secret text check (secret ~ '^whsec_[A-Za-z0-9+/=]{24,}$'),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  primary key (account_id, id),
  check ((role is null) <> (address is null)),
  check (role is null or channel = 'email'),
  check ((channel = 'webhook') = (secret is not null))
);

create table alert_digests (
  account_id bigint not null references accounts (id),
  id bigint generated always as identity,
  -- The run it reports (null for a test-send from the settings).
  run_id bigint,
  recipient_id bigint not null,
  kind text not null check (kind in ('run', 'all_clear', 'test')),
  channel text not null check (channel in ('email', 'sms', 'webhook')),
  destination text not null,
  language text not null check (language in ('ar', 'en')),
  -- What happened, in numbers (amounts as minor-unit strings); words are made per language at send time.
  events jsonb not null,
  -- The same on every attempt and re-send: webhook-id, Message-ID, the SMS provider's idempotency key.
  idempotency_key text not null unique,
  status text not null default 'pending' check (status in ('pending', 'sending', 'sent', 'dead')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  -- A claimed digest whose sender died is claimed again once its lease has passed.
  lease_until timestamptz,
  last_error text,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (account_id, id),
  foreign key (account_id, run_id) references runs (account_id, id),
  foreign key (account_id, recipient_id) references alert_recipients (account_id, id)
);
-- Exactly one digest per run, recipient, channel and destination, however often the run's end is replayed.
create unique index alert_digests_one_per_run on alert_digests (account_id, run_id, recipient_id, channel, destination)
  where run_id is not null;
create index alert_digests_due on alert_digests (next_attempt_at) where status in ('pending', 'sending');
create index alert_digests_recent on alert_digests (account_id, id desc);

-- Every delivery attempt with its outcome: what owners read when a digest is dead-lettered.
create table alert_attempts (
  account_id bigint not null,
  digest_id bigint not null,
  attempt integer not null,
  at timestamptz not null,
  outcome text not null check (outcome in ('sent', 'failed', 'dead')),
  error text,
  primary key (account_id, digest_id, attempt),
  foreign key (account_id, digest_id) references alert_digests (account_id, id)
);

do $$
declare t text;
begin
  foreach t in array array['alert_settings', 'alert_recipients', 'alert_digests', 'alert_attempts'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format('create policy %I on %I using (account_id = app_account_id()) with check (account_id = app_account_id())',
                   t || '_tenant', t);
  end loop;
end
$$;

grant select, insert, update on alert_settings, alert_recipients, alert_digests, alert_attempts to fleet_app;
grant usage on all sequences in schema public to fleet_app;

-- The outbox is drained across accounts (a worker serves every tenant): these two functions claim
-- due digests and record their outcomes, and nothing else, past row-level security.
create function claim_alert_digests(p_account_id bigint, p_now timestamptz, p_lease interval, p_limit integer)
returns table (account_id bigint, id bigint, run_id bigint, kind text, channel text, destination text,
               language text, events jsonb, idempotency_key text, attempts integer, secret text,
               currency text, time_zone text, legal_name_ar text, legal_name_en text)
language sql security definer set search_path = public as $$
  with due as (
    select d.account_id, d.id from alert_digests d
    where (p_account_id is null or d.account_id = p_account_id)
      and ((d.status = 'pending' and d.next_attempt_at <= p_now)
           or (d.status = 'sending' and d.lease_until < p_now))
    order by d.next_attempt_at, d.account_id, d.id
    limit p_limit
    for update skip locked
  ), claimed as (
    update alert_digests d set status = 'sending', lease_until = p_now + p_lease, attempts = d.attempts + 1
    from due where d.account_id = due.account_id and d.id = due.id
    returning d.*
  )
  select c.account_id, c.id, c.run_id, c.kind, c.channel, c.destination, c.language, c.events,
         c.idempotency_key, c.attempts, r.secret, a.currency, a.time_zone, a.legal_name_ar, a.legal_name_en
  from claimed c
  join alert_recipients r on r.account_id = c.account_id and r.id = c.recipient_id
  join accounts a on a.id = c.account_id
$$;

-- p_outcomes: [{"accountId", "id", "attempts", "ok", "error", "retryAt"}]; a failure with no
-- retryAt is dead-lettered. Only digests still claimed by that attempt are changed.
create function complete_alert_digests(p_now timestamptz, p_outcomes jsonb)
returns integer
language sql security definer set search_path = public as $$
  with o as (
    select (x ->> 'accountId')::bigint as account_id, (x ->> 'id')::bigint as id,
           (x ->> 'attempts')::int as attempts, (x ->> 'ok')::boolean as ok, x ->> 'error' as error,
           (x ->> 'retryAt')::timestamptz as retry_at
    from jsonb_array_elements(p_outcomes) x
  ), done as (
    update alert_digests d set
      status = case when o.ok then 'sent' when o.retry_at is null then 'dead' else 'pending' end,
      sent_at = case when o.ok then p_now else d.sent_at end,
      next_attempt_at = coalesce(o.retry_at, d.next_attempt_at),
      last_error = case when o.ok then d.last_error else o.error end,
      lease_until = null
    from o
    where d.account_id = o.account_id and d.id = o.id and d.status = 'sending' and d.attempts = o.attempts
    returning d.account_id, d.id, d.attempts, d.status, o.error
  ), logged as (
    insert into alert_attempts (account_id, digest_id, attempt, at, outcome, error)
    select account_id, id, attempts, p_now, case status when 'sent' then 'sent' when 'dead' then 'dead' else 'failed' end,
           case when status = 'sent' then null else error end
    from done
    on conflict do nothing
  )
  select count(*)::int from done
$$;
revoke all on function claim_alert_digests(bigint, timestamptz, interval, integer),
                       complete_alert_digests(timestamptz, jsonb) from public;
grant execute on function claim_alert_digests(bigint, timestamptz, interval, integer),
                          complete_alert_digests(timestamptz, jsonb) to fleet_app;
