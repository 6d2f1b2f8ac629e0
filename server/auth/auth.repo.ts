import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

export function findUserByEmail(db: Executor, email: string) {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'display_name', 'password_hash', 'is_operator', 'status'])
    .where('email', '=', email)
    .executeTakeFirst();
}

export function findUserById(db: Executor, userId: bigint) {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'display_name', 'is_operator', 'status'])
    .where('id', '=', userId)
    .executeTakeFirst();
}

/** The accounts a user belongs to, with their role; needs a transaction opened with withUser. */
export function listUserAccounts(trx: Executor, userId: bigint) {
  return trx
    .selectFrom('memberships as m')
    .innerJoin('accounts as a', 'a.id', 'm.account_id')
    .select(['a.id', 'a.legal_name_en', 'a.legal_name_ar', 'a.jurisdiction', 'a.status', 'm.role'])
    .where('m.user_id', '=', userId)
    .orderBy('a.id')
    .execute();
}

export async function insertSession(
  db: Executor,
  session: {
    id: string;
    userId: bigint;
    csrfToken: string;
    expiresAt: Date;
    ip: string | null;
    userAgent: string | null;
  },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id: session.id,
      user_id: session.userId,
      csrf_token: session.csrfToken,
      expires_at: session.expiresAt,
      ip: session.ip,
      user_agent: session.userAgent,
    })
    .execute();
}

/** A live session: not revoked, not expired, idle for less than `idleMinutes`. */
export function findLiveSession(db: Executor, id: string, idleMinutes: number) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id',
      'sessions.user_id',
      'sessions.csrf_token',
      'sessions.last_seen_at',
      'sessions.created_at',
      'sessions.ip',
      'users.is_operator',
    ])
    .where('sessions.id', '=', id)
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', sql<Date>`now()`)
    .where('sessions.last_seen_at', '>', sql<Date>`now() - make_interval(mins => ${idleMinutes})`)
    .where('users.status', '=', 'active')
    .executeTakeFirst();
}

/** Sliding idle expiry, written at most once a minute per session. */
export async function touchSession(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: sql`now()` })
    .where('id', '=', id)
    .where('last_seen_at', '<', sql<Date>`now() - interval '1 minute'`)
    .execute();
}

export async function revokeSession(db: Executor, id: string): Promise<void> {
  await db.updateTable('sessions').set({ revoked_at: sql`now()` }).where('id', '=', id).execute();
}

export async function revokeUserSessions(db: Executor, userId: bigint): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: sql`now()` })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function findApiToken(db: Executor, tokenHash: string) {
  const { rows } = await sql<{ account_id: bigint; id: bigint; role: string; revoked_at: Date | null }>`
    select account_id, id, role, revoked_at from find_api_token(${tokenHash})`.execute(db);
  return rows[0];
}

export async function touchApiToken(db: Executor, accountId: bigint, id: bigint): Promise<void> {
  await sql`select touch_api_token(${accountId}, ${id})`.execute(db);
}

/**
 * Counts a sign-in attempt against each key before the password is checked, in one statement,
 * so concurrent attempts cannot all slip under the limit. A key whose window has passed starts
 * again at 1. Answers each key's count within its window.
 */
export async function countLoginAttempt(db: Executor, keys: string[], windowSeconds: number) {
  const { rows } = await sql<{ key: string; failures: number; window_started_at: Date }>`
    insert into login_throttle (key, failures, window_started_at)
    select k, 1, now() from unnest(${keys}::text[]) as k
    on conflict (key) do update set
      failures = case when login_throttle.window_started_at <= now() - make_interval(secs => ${windowSeconds})
                      then 1 else login_throttle.failures + 1 end,
      window_started_at = case when login_throttle.window_started_at <= now() - make_interval(secs => ${windowSeconds})
                               then now() else login_throttle.window_started_at end
    returning key, failures, window_started_at`.execute(db);
  return rows;
}

/** A good sign-in clears the count it was charged to and takes its own attempt back from the IP's. */
export async function forgiveLoginAttempt(
  db: Executor,
  clearedKey: string,
  ipKey: string | undefined,
): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', clearedKey).execute();
  if (ipKey) {
    await db
      .updateTable('login_throttle')
      .set({ failures: sql`greatest(failures - 1, 0)` })
      .where('key', '=', ipKey)
      .execute();
  }
}

/** The person a remembered device signed in as, if it is the one with this email. */
export function findLoginDevice(db: Executor, tokenHash: string, email: string) {
  return db
    .selectFrom('login_devices as d')
    .innerJoin('users as u', 'u.id', 'd.user_id')
    .select(['d.token_hash', 'd.user_id'])
    .where('d.token_hash', '=', tokenHash)
    .where('u.email', '=', email)
    .executeTakeFirst();
}

export async function rememberLoginDevice(db: Executor, tokenHash: string, userId: bigint): Promise<void> {
  await db
    .insertInto('login_devices')
    .values({ token_hash: tokenHash, user_id: userId })
    .onConflict((oc) => oc.column('token_hash').doUpdateSet({ last_used_at: sql`now()` }))
    .execute();
}

/** Forgets every device of a person (their password was set: nothing signed in before is trusted). */
export async function deleteLoginDevices(db: Executor, userId: bigint): Promise<void> {
  await db.deleteFrom('login_devices').where('user_id', '=', userId).execute();
}

/** Notes that a session acts in an account; true the first time (needs a tenant transaction). */
export async function recordSessionAccount(
  trx: Executor,
  accountId: bigint,
  sessionId: string,
): Promise<boolean> {
  const row = await trx
    .insertInto('session_accounts')
    .values({ account_id: accountId, session_id: sessionId })
    .onConflict((oc) => oc.columns(['account_id', 'session_id']).doNothing())
    .returning('account_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** The accounts a session has acted in (needs a withUser transaction of its person). */
export async function listSessionAccounts(trx: Executor, sessionId: string): Promise<bigint[]> {
  const rows = await trx
    .selectFrom('session_accounts')
    .select('account_id')
    .where('session_id', '=', sessionId)
    .execute();
  return rows.map((r) => r.account_id);
}

/** Housekeeping: sessions long expired or revoked, and throttle windows long past, as of `now` (the maintenance's clock). */
export async function pruneAuthState(
  db: Executor,
  now: Date,
  olderThanDays: number,
): Promise<{ sessions: number; throttle: number }> {
  const before = (days: number) => new Date(now.getTime() - days * 86_400_000);
  const sessions = await db
    .deleteFrom('sessions')
    .where((eb) =>
      eb.or([eb('expires_at', '<', before(olderThanDays)), eb('revoked_at', '<', before(olderThanDays))]),
    )
    .executeTakeFirst();
  const throttle = await db
    .deleteFrom('login_throttle')
    .where('window_started_at', '<', before(1))
    .executeTakeFirst();
  await db.deleteFrom('login_devices').where('last_used_at', '<', before(400)).execute();
  return { sessions: Number(sessions.numDeletedRows), throttle: Number(throttle.numDeletedRows) };
}
