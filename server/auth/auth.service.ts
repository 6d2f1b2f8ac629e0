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
  findLoginDevice,
  findUserByEmail,
  findUserById,
  forgiveLoginAttempt,
  insertSession,
  listSessionAccounts,
  listUserAccounts,
  rememberLoginDevice,
  revokeSession,
  touchApiToken,
  touchSession,
} from './auth.repo.ts';
import { newSecret, sameSecret, sha256, verifyDecoy, verifyPassword } from './secrets.ts';
import { throttleSourceKey } from './throttle-keys.ts';

/** Who is asking: a signed-in person (session cookie) or an ERP system (API token). */
export type Principal =
  | {
      kind: 'session';
      userId: bigint;
      isOperator: boolean;
      sessionId: string;
      csrfToken: string;
      signedInAt: Date;
      signInIp: string | null;
    }
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
  /** The remembered-device secret for the browser's device cookie. */
  deviceSecret: string;
  me: Me;
}

/**
 * Email + password sign-in, throttled across all web processes (the counts live in PostgreSQL).
 * Guesses are throttled, not the person: attempts from a device that signed in as this person
 * before (its device cookie) are counted per device, so a storm of guesses from elsewhere that
 * exhausts the person's limit leaves their own browser working. Everyone else is counted per
 * email and per IP (an IPv6 /64 as one). The answer never says whether the email exists; a
 * throttled key is audited once per window, not once per attempt.
 */
export async function signIn(
  db: Database,
  input: {
    email: string;
    password: string;
    ip: string | null;
    userAgent: string | null;
    deviceSecret?: string | undefined;
  },
  settings: AuthSettings,
): Promise<SignedIn> {
  const email = normaliseEmail(input.email);
  const device = input.deviceSecret
    ? await findLoginDevice(db, sha256(input.deviceSecret), email)
    : undefined;
  const userKey = device ? `device:${device.token_hash}` : `user:${email}`;
  const ipKey = !device && input.ip ? throttleSourceKey(input.ip) : undefined;
  const counts = await countLoginAttempt(
    db,
    ipKey ? [userKey, ipKey] : [userKey],
    settings.throttleWindowSeconds,
  );
  const limitOf = (key: string) => (key === ipKey ? settings.maxFailuresPerIp : settings.maxFailuresPerUser);
  const throttled = counts.find((c) => c.failures > limitOf(c.key));
  if (throttled) {
    const retryAfter = Math.max(
      1,
      Math.ceil(
        (throttled.window_started_at.getTime() + settings.throttleWindowSeconds * 1000 - Date.now()) / 1000,
      ),
    );
    // Only the attempt that crossed a limit is written; the rest of the window adds nothing.
    const crossed = counts.filter((c) => c.failures === limitOf(c.key) + 1);
    if (crossed.length > 0) {
      await appendAudit(db, {
        action: 'session.sign_in',
        outcome: 'denied',
        ip: input.ip,
        details: {
          email,
          reason: 'throttled',
          keys: crossed.map((c) => (c.key.startsWith('device:') ? 'device' : c.key.split(':')[0])),
          retryAfterSeconds: retryAfter,
        },
      });
    }
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
    // Platform log only: a failed guess is not activity of the person in any of their accounts.
    await appendAudit(db, {
      action: 'session.sign_in',
      outcome: 'failed',
      ip: input.ip,
      actorUserId: user?.id ?? null,
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
  const deviceSecret = device && input.deviceSecret ? input.deviceSecret : newSecret();
  await rememberLoginDevice(db, sha256(deviceSecret), user.id);
  const me = await describeUser(db, user.id);
  // The platform's log keeps the sign-in; each account sees it when the session first acts there.
  await appendAudit(db, { action: 'session.sign_in', actorUserId: user.id, ip: input.ip });
  return { sessionSecret, csrfToken, expiresAt, deviceSecret, me };
}

export async function signOut(db: Database, principal: Principal, ip: string | null): Promise<void> {
  if (principal.kind !== 'session') {
    throw new DomainError('not_a_session', 'API tokens are revoked by an owner, not signed out', {
      status: 400,
    });
  }
  await revokeSession(db, principal.sessionId);
  const accounts = await withUser(db, principal.userId, (trx) =>
    listSessionAccounts(trx, principal.sessionId),
  );
  const entry: AuditEntry = { action: 'session.sign_out', actorUserId: principal.userId, ip };
  await appendAudit(
    db,
    ...(accounts.length > 0 ? accounts.map((accountId) => ({ ...entry, accountId })) : [entry]),
  );
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
      signedInAt: session.created_at,
      signInIp: session.ip,
    };
  }
  return undefined;
}

export function csrfMatches(principal: Principal, sent: string | undefined): boolean {
  return principal.kind === 'token' || (sent !== undefined && sameSecret(principal.csrfToken, sent));
}
