-- Payment numbers (each a frozen set of (violation, amount) lines), payments coming back from the
-- payment networks, the per-account secrets that sign their notifications, and the notifications
-- already seen (replay guard). Tenant tables: account_id leads every key, forced row-level
-- security, no DELETE grant; history is kept, only state fields change.

create table payment_numbers (
  account_id bigint not null references accounts (id),
  id bigint generated always as identity,
  -- Numeric, fixed length per kind, ISO 7064 MOD 97-10 check digits (validated in the service).
  number text not null check (number ~ '^[0-9]{10,24}$'),
  kind text not null check (kind in ('violation', 'vehicle', 'consolidated')),
  -- Who issued it: the authority (payable as is) or the product (a payment order for the accountant).
  issuer text not null check (issuer in ('authority', 'product')),
  -- What was asked for: {"scope": "account" | "vehicles" | "tickets" | "cost_centre" | "vehicle", ...}.
  selection jsonb not null,
  vehicle_id bigint,
  -- SHA-256 (hex) of the sorted "ticket:amount" lines: the exact line set.
  line_hash text not null check (line_hash ~ '^[0-9a-f]{64}$'),
  line_count integer not null check (line_count > 0),
  total_minor bigint not null check (total_minor > 0),
  -- What the lines come to after the next deadline (escalation), where one falls before expiry.
  total_after_deadline_minor bigint not null,
  next_deadline_at timestamptz,
  currency text not null check (currency in ('JOD', 'IQD', 'EGP')),
  issued_at timestamptz not null,
  expires_at timestamptz not null,
  state text not null default 'open'
    check (state in ('open', 'paid', 'partially_paid', 'superseded', 'expired')),
  paid_minor bigint not null default 0 check (paid_minor >= 0),
  state_changed_at timestamptz,
  issued_by_run bigint,
  requested_by bigint references users (id),
  primary key (account_id, id),
  check (expires_at > issued_at),
  check ((kind = 'vehicle') = (vehicle_id is not null))
);
-- One open number per account, kind and exact line set: asking twice (or fifty times at once)
-- for the same set finds the same number.
create unique index payment_numbers_one_open_per_set on payment_numbers (account_id, kind, line_hash)
  where state = 'open';
create unique index payment_numbers_number on payment_numbers (account_id, number);
create index payment_numbers_recent on payment_numbers (account_id, id desc);
create index payment_numbers_open_vehicle on payment_numbers (account_id, vehicle_id) where state = 'open';

create table payment_number_lines (
  account_id bigint not null,
  payment_number_id bigint not null,
  ticket_number text not null,
  vehicle_id bigint not null,
  offence_at timestamptz not null,
  amount_minor bigint not null check (amount_minor > 0),
  amount_after_deadline_minor bigint not null,
  next_deadline_at timestamptz,
  -- open → paid_pending (a payment covered it) → confirmed (a later run saw it settled).
  state text not null default 'open' check (state in ('open', 'paid_pending', 'confirmed')),
  paid_minor bigint not null default 0 check (paid_minor >= 0),
  primary key (account_id, payment_number_id, ticket_number),
  foreign key (account_id, payment_number_id) references payment_numbers (account_id, id)
);
create index payment_number_lines_ticket on payment_number_lines (account_id, ticket_number);
create index payment_number_lines_pending on payment_number_lines (account_id) where state = 'paid_pending';

create table payments (
  account_id bigint not null references accounts (id),
  id bigint generated always as identity,
  -- The network (or file source) and its own unique transaction id: one payment per transaction.
  network text not null check (network in ('generic', 'efawateercom', 'fawry', 'settlement_file')),
  transaction_id text not null check (length(transaction_id) between 1 and 128),
  source text not null check (source in ('notification', 'settlement_file')),
  -- The number as it came in, and the payment number it matched (null when unknown).
  reference text not null,
  payment_number_id bigint,
  amount_minor bigint not null check (amount_minor > 0),
  fee_minor bigint not null default 0 check (fee_minor >= 0),
  currency text not null check (currency in ('JOD', 'IQD', 'EGP')),
  paid_at timestamptz not null,
  settled_on date,
  channel text,
  outcome text not null check (outcome in ('matched', 'short', 'over', 'unknown_number', 'superseded_number',
                                           'expired_number', 'duplicate')),
  received_at timestamptz not null default now(),
  evidence jsonb not null default '{}'::jsonb,
  primary key (account_id, id)
);
create unique index payments_one_per_transaction on payments (account_id, network, transaction_id);
create index payments_recent on payments (account_id, id desc);
create index payments_by_number on payments (account_id, payment_number_id);

-- Secrets that sign a network's notifications to one account. Rotation adds a new one and gives
-- the old ones an end a little later, so notifications signed either way pass during the overlap.
create table payment_network_secrets (
  account_id bigint not null references accounts (id),
  id bigint generated always as identity,
  network text not null check (network in ('generic', 'efawateercom', 'fawry')),
  secret text not null check (length(secret) >= 32),
  created_at timestamptz not null default now(),
  valid_until timestamptz,
  primary key (account_id, id)
);
create index payment_network_secrets_current on payment_network_secrets (account_id, network);

-- Every signed notification accepted: the same signature twice is a replay and is refused.
create table payment_notifications_seen (
  account_id bigint not null,
  network text not null,
  signature text not null,
  received_at timestamptz not null default now(),
  primary key (account_id, network, signature)
);

-- Exceptions now also come from payments: an expired number paid, and a person's note on resolving.
alter table exceptions drop constraint exceptions_kind_check;
alter table exceptions add constraint exceptions_kind_check
  check (kind in ('suspect_mass_settlement', 'amount_mismatch', 'unknown_reference', 'superseded_reference',
                  'expired_reference', 'duplicate_payment', 'paid_still_outstanding', 'settled_without_payment'));
alter table exceptions drop constraint exceptions_status_check;
alter table exceptions add constraint exceptions_status_check
  check (status in ('open', 'confirmed', 'dismissed', 'resolved'));
alter table exceptions add column payment_id bigint;
alter table exceptions add column payment_number_id bigint;
alter table exceptions add column resolution_note text;
-- One exception per payment and kind, and one "paid but still outstanding" per number.
create unique index exceptions_one_per_payment on exceptions (account_id, payment_id, kind)
  where payment_id is not null;
create unique index exceptions_one_still_outstanding on exceptions (account_id, payment_number_id)
  where kind = 'paid_still_outstanding';
create unique index exceptions_one_unpaid_settlement_per_run on exceptions (account_id, run_id)
  where kind = 'settled_without_payment';

do $$
declare t text;
begin
  foreach t in array array['payment_numbers', 'payment_number_lines', 'payments', 'payment_network_secrets',
                           'payment_notifications_seen'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format('create policy %I on %I using (account_id = app_account_id()) with check (account_id = app_account_id())',
                   t || '_tenant', t);
  end loop;
end
$$;

grant select, insert, update on payment_numbers, payment_number_lines, payment_network_secrets to fleet_app;
grant select, insert on payments, payment_notifications_seen to fleet_app;
grant usage on all sequences in schema public to fleet_app;

-- The product's own payment-order references: one sequence for all accounts, so they never collide.
create sequence payment_order_seq;
grant usage on sequence payment_order_seq to fleet_app;
