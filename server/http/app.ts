import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import compression from 'compression';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { pinoHttp } from 'pino-http';
import { accountRoutes } from '../accounts/accounts.routes.ts';
import { alertRoutes } from '../alerts/alerts.routes.ts';
import { authRoutes } from '../auth/auth.routes.ts';
import type { AuthorityIssuer } from '../authority/issuance-client.ts';
import { clearanceRoutes } from '../clearances/clearances.routes.ts';
import { verifyRoutes } from '../clearances/verify.page.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { demoRoutes } from '../demo/demo.routes.ts';
import { exceptionRoutes } from '../exceptions/exceptions.routes.ts';
import { fleetRoutes } from '../fleet/fleet.routes.ts';
import type { Logger } from '../logger.ts';
import { metricsRoute, requestMetrics } from '../metrics/metrics.routes.ts';
import { paymentRoutes } from '../payments/payments.routes.ts';
import type { JobQueue } from '../queue.ts';
import { runRoutes } from '../runs/runs.routes.ts';
import { statementRoutes } from '../statements/statements.routes.ts';
import { violationRoutes } from '../violations/violations.routes.ts';
import { envelope, errorHandler, notFoundRoute } from './errors.ts';
import type { EventStreams } from './event-streams.ts';
import { openApiDocument } from './openapi.ts';
import { mountRoutes, type RouteDef } from './routes.ts';

export interface AppDeps {
  db: Database;
  boss: PgBoss;
  log: Logger;
  config: Config;
  queue: JobQueue;
  streams: EventStreams;
  issuer?: AuthorityIssuer;
}

/** Every /api/v1 route; the OpenAPI document and the role × tenant tests read this same list. */
export const apiRoutes: RouteDef[] = [
  ...authRoutes,
  ...demoRoutes,
  ...accountRoutes,
  ...runRoutes,
  ...violationRoutes,
  ...fleetRoutes,
  ...exceptionRoutes,
  ...statementRoutes,
  ...clearanceRoutes,
  ...paymentRoutes,
  ...alertRoutes,
];

// The web app as Vite built it (npm install builds it; see scripts/build-web.mjs).
const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.use(securityHeaders(deps.config));
  app.use(requestMetrics());
  // Ids and money are bigint inside; JSON carries them as decimal strings.
  app.set('json replacer', (_key: string, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
  app.use(requestLog(deps.log));
  // The raw bytes are kept beside the parsed body: signed webhooks are checked over exactly what was sent.
  app.use(
    express.json({
      limit: '1mb',
      verify: (req, _res, buf) => {
        (req as unknown as { rawBody?: Buffer }).rawBody = buf;
      },
    }),
  );

  app.use(healthRoutes(deps));
  app.get('/metrics', metricsRoute(deps.config.metricsToken));
  const document = openApiDocument(apiRoutes);
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/api/v1', mountRoutes(apiRoutes, deps));
  app.use('/api', notFoundRoute);
  app.use(verifyRoutes(deps.db));
  app.use(webApp(WEB_DIST));
  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}

/**
 * Security headers (helmet). The content security policy allows only this origin: the web front
 * end is a same-origin SPA (Vite builds it into files served from here) that talks to /api/v1 by
 * fetch and EventSource. Inline styles stay allowed for the pages' own style elements and
 * attributes; inline scripts do not. HTTPS-only headers are sent only where cookies are secure
 * (served over HTTPS), so the loopback quick start over plain HTTP keeps working.
 */
function securityHeaders(config: Config): express.RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'self'"],
        'connect-src': ["'self'"],
        'font-src': ["'self'", 'data:'],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        'img-src': ["'self'", 'data:', 'blob:'],
        'object-src': ["'none'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'worker-src': ["'self'", 'blob:'],
        ...(config.auth.cookieSecure ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    strictTransportSecurity: config.auth.cookieSecure
      ? { maxAge: 31_536_000, includeSubDomains: true }
      : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/**
 * The single-page app: hashed assets cached for a year, index.html never cached, and index.html
 * for any other GET that asks for a page, so client routes (/runs/12) load on a reload too.
 */
function webApp(dist: string): express.Router {
  const router = express.Router();
  const index = path.join(dist, 'index.html');
  // The app's files go gzipped (its first load is about 400 KB as built, 120 KB gzipped); the API
  // is left alone, its event streams most of all.
  router.use(compression());
  router.use(
    '/assets',
    express.static(path.join(dist, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }),
  );
  router.use(express.static(dist, { index: false }));
  router.get(/.*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    if (!fs.existsSync(index)) {
      res
        .status(503)
        .type('text/plain')
        .send('The web app is not built: run `npm install` (or `npm run build:web`), then reload.\n');
      return;
    }
    res.set('cache-control', 'no-cache').sendFile(index);
  });
  return router;
}

/** /healthz, /readyz and /metrics: what a worker process serves on HEALTH_PORT for its orchestrator and its scraper. */
export function createHealthApp(
  deps: Pick<AppDeps, 'db' | 'boss' | 'log'> & { metricsToken?: string | undefined },
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestMetrics());
  app.use(healthRoutes(deps));
  app.get('/metrics', metricsRoute(deps.metricsToken));
  app.use(notFoundRoute);
  return app;
}

function healthRoutes(deps: Pick<AppDeps, 'db' | 'boss' | 'log'>): express.Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await readiness(deps);
    const ready = checks.database === 'ok' && checks.queue === 'ok';
    if (ready) res.json({ status: 'ready', checks });
    else res.status(503).json(envelope('not_ready', 'a dependency is not reachable', checks));
  });
  return router;
}

/**
 * What is reachable, in words anyone may read: /readyz is public, so the database's own error
 * (host names, roles, SQL) goes to the log, never into the answer.
 */
async function readiness({
  db,
  boss,
  log,
}: Pick<AppDeps, 'db' | 'boss' | 'log'>): Promise<{ database: string; queue: string }> {
  const unreachable = (check: string) => (error: unknown) => {
    log.warn({ err: error, check }, 'readiness check failed');
    return 'unreachable';
  };
  const database = await sql`select 1`
    .execute(db)
    .then(() => 'ok')
    .catch(unreachable('database'));
  const queue = await boss
    .schemaVersion()
    .then((version) => (version ? 'ok' : 'not installed'))
    .catch(unreachable('queue'));
  return { database, queue };
}

/** A URL as it may be logged: query values (plates, names, search text) replaced by `…`. */
export function redactedUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? pair : `${pair.slice(0, eq)}=…`;
    })
    .join('&');
  return `${url.slice(0, at)}?${query}`;
}

/** A request id a proxy may hand on; anything else gets an id of our own. */
const FORWARDED_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * pino-http: every request gets an id (`reqId` on its log lines, `x-request-id` on the answer,
 * `requestId` in error envelopes) and one line when it ends, without query values.
 */
function requestLog(log: Logger) {
  return pinoHttp({
    logger: log,
    genReqId: (req, res) => {
      const forwarded = req.headers['x-request-id'];
      const id =
        typeof forwarded === 'string' && FORWARDED_REQUEST_ID.test(forwarded) ? forwarded : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    autoLogging: {
      ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics',
    },
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: redactedUrl(req.url) }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request failed',
  });
}
