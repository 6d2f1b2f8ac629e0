import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PgBoss } from 'pg-boss';
import { type AuthoritySimulator, startAuthoritySimulator } from '../fixtures/authority/simulator.ts';
import {
  createBoss,
  createJobQueue,
  ensureQueues,
  type JobWorkers,
  startJobWorkers,
  stopQueue,
  wallQueue,
} from '../jobs/boss.ts';
import { jobRegistry } from '../jobs/registry.ts';
import { startAlertDelivery } from './alerts/delivery.ts';
import { createAuthorityDirectory } from './authority/directory.ts';
import { createIssuanceClient } from './authority/issuance-client.ts';
import type { Config } from './config.ts';
import { asynchronousCommitUrl, createDatabase, type Database } from './db/database.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './db/embedded.ts';
import { APP_ROLE, embeddedLoginPasswords, loginUrl, QUEUE_ROLE, setLoginPasswords } from './db/logins.ts';
import { migrateToLatest } from './db/migrate.ts';
import { assertWalledLogin } from './db/tenant.ts';
import {
  DEMO_PASSWORD,
  demoAccountsWithoutHistory,
  demoUsersPresent,
  seedDemo,
  seedDemoHistory,
} from './demo/demo.service.ts';
import { checkShapingCache } from './documents/pdf-text.ts';
import { createApp, createHealthApp } from './http/app.ts';
import { EventStreams } from './http/event-streams.ts';
import type { Logger } from './logger.ts';
import { trackQueue } from './metrics/metrics.ts';

export interface RunningProduct {
  db: Database;
  boss: PgBoss;
  /** Where the web role listens, or a worker's health endpoints (undefined when it has none). */
  url: string | undefined;
  databaseUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the roles the config asks for, on the embedded database unless DATABASE_URL is set.
 * Stopping undoes it in reverse: live streams end and the HTTP server closes (connections still
 * busy after the grace period are closed), then the job queue drains the jobs in flight — which
 * still use the authority gate and the simulator — and only then do those, the pool and the
 * embedded database stop. A job still running after SHUTDOWN_TIMEOUT_MS is given up (failed, to
 * be retried) and its handler aborted at its next step; the stop waits for it (stopQueue).
 */
export async function startProduct(config: Config, log: Logger): Promise<RunningProduct> {
  const cleanup: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  };
  try {
    let embedded: EmbeddedPostgres | undefined;
    let databaseUrl = config.databaseUrl;
    let logins = config.databaseLogins;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres({
        dataDir: config.embeddedPgDir,
        port: config.embeddedPgPort,
        log: (message) => log.info(message),
      });
      cleanup.push(() => embedded!.stop());
      databaseUrl = embedded.url;
      logins = embeddedLoginPasswords(config.embeddedPgDir);
    }
    assert.ok(logins, 'the database logins are configured with DATABASE_URL');

    // The DATABASE_URL role only migrates. The application logs in as fleet_app, behind row-level
    // security; pg-boss as fleet_queue, which owns its schema and no tenant table.
    const ownerDb = createDatabase(databaseUrl, 2, 'fleet-fines-migrate');
    try {
      const { applied } = await migrateToLatest(ownerDb);
      if (applied.length > 0) log.info({ applied }, 'database migrated');
    } finally {
      await ownerDb.destroy();
    }
    await setLoginPasswords(databaseUrl, logins);
    const appUrl = loginUrl(databaseUrl, APP_ROLE, logins.app);
    const queueUrl = loginUrl(databaseUrl, QUEUE_ROLE, logins.queue);

    const worker = config.role !== 'web';
    const boss = createBoss({
      connectionString: queueUrl,
      worker,
      log,
      superviseSeconds: config.queueSuperviseSeconds,
    });
    // The application's pool is closed last: on the way down the queue stops first and drains the
    // jobs still using it.
    const db = createDatabase(appUrl, config.dbPoolMax);
    cleanup.push(() => db.destroy());
    await boss.start();
    trackQueue(boss);
    let jobWorkers: JobWorkers | undefined;
    cleanup.push(() => stopQueue(boss, jobWorkers, config.shutdownTimeoutMs));
    // What the queue's jobs use is stopped after the queue has drained them (cleanup runs backwards).
    let bossStep = cleanup.length - 1;
    const stopAfterQueue = (step: () => Promise<void>) => cleanup.splice(bossStep++, 0, step);
    const queueDb = createDatabase(queueUrl, 1, 'fleet-fines-queue-wall');
    try {
      await wallQueue(queueDb);
      await assertWalledLogin(queueDb, 'queue');
    } finally {
      await queueDb.destroy();
    }
    await ensureQueues(boss, jobRegistry, config.maintenance.retention);
    await assertWalledLogin(db, 'app');
    const queue = createJobQueue(boss);

    if (!config.loopbackOnly && config.role !== 'worker' && (await demoUsersPresent(db))) {
      throw new Error(
        `this database holds the demo users, whose password is published: the web role must not listen on HOST=${config.host}; use a database without demo data (or HOST=127.0.0.1)`,
      );
    }
    if (config.demo && config.role !== 'worker') {
      const demo = await seedDemo(db);
      if (demo.created) log.info('demo accounts created');
      log.info(
        { users: demo.users.map((u) => `${u.email} (${u.role}, ${u.account})`), password: DEMO_PASSWORD },
        'demo sign-in: any of these users with the demo password',
      );
    }

    let authorityUrl = config.authority.url;
    // A demo account that has never run gets two nights of history on the built-in simulator:
    // its clock is pinned to a week ago for the first night (so the second has something to
    // report), then today, then follows the date.
    const demoHistory =
      config.demo && config.role === 'all' && !config.authority.url
        ? await demoAccountsWithoutHistory(db)
        : [];
    const today = new Date().toISOString().slice(0, 10);
    const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
    let simulator: AuthoritySimulator | undefined;
    // Both roles draw PDFs: a pdfkit the Arabic shaping cache does not fit stops start-up here, saying so.
    await checkShapingCache();

    if (worker) {
      if (!authorityUrl) {
        // No gateway configured: the simulator stands in, in this process (demo and development).
        simulator = await startAuthoritySimulator({
          seed: config.authority.simulatorSeed,
          world: { startDate: demoHistory.length > 0 ? weekAgo : today },
          followRealDate: demoHistory.length === 0,
        });
        const started = simulator;
        stopAfterQueue(() => started.close());
        authorityUrl = simulator.url;
        log.warn({ url: simulator.url }, 'AUTHORITY_URL is not set: using the built-in authority simulator');
      }
      // The gate's few small statements pace every request to the authority: on a pool of their
      // own they never queue behind the night's writes, and their commits do not wait for the disk.
      const gateDb = createDatabase(asynchronousCommitUrl(appUrl), 4, 'fleet-fines-gate');
      stopAfterQueue(() => gateDb.destroy());
      const authorities = await createAuthorityDirectory(
        gateDb,
        config.authority,
        authorityUrl,
        config.runs.batchSize,
      );
      // Alert channels (the quick start's own SMTP server and SMS stub where none is configured).
      const alerts = await startAlertDelivery(
        config.alerts,
        config.dataDir,
        config.publicUrl ??
          `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`,
        log,
        embedded !== undefined || config.demo,
      );
      stopAfterQueue(() => alerts.close());
      jobWorkers = await startJobWorkers(
        boss,
        jobRegistry,
        {
          alerts,
          db,
          config,
          log,
          now: () => new Date(),
          queue,
          authorities,
          issuer: issuanceClient(config, authorityUrl),
        },
        config,
      );
      log.info({ queues: jobRegistry.map((j) => j.name) }, 'job workers started');
      if (simulator && demoHistory.length > 0) {
        log.info({ accounts: demoHistory.length, nights: [weekAgo, today] }, 'demo: running two nights');
        await seedDemoHistory(
          { db, queue, runs: config.runs, authorityClock: simulator.world },
          demoHistory,
          [weekAgo, today],
        ).then(
          () => log.info('demo: fleets uploaded and two nights run'),
          (error: unknown) => log.error({ err: error }, 'demo: the history could not be run'),
        );
        simulator.followRealDate(true);
      }
    }

    let url: string | undefined;
    const streams = new EventStreams(config.eventStreamsPerUser);
    const app =
      config.role === 'worker'
        ? createHealthApp({ db, boss, log, metricsToken: config.metricsToken })
        : createApp({
            db,
            boss,
            log,
            config,
            queue,
            streams,
            ...(authorityUrl ? { issuer: issuanceClient(config, authorityUrl) } : {}),
          });
    const port = config.role === 'worker' ? config.healthPort : config.port;
    if (port !== undefined) {
      const server = http.createServer(app);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, config.host, resolve);
      });
      const bound = (server.address() as AddressInfo).port;
      url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${bound}`;
      cleanup.push(() => closeServer(server, streams, config.shutdownGraceMs));
      log.info(
        { url },
        config.role === 'worker' ? 'worker health endpoints listening' : 'web server listening',
      );
    }

    return { db, boss, url, databaseUrl, stop: stopAll };
  } catch (error) {
    await stopAll().catch((stopError) =>
      log.error({ err: stopError }, 'cleanup after a failed start failed'),
    );
    throw error;
  }
}

/** The authority's issuance call (payment numbers), for on-demand requests and the pipeline stage. */
function issuanceClient(config: Config, baseUrl: string) {
  return createIssuanceClient({
    baseUrl,
    timeoutMs: config.authority.timeoutMs,
    maxAttempts: config.authority.maxAttempts,
    ...(config.authority.apiKey ? { apiKey: config.authority.apiKey } : {}),
  });
}

/**
 * Ends the live streams, stops accepting connections and waits for requests in flight; idle
 * keep-alive sockets close now, and connections still busy after the grace period are closed.
 */
function closeServer(server: http.Server, streams: EventStreams, graceMs: number): Promise<void> {
  streams.closeAll();
  return new Promise((resolve, reject) => {
    const grace = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close((error) => {
      clearTimeout(grace);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
