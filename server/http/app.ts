import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { envelope, errorHandler, notFoundRoute } from './errors.ts';

export interface AppDeps {
  db: Database;
  boss: PgBoss;
  log: Logger;
}

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestLog(deps.log));
  app.use(express.json({ limit: '1mb' }));

  app.use(healthRoutes(deps));
  app.use('/api', notFoundRoute);
  app.use(express.static(WEB_DIR, { index: 'index.html', fallthrough: true }));
  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}

/** Just /healthz and /readyz: what a worker process serves on HEALTH_PORT for its orchestrator. */
export function createHealthApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes(deps));
  app.use(notFoundRoute);
  return app;
}

function healthRoutes(deps: AppDeps): express.Router {
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

async function readiness({ db, boss }: AppDeps): Promise<{ database: string; queue: string }> {
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
