import { isRole, type Role } from '../accounts/permissions.ts';
import { type AuditEntry, appendAudit } from '../audit/audit.repo.ts';
import type { AuthSettings } from '../config.ts';
import type { Database } from '../db/database.ts';
import { withUser } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import {
  countLoginAttempt,
  findApiToken,
  findLiveSession,
  findUserByEmail,
  findUserById,
  forgiveLoginAttempt,
  insertSession,
  listUserAccounts,
  revokeSession,
  touchApiToken,
  touchSession,
} from './auth.repo.ts';
import { newSecret, sameSecret, sha256, verifyDecoy, verifyPassword } from './secrets.ts';

/** Who is asking: a signed-in person (session cookie) or an ERP system (API token). */
export type Principal =
  | { kind: 'session'; userId: bigint; isOperator: boolean; sessionId: string; csrfToken: string }
  | { kind: 'token'; tokenId: bigint; accountId: bigint; role: Role };

export const API_TOKEN_PREFIX = 'fft_';

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

const invalidCredentials = () =>
  new DomainError('invalid_credentials', 'the email or password is not correct', { status: 401 });

export interface SignedIn {
  sessionSecret: string;
  csrfToken: string;
  expiresAt: Date;
  me: Me;
}

/**
 * Email + password sign-in, throttled per email and per IP across all web processes (the counts
 * live in PostgreSQL). The answer never says whether the email exists.
 */
export async function signIn(
  db: Database,
  input: { email: string; password: string; ip: string | null; userAgent: string | null },
  settings: AuthSettings,
): Promise<SignedIn> {
  const email = normaliseEmail(input.email);
  const userKey = `user:${email}`;
  const ipKey = input.ip ? `ip:${input.ip}` : undefined;
  const counts = await countLoginAttempt(
    db,
    ipKey ? [userKey, ipKey] : [userKey],
    settings.throttleWindowSeconds,
  );
  const throttled = counts.find(
    (c) => c.failures > (c.key === userKey ? settings.maxFailuresPerUser : settings.maxFailuresPerIp),
  );
  if (throttled) {
    const retryAfter = Math.max(
      1,
      Math.ceil(
        (throttled.window_started_at.getTime() + settings.throttleWindowSeconds * 1000 - Date.now()) / 1000,
      ),
    );
    await appendAudit(db, {
      action: 'session.sign_in',
      outcome: 'denied',
      ip: input.ip,
      details: { email, reason: 'throttled' },
    });
    throw new DomainError('too_many_attempts', 'too many failed sign-ins; wait and try again', {
      status: 429,
      details: { retryAfterSeconds: retryAfter },
    });
  }

  const user = await findUserByEmail(db, email);
  const ok =
    user?.password_hash && user.status === 'active'
      ? await verifyPassword(user.password_hash, input.password)
      : await verifyDecoy(input.password);
  if (!user || !ok) {
    await auditForUser(db, user?.id, {
      action: 'session.sign_in',
      outcome: 'failed',
      ip: input.ip,
      details: { email },
    });
    throw invalidCredentials();
  }

  await forgiveLoginAttempt(db, userKey, ipKey);
  const sessionSecret = newSecret();
  const csrfToken = newSecret(24);
  const expiresAt = new Date(Date.now() + settings.sessionMaxHours * 3_600_000);
  await insertSession(db, {
    id: sha256(sessionSecret),
    userId: user.id,
    csrfToken,
    expiresAt,
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 500) ?? null,
  });
  const me = await describeUser(db, user.id);
  await auditForUser(
    db,
    user.id,
    { action: 'session.sign_in', ip: input.ip },
    me.accounts.map((a) => BigInt(a.id)),
  );
  return { sessionSecret, csrfToken, expiresAt, me };
}

/** One audit row per account the user belongs to, so each account's owners see it; one row if none. */
async function auditForUser(
  db: Database,
  userId: bigint | undefined,
  entry: AuditEntry,
  accountIds?: bigint[],
): Promise<void> {
  const ids =
    accountIds ??
    (userId === undefined
      ? []
      : (await withUser(db, userId, (trx) => listUserAccounts(trx, userId))).map((a) => a.id));
  if (ids.length === 0) {
    await appendAudit(db, { ...entry, actorUserId: userId ?? null });
    return;
  }
  await appendAudit(db, ...ids.map((accountId) => ({ ...entry, accountId, actorUserId: userId })));
}

export async function signOut(db: Database, principal: Principal, ip: string | null): Promise<void> {
  if (principal.kind !== 'session') {
    throw new DomainError('not_a_session', 'API tokens are revoked by an owner, not signed out', {
      status: 400,
    });
  }
  await revokeSession(db, principal.sessionId);
  await auditForUser(db, principal.userId, { action: 'session.sign_out', ip });
}

export interface Me {
  user: { id: string; email: string; displayName: string; isOperator: boolean };
  accounts: Array<{ id: string; legalNameEn: string; legalNameAr: string; jurisdiction: string; role: Role }>;
}

export async function describeUser(db: Database, userId: bigint): Promise<Me> {
  const user = await findUserById(db, userId);
  if (!user) throw new DomainError('unauthenticated', 'sign in first', { status: 401 });
  const accounts = await withUser(db, userId, (trx) => listUserAccounts(trx, userId));
  return {
    user: {
      id: user.id.toString(),
      email: user.email,
      displayName: user.display_name,
      isOperator: user.is_operator,
    },
    accounts: accounts
      .filter((a) => a.status !== 'closed')
      .map((a) => ({
        id: a.id.toString(),
        legalNameEn: a.legal_name_en,
        legalNameAr: a.legal_name_ar,
        jurisdiction: a.jurisdiction,
        role: a.role as Role,
      })),
  };
}

/** Resolves the session cookie or bearer token of a request; undefined when there is neither. */
export async function authenticate(
  db: Database,
  credentials: { sessionSecret?: string; bearer?: string },
  settings: AuthSettings,
): Promise<Principal | undefined> {
  if (credentials.bearer !== undefined) {
    const token = credentials.bearer.startsWith(API_TOKEN_PREFIX)
      ? await findApiToken(db, sha256(credentials.bearer))
      : undefined;
    if (!token || token.revoked_at || !isRole(token.role)) {
      throw new DomainError('invalid_token', 'the API token is not valid or has been revoked', {
        status: 401,
      });
    }
    await touchApiToken(db, token.account_id, token.id);
    return { kind: 'token', tokenId: token.id, accountId: token.account_id, role: token.role };
  }
  if (credentials.sessionSecret !== undefined) {
    const id = sha256(credentials.sessionSecret);
    const session = await findLiveSession(db, id, settings.sessionIdleMinutes);
    if (!session) return undefined;
    await touchSession(db, id);
    return {
      kind: 'session',
      userId: session.user_id,
      isOperator: session.is_operator,
      sessionId: session.id,
      csrfToken: session.csrf_token,
    };
  }
  return undefined;
}

export function csrfMatches(principal: Principal, sent: string | undefined): boolean {
  return principal.kind === 'token' || (sent !== undefined && sameSecret(principal.csrfToken, sent));
}
