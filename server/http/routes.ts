import { parseCookie, stringifySetCookie } from 'cookie';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { findMembershipRole } from '../accounts/accounts.repo.ts';
import { can, type Permission, type Role } from '../accounts/permissions.ts';
import { type AuditEntry, appendAudit } from '../audit/audit.repo.ts';
import { recordSessionAccount } from '../auth/auth.repo.ts';
import { authenticate, csrfMatches, type Principal } from '../auth/auth.service.ts';
import type { AuthorityIssuer } from '../authority/issuance-client.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { type Tx, withTenant } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { schemaMessage } from '../i18n/issues.ts';
import type { Logger } from '../logger.ts';
import type { JobQueue } from '../queue.ts';
import { toAsciiDigits } from '../sheets/normalise.ts';
import { type Answers, answerMismatch } from './answers.ts';
import type { EventStreams } from './event-streams.ts';

export const SESSION_COOKIE = 'fleet_session';
/** Marks a browser that signed in before, so sign-in throttling spares it (see signIn). */
export const DEVICE_COOKIE = 'fleet_device';
const DEVICE_COOKIE_DAYS = 365;

/** Who may call a route. `account` routes act inside one tenant and need a permission there. */
export type Access =
  | { kind: 'public' }
  | { kind: 'signed_in' }
  | { kind: 'operator' }
  | { kind: 'account'; permission: Permission };

export interface RouteContext {
  db: Database;
  config: Config;
  log: Logger;
  queue: JobQueue;
  /** Live event streams: capped per user, ended on shutdown. */
  streams: EventStreams;
  /** The authority's issuance call; absent on a web process with no authority configured. */
  issuer: AuthorityIssuer | undefined;
  ip: string | null;
  userAgent: string | null;
  principal: Principal | undefined;
  /** Set for `account` routes: the tenant and the caller's role in it. */
  account: { id: bigint; role: Role } | undefined;
  req: Request;
  res: Response;
  audit(entry: Omit<AuditEntry, 'ip' | 'actorUserId' | 'actorTokenId'>): Promise<void>;
  /** Runs work in a transaction walled to this route's account. */
  tenant<T>(work: (trx: Tx) => Promise<T>): Promise<T>;
}

/** Who acts on a request: the signed-in user or the API token (neither on public routes), and from where. */
export interface ActingParty {
  userId: bigint | null;
  tokenId: bigint | null;
  ip: string | null;
}

/** The one way a route names who acts, for audit trails and `requested_by` columns. */
export function actingParty(ctx: Pick<RouteContext, 'principal' | 'ip'>): ActingParty {
  return {
    userId: ctx.principal?.kind === 'session' ? ctx.principal.userId : null,
    tokenId: ctx.principal?.kind === 'token' ? ctx.principal.tokenId : null,
    ip: ctx.ip,
  };
}

export interface RouteResult {
  status?: number;
  body?: unknown;
}

export interface RouteDef<Body = unknown, Params = unknown, Query = unknown> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Express path under /api/v1, e.g. `/account/users/:userId`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  body?: z.ZodType<Body>;
  params?: z.ZodType<Params>;
  query?: z.ZodType<Query>;
  /**
   * A multipart/form-data body (read by receiveUpload): one file in the field `file`, and these
   * form fields. For the API document; the handler reads and checks them.
   */
  multipart?: { fields: Record<string, z.ZodType> };
  /** What the route answers on success, per status: the API document's responses, checked in tests. */
  responses: Answers;
  handle(ctx: RouteContext, input: { body: Body; params: Params; query: Query }): Promise<RouteResult>;
}

export function defineRoute<Body = undefined, Params = undefined, Query = undefined>(
  route: RouteDef<Body, Params, Query>,
): RouteDef {
  return route as unknown as RouteDef;
}

/** Ids in paths are decimal strings (Arabic-Indic digits accepted). */
export const idParam = z
  .string()
  .transform(toAsciiDigits)
  .pipe(z.string().regex(/^[1-9]\d{0,17}$/, schemaMessage('requests.positive_whole_number')))
  .transform((v) => BigInt(v));

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface RouteDeps {
  db: Database;
  config: Config;
  log: Logger;
  queue: JobQueue;
  streams: EventStreams;
  issuer?: AuthorityIssuer;
}

/**
 * Mounts route definitions: authentication, tenant resolution, permission check (denials are
 * audited), CSRF on state-changing cookie requests, input validation, then the thin handler.
 */
export function mountRoutes(routes: RouteDef[], deps: RouteDeps): express.Router {
  const router = express.Router();
  for (const route of routes) {
    router[route.method](route.path, async (req, res) => {
      res.locals.route = `${req.baseUrl}${route.path}`;
      const result = await runRoute(route, req, res, deps);
      if (deps.config.checkResponses) checkAnswer(route, res, result);
      if (res.headersSent) return;
      const status = result.status ?? 200;
      if (result.body === undefined) res.status(status).end();
      else res.status(status).json(result.body);
    });
  }
  return router;
}

/**
 * Fails loudly when a success answer is not what its route declares: JSON that does not parse
 * with its schema, a status it does not list, a file of another media type. On under tests
 * (config.checkResponses), so every HTTP test also proves the API document.
 */
function checkAnswer(route: RouteDef, res: Response, result: RouteResult): void {
  const name = `${route.method.toUpperCase()} ${route.path}`;
  if (res.headersSent) {
    if (res.statusCode < 200 || res.statusCode > 299) return;
    const answer = route.responses[res.statusCode as keyof Answers];
    // A stream's headers go out with writeHead, where getHeader cannot see them.
    if (answer?.kind === 'stream') return;
    const type = String(res.getHeader('content-type') ?? '');
    const declared = answer?.kind === 'file' ? answer.mediaTypes : [];
    if (!declared.some((mediaType) => type.startsWith(mediaType))) {
      throw new DomainError(
        'response_mismatch',
        `${name} sent ${res.statusCode} ${type}, which its route does not declare`,
        { status: 500 },
      );
    }
    return;
  }
  const status = result.status ?? 200;
  if (status < 200 || status > 299) return;
  const mismatch = answerMismatch(name, status, route.responses[status as keyof Answers], result.body);
  if (mismatch) throw new DomainError('response_mismatch', mismatch, { status: 500 });
}

async function runRoute(route: RouteDef, req: Request, res: Response, deps: RouteDeps): Promise<RouteResult> {
  const { db, config } = deps;
  const ip = req.ip ?? null;
  const cookies = parseCookie(req.headers.cookie ?? '');
  const authorization = req.headers.authorization;
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (authorization !== undefined && bearer === undefined) {
    throw new DomainError('invalid_token', 'the Authorization header must be "Bearer <token>"', {
      status: 401,
    });
  }
  const principal = await authenticate(db, { sessionSecret: cookies[SESSION_COOKIE], bearer }, config.auth);
  const actor = {
    actorUserId: principal?.kind === 'session' ? principal.userId : null,
    actorTokenId: principal?.kind === 'token' ? principal.tokenId : null,
    ip,
  };
  const audit = (entry: Omit<AuditEntry, 'ip' | 'actorUserId' | 'actorTokenId'>) =>
    appendAudit(db, { ...entry, ...actor });
  const deny = async (
    error: DomainError,
    accountId: bigint | null,
    details: Record<string, unknown> = {},
  ) => {
    await audit({
      accountId,
      action: 'access.denied',
      target: `${route.method.toUpperCase()} ${req.baseUrl}${route.path}`,
      outcome: 'denied',
      details: { code: error.code, ...details },
    });
    return error;
  };

  if (route.access.kind !== 'public' && !principal) {
    throw new DomainError('unauthenticated', 'sign in first, or send an API token', { status: 401 });
  }
  if (principal && STATE_CHANGING.has(req.method) && !csrfMatches(principal, req.get('x-csrf-token'))) {
    throw await deny(
      new DomainError('csrf_failed', 'the x-csrf-token header is missing or wrong', { status: 403 }),
      principal.kind === 'token' ? principal.accountId : null,
    );
  }

  let account: RouteContext['account'];
  if (route.access.kind === 'operator') {
    if (principal?.kind !== 'session' || !principal.isOperator) {
      throw await deny(
        new DomainError('forbidden', 'only the platform operator may do this', { status: 403 }),
        null,
      );
    }
  } else if (route.access.kind === 'account') {
    account = await resolveAccount(db, principal!, req.get('x-account-id'), ip, deny);
    if (!can(account.role, route.access.permission)) {
      throw await deny(
        new DomainError('forbidden', `your role (${account.role}) may not do this`, {
          status: 403,
          details: { permission: route.access.permission },
        }),
        account.id,
        { permission: route.access.permission, role: account.role },
      );
    }
  }

  const input = {
    body: route.body ? route.body.parse(req.body ?? {}) : undefined,
    params: route.params ? route.params.parse(req.params) : undefined,
    query: route.query ? route.query.parse(req.query) : undefined,
  };
  const ctx: RouteContext = {
    db,
    config,
    log: deps.log,
    queue: deps.queue,
    streams: deps.streams,
    issuer: deps.issuer,
    ip,
    userAgent: req.get('user-agent') ?? null,
    principal,
    account,
    req,
    res,
    audit,
    tenant: (work) => {
      if (!account) throw new Error(`${route.path}: tenant() used on a route without an account`);
      return withTenant(db, account.id, work);
    },
  };
  return route.handle(ctx, input);
}

async function resolveAccount(
  db: Database,
  principal: Principal,
  header: string | undefined,
  ip: string | null,
  deny: (
    error: DomainError,
    accountId: bigint | null,
    details?: Record<string, unknown>,
  ) => Promise<DomainError>,
): Promise<{ id: bigint; role: Role }> {
  const notFound = () =>
    new DomainError('account_not_found', 'no such account, or you are not a member of it', { status: 404 });
  let requested: bigint | undefined;
  if (header !== undefined) {
    const parsed = idParam.safeParse(header);
    if (!parsed.success) {
      throw new DomainError('invalid_account_id', 'x-account-id must be an account id (a whole number)', {
        status: 400,
      });
    }
    requested = parsed.data;
  }
  if (principal.kind === 'token') {
    if (requested !== undefined && requested !== principal.accountId) {
      throw await deny(notFound(), null, { requestedAccountId: requested.toString() });
    }
    return { id: principal.accountId, role: principal.role };
  }
  if (requested === undefined) {
    throw new DomainError('account_required', 'name the account in the x-account-id header', { status: 400 });
  }
  const role = await withTenant(db, requested, async (trx) => {
    const found = await findMembershipRole(trx, requested, principal.userId);
    if (found) await auditSessionInAccount(trx, principal, requested, ip);
    return found;
  });
  if (!role) throw await deny(notFound(), null, { requestedAccountId: requested.toString() });
  return { id: requested, role };
}

/** Session × account pairs this process has already recorded; the table is the truth, this saves a write. */
const recordedSessionAccounts = new Set<string>();

/**
 * A sign-in is audited in the account its session acts on, once, when it first acts there: the
 * account's owners see who signed in to it and from where, and nothing of the person's other accounts.
 */
async function auditSessionInAccount(
  trx: Tx,
  principal: Extract<Principal, { kind: 'session' }>,
  accountId: bigint,
  ip: string | null,
): Promise<void> {
  const key = `${principal.sessionId}:${accountId}`;
  if (recordedSessionAccounts.has(key)) return;
  if (await recordSessionAccount(trx, accountId, principal.sessionId)) {
    await appendAudit(trx, {
      accountId,
      actorUserId: principal.userId,
      action: 'session.sign_in',
      ip: principal.signInIp,
      details: { signedInAt: principal.signedInAt.toISOString(), firstRequestIp: ip },
    });
  }
  if (recordedSessionAccounts.size >= 50_000) recordedSessionAccounts.clear();
  recordedSessionAccounts.add(key);
}

export function sessionCookie(secret: string, config: Config, expires: Date): string {
  return stringifySetCookie({
    name: SESSION_COOKIE,
    value: secret,
    httpOnly: true,
    sameSite: 'lax',
    secure: config.auth.cookieSecure,
    path: '/',
    expires,
  });
}

export function deviceCookie(secret: string, config: Config): string {
  return stringifySetCookie({
    name: DEVICE_COOKIE,
    value: secret,
    httpOnly: true,
    sameSite: 'strict',
    secure: config.auth.cookieSecure,
    path: '/api/v1/session',
    expires: new Date(Date.now() + DEVICE_COOKIE_DAYS * 86_400_000),
  });
}

export function clearedSessionCookie(config: Config): string {
  return stringifySetCookie({
    name: SESSION_COOKIE,
    value: '',
    httpOnly: true,
    sameSite: 'lax',
    secure: config.auth.cookieSecure,
    path: '/',
    expires: new Date(0),
  });
}
