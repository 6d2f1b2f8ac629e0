import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

export interface AlertSettingsRow {
  horizon_days: number;
  daily_all_clear: boolean;
  quiet_start: string | null;
  quiet_end: string | null;
}

export const DEFAULT_SETTINGS: AlertSettingsRow = {
  horizon_days: 7,
  daily_all_clear: false,
  quiet_start: null,
  quiet_end: null,
};

export async function findSettings(trx: Executor, accountId: bigint): Promise<AlertSettingsRow> {
  const { rows } = await sql<AlertSettingsRow>`
    select horizon_days, daily_all_clear, to_char(quiet_start, 'HH24:MI') as quiet_start,
           to_char(quiet_end, 'HH24:MI') as quiet_end
    from alert_settings where account_id = ${accountId}`.execute(trx);
  return rows[0] ?? DEFAULT_SETTINGS;
}

export async function upsertSettings(trx: Executor, accountId: bigint, s: AlertSettingsRow): Promise<void> {
  await sql`
    insert into alert_settings (account_id, horizon_days, daily_all_clear, quiet_start, quiet_end)
    values (${accountId}, ${s.horizon_days}, ${s.daily_all_clear}, ${s.quiet_start}::time, ${s.quiet_end}::time)
    on conflict (account_id) do update set horizon_days = excluded.horizon_days,
      daily_all_clear = excluded.daily_all_clear, quiet_start = excluded.quiet_start,
      quiet_end = excluded.quiet_end, updated_at = now()`.execute(trx);
}

export interface RecipientRow {
  id: bigint;
  channel: 'email' | 'sms' | 'webhook';
  role: string | null;
  address: string | null;
  language: 'ar' | 'en';
  has_secret: boolean;
  active: boolean;
  created_at: Date;
}

export async function listRecipients(trx: Executor, accountId: bigint): Promise<RecipientRow[]> {
  const { rows } = await sql<RecipientRow>`
    select id, channel, role, address, language, secret is not null as has_secret, active, created_at
    from alert_recipients where account_id = ${accountId} and active order by id`.execute(trx);
  return rows;
}

export async function insertRecipient(
  trx: Executor,
  accountId: bigint,
  r: {
    channel: string;
    role: string | null;
    address: string | null;
    language: string;
    secret: string | null;
  },
): Promise<bigint> {
  const { rows } = await sql<{ id: bigint }>`
    insert into alert_recipients (account_id, channel, role, address, language, secret)
    values (${accountId}, ${r.channel}, ${r.role}, ${r.address}, ${r.language}, ${r.secret})
    returning id`.execute(trx);
  return rows[0]!.id;
}

export async function deactivateRecipient(trx: Executor, accountId: bigint, id: bigint): Promise<boolean> {
  const result = await sql`
    update alert_recipients set active = false
    where account_id = ${accountId} and id = ${id} and active`.execute(trx);
  return (result.numAffectedRows ?? 0n) > 0n;
}

/**
 * The run as the digest reads it, in one statement: its account's currency, zone and alert
 * settings, whether anyone receives alerts, the exceptions it opened, and the open payment numbers
 * that expire within the horizon (how many, their total, the soonest).
 */
export async function findRunForAlerts(trx: Executor, accountId: bigint, runId: bigint) {
  const { rows } = await sql<{
    id: bigint;
    status: string;
    kind: string;
    local_night: string | null;
    finished_at: Date | null;
    summary: {
      changes?: Array<{ change: string; violations: number; amountMinor: string }>;
      outstanding?: { violations: number; amountMinor: string };
      failedVehicles?: unknown[];
      heldSettlements?: number;
    } | null;
    error: string | null;
    currency: string;
    time_zone: string;
    jurisdiction: string;
    now: Date;
    horizon_days: number;
    daily_all_clear: boolean;
    quiet_start: string | null;
    quiet_end: string | null;
    has_recipients: boolean;
    exceptions_opened: number;
    expiring: number;
    expiring_minor: string;
    expiring_first: string | null;
    expiring_first_at: Date | null;
  }>`
    with run as (
      select r.*, a.currency, a.time_zone, a.jurisdiction, statement_timestamp() as now,
             coalesce(s.horizon_days, ${DEFAULT_SETTINGS.horizon_days}) as horizon_days,
             coalesce(s.daily_all_clear, false) as daily_all_clear,
             to_char(s.quiet_start, 'HH24:MI') as quiet_start, to_char(s.quiet_end, 'HH24:MI') as quiet_end
      from runs r join accounts a on a.id = r.account_id
      left join alert_settings s on s.account_id = r.account_id
      where r.account_id = ${accountId} and r.id = ${runId}
    )
    select run.id, run.status, run.kind, run.local_night::text, run.finished_at, run.summary, run.error, run.currency,
           run.time_zone, run.jurisdiction, run.now, run.horizon_days, run.daily_all_clear, run.quiet_start,
           run.quiet_end,
           exists (select from alert_recipients where account_id = ${accountId} and active) as has_recipients,
           (select count(*)::int from exceptions
            where account_id = ${accountId} and run_id = ${runId} and status = 'open') as exceptions_opened,
           p.n as expiring, p.total as expiring_minor, p.first_number as expiring_first, p.first_expires as expiring_first_at
    from run,
    lateral (
      select count(*)::int as n, coalesce(sum(total_minor - paid_minor), 0)::text as total,
             (array_agg(number order by expires_at, id))[1] as first_number, min(expires_at) as first_expires
      from payment_numbers
      where account_id = ${accountId} and state = 'open' and expires_at > run.now
        and expires_at <= run.now + make_interval(days => run.horizon_days)
    ) p`.execute(trx);
  return rows[0];
}

/** Outstanding violations of the fleet whose offence lies in [from, to): candidates for a deadline. */
export async function outstandingOffencesBetween(trx: Executor, accountId: bigint, from: Date, to: Date) {
  const { rows } = await sql<{
    ticket_number: string;
    plate_key: string;
    offence_at: Date;
    amount_minor: bigint;
  }>`
    select v.ticket_number, ve.plate_key, v.offence_at, v.amount_minor
    from violations v
    join vehicles ve on ve.account_id = v.account_id and ve.id = v.vehicle_id
    where v.account_id = ${accountId} and v.state = 'outstanding' and v.outside_fleet_since_run is null
      and v.offence_at >= ${from} and v.offence_at < ${to}
    order by v.offence_at, v.ticket_number`.execute(trx);
  return rows;
}

/**
 * Writes one digest per active recipient and destination (a role becomes its active members'
 * addresses) for the run; a digest already there for the same run, recipient, channel and
 * destination is kept as it is. Email and SMS wait until `peopleAfter` (quiet hours). Answers
 * how many were written.
 */
export async function insertRunDigests(
  trx: Executor,
  accountId: bigint,
  digest: { runId: bigint | null; kind: 'run' | 'all_clear' | 'test'; events: string; recipientId?: bigint },
  now: Date,
  peopleAfter: Date,
): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with targets as (
      select r.id as recipient_id, r.channel, coalesce(r.address, u.email) as destination, r.language
      from alert_recipients r
      left join memberships m on r.role is not null and m.account_id = r.account_id and m.role = r.role
      left join users u on u.id = m.user_id and u.status = 'active'
      where r.account_id = ${accountId} and r.active
        ${digest.recipientId === undefined ? sql`` : sql`and r.id = ${digest.recipientId}`}
        and (r.address is not null or u.email is not null)
    ), written as (
      insert into alert_digests (account_id, run_id, recipient_id, kind, channel, destination, language, events,
                                 idempotency_key, next_attempt_at, created_at)
      select ${accountId}, ${digest.runId}, t.recipient_id, ${digest.kind}, t.channel, t.destination, t.language,
             ${digest.events}::jsonb, 'msg_' || replace(gen_random_uuid()::text, '-', ''),
             case when t.channel = 'webhook' then ${now}::timestamptz else ${peopleAfter}::timestamptz end, ${now}
      from targets t
      on conflict (account_id, run_id, recipient_id, channel, destination) where run_id is not null do nothing
      returning 1
    )
    select count(*)::int as n from written`.execute(trx);
  return rows[0]!.n;
}

/**
 * A run's digests that no attempt has touched yet take the count of the run's open exceptions as
 * it is now (an all-clear with exceptions becomes a digest); what went out under a key never changes.
 */
export async function refreshDigestExceptions(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
): Promise<number> {
  const result = await sql`
    update alert_digests d
    set events = jsonb_set(d.events, '{exceptionsOpened}', to_jsonb(x.n)),
        kind = case when x.n > 0 then 'run' else d.kind end
    from (select count(*)::int as n from exceptions
          where account_id = ${accountId} and run_id = ${runId} and status = 'open') x
    where d.account_id = ${accountId} and d.run_id = ${runId} and d.kind in ('run', 'all_clear')
      and d.status = 'pending' and d.attempts = 0`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

export interface DigestListRow {
  id: bigint;
  run_id: bigint | null;
  kind: string;
  channel: string;
  destination: string;
  language: string;
  idempotency_key: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  sent_at: Date | null;
  created_at: Date;
  events: unknown;
  history: Array<{ attempt: number; at: string; outcome: string; error: string | null }>;
}

export async function listDigests(
  trx: Executor,
  accountId: bigint,
  filter: { status?: string; runId?: bigint; before?: bigint; limit: number },
): Promise<DigestListRow[]> {
  const { rows } = await sql<DigestListRow>`
    select d.id, d.run_id, d.kind, d.channel, d.destination, d.language, d.idempotency_key, d.status, d.attempts,
           d.next_attempt_at, d.last_error, d.sent_at, d.created_at, d.events,
           coalesce((select jsonb_agg(jsonb_build_object('attempt', a.attempt, 'at', a.at, 'outcome', a.outcome,
                                                          'error', a.error) order by a.attempt)
                     from alert_attempts a where a.account_id = d.account_id and a.digest_id = d.id), '[]') as history
    from alert_digests d
    where d.account_id = ${accountId}
      ${filter.status ? sql`and d.status = ${filter.status}` : sql``}
      ${filter.runId !== undefined ? sql`and d.run_id = ${filter.runId}` : sql``}
      ${filter.before !== undefined ? sql`and d.id < ${filter.before}` : sql``}
    order by d.id desc
    limit ${filter.limit}`.execute(trx);
  return rows;
}

/** Puts a sent or dead-lettered digest back in the outbox with its idempotency key; answers its status before. */
export async function requeueDigest(trx: Executor, accountId: bigint, id: bigint, now: Date) {
  const { rows } = await sql<{ status: string; requeued: boolean }>`
    with found as (
      select status from alert_digests where account_id = ${accountId} and id = ${id} for update
    ), requeued as (
      update alert_digests set status = 'pending', attempts = 0, next_attempt_at = ${now}, lease_until = null
      where account_id = ${accountId} and id = ${id} and status in ('sent', 'dead')
      returning 1
    )
    select (select status from found) as status, exists (select from requeued) as requeued`.execute(trx);
  return rows[0]!;
}

export interface ClaimedDigest {
  account_id: bigint;
  id: bigint;
  run_id: bigint | null;
  kind: 'run' | 'all_clear' | 'test';
  channel: 'email' | 'sms' | 'webhook';
  destination: string;
  language: 'ar' | 'en';
  events: unknown;
  idempotency_key: string;
  attempts: number;
  secret: string | null;
  currency: string;
  time_zone: string;
  legal_name_ar: string;
  legal_name_en: string;
}

/** A claimed digest's key: all that the claim, which crosses tenants, hands out. */
export interface ClaimedKey {
  account_id: bigint;
  id: bigint;
}

/** Claims due digests (of one account, or all) for `leaseSeconds`; others skip them meanwhile. */
export async function claimDigestKeys(
  db: Executor,
  accountId: bigint | null,
  now: Date,
  leaseSeconds: number,
  limit: number,
): Promise<ClaimedKey[]> {
  const { rows } = await sql<ClaimedKey>`
    select account_id, id from claim_alert_digests(${accountId}::bigint, ${now}::timestamptz,
                                      make_interval(secs => ${leaseSeconds}), ${limit}::int)`.execute(db);
  return rows;
}

/** The claimed digests of the transaction's account, with their recipient's secret and the account's names. */
export async function readClaimedDigests(
  trx: Executor,
  accountId: bigint,
  ids: bigint[],
): Promise<ClaimedDigest[]> {
  const { rows } = await sql<ClaimedDigest>`
    select d.account_id, d.id, d.run_id, d.kind, d.channel, d.destination, d.language, d.events,
           d.idempotency_key, d.attempts, r.secret, a.currency, a.time_zone, a.legal_name_ar, a.legal_name_en
    from alert_digests d
    join alert_recipients r on r.account_id = d.account_id and r.id = d.recipient_id
    join accounts a on a.id = d.account_id
    where d.account_id = ${accountId} and d.id = any(${ids.map(String)}::bigint[]) and d.status = 'sending'
    order by d.next_attempt_at, d.id`.execute(trx);
  return rows;
}

export interface DigestOutcome {
  id: string;
  attempts: number;
  ok: boolean;
  error: string | null;
  /** When to try again; null dead-letters a failure. */
  retryAt: string | null;
}

/**
 * Records what became of the account's claimed digests (sent, retried later, dead-lettered) and logs
 * each attempt. Only digests still claimed by that attempt change: a sender whose lease passed and
 * whose digest was claimed again records nothing.
 */
export async function completeDigests(
  trx: Executor,
  accountId: bigint,
  now: Date,
  outcomes: DigestOutcome[],
): Promise<number> {
  if (outcomes.length === 0) return 0;
  const { rows } = await sql<{ n: number }>`
    with o as (
      select (x ->> 'id')::bigint as id, (x ->> 'attempts')::int as attempts, (x ->> 'ok')::boolean as ok,
             x ->> 'error' as error, (x ->> 'retryAt')::timestamptz as retry_at
      from jsonb_array_elements(${JSON.stringify(outcomes)}::jsonb) x
    ), done as (
      update alert_digests d set
        status = case when o.ok then 'sent' when o.retry_at is null then 'dead' else 'pending' end,
        sent_at = case when o.ok then ${now}::timestamptz else d.sent_at end,
        next_attempt_at = coalesce(o.retry_at, d.next_attempt_at),
        last_error = case when o.ok then d.last_error else o.error end,
        lease_until = null
      from o
      where d.account_id = ${accountId} and d.id = o.id and d.status = 'sending' and d.attempts = o.attempts
      returning d.account_id, d.id, d.attempts, d.status, o.error
    ), logged as (
      insert into alert_attempts (account_id, digest_id, attempt, at, outcome, error)
      select account_id, id, attempts, ${now}::timestamptz,
             case status when 'sent' then 'sent' when 'dead' then 'dead' else 'failed' end,
             case when status = 'sent' then null else error end
      from done
      on conflict do nothing
    )
    select count(*)::int as n from done`.execute(trx);
  return rows[0]!.n;
}

/** The fleet's outstanding violations now (for a run that ended without a summary). */
export async function outstandingNow(trx: Executor, accountId: bigint) {
  const { rows } = await sql<{ n: number; total: string }>`
    select count(*)::int as n, coalesce(sum(amount_minor), 0)::text as total
    from violations
    where account_id = ${accountId} and state = 'outstanding' and outside_fleet_since_run is null`.execute(
    trx,
  );
  return rows[0]!;
}

export async function findAccountForAlerts(trx: Executor, accountId: bigint) {
  const { rows } = await sql<{ currency: string; time_zone: string; now: Date }>`
    select currency, time_zone, statement_timestamp() as now from accounts where id = ${accountId}`.execute(
    trx,
  );
  return rows[0];
}
