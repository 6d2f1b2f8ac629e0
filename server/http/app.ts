import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import compression from 'compression';
import express, { type Express } from 'express';
import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { accountRoutes } from '../accounts/accounts.routes.ts';
import { authRoutes } from '../auth/auth.routes.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { demoRoutes } from '../demo/demo.routes.ts';
import { exceptionRoutes } from '../exceptions/exceptions.routes.ts';
import { fleetRoutes } from '../fleet/fleet.routes.ts';
import type { Logger } from '../logger.ts';
import type { JobQueue } from '../queue.ts';
import { runRoutes } from '../runs/runs.routes.ts';
import { envelope, errorHandler, notFoundRoute } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { mountRoutes, type RouteDef } from './routes.ts';

export interface AppDeps {
  db: Database;
  boss: PgBoss;
  log: Logger;
  config: Config;
  queue: JobQueue;
}

/** Every /api/v1 route; the OpenAPI document and the role × tenant tests read this same list. */
export const apiRoutes: RouteDef[] = [
  ...authRoutes,
  ...demoRoutes,
  ...accountRoutes,
  ...runRoutes,
  ...fleetRoutes,
  ...exceptionRoutes,
];

// The web app as Vite built it (npm install builds it; see scripts/build-web.mjs).
const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // Ids and money are bigint inside; JSON carries them as decimal strings.
  app.set('json replacer', (_key: string, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
  app.use(requestLog(deps.log));
  app.use(express.json({ limit: '1mb' }));

  app.use(healthRoutes(deps));
  const document = openApiDocument(apiRoutes);
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/api/v1', mountRoutes(apiRoutes, deps));
  app.use('/api', notFoundRoute);
  app.use(webApp(WEB_DIST));
  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
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

/** Just /healthz and /readyz: what a worker process serves on HEALTH_PORT for its orchestrator. */
export function createHealthApp(deps: Pick<AppDeps, 'db' | 'boss'>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes(deps));
  app.use(notFoundRoute);
  return app;
}

function healthRoutes(deps: Pick<AppDeps, 'db' | 'boss'>): express.Router {
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

async function readiness({
  db,
  boss,
}: Pick<AppDeps, 'db' | 'boss'>): Promise<{ database: string; queue: string }> {
  const database = await sql`select 1`
    .execute(db)
    .then(() => 'ok')
    .catch((error: Error) => `unreachable: ${error.message}`);
  const queue = await boss
    .schemaVersion()
    .then((version) => (version ? 'ok' : 'not installed'))
    .catch((error: Error) => `unreachable: ${error.message}`);
  return { database, queue };
}

function requestLog(log: Logger): express.RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      if (req.path === '/healthz' || req.path === '/readyz') return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info(
        { method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(ms) },
        'request',
      );
    });
    next();
  };
}
