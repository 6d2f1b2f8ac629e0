import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PgBoss } from 'pg-boss';
import { type AuthoritySimulator, startAuthoritySimulator } from '../fixtures/authority/simulator.ts';
import { createBoss, createJobQueue, ensureQueues, grantQueueAccess, startJobWorkers } from '../jobs/boss.ts';
import { jobRegistry } from '../jobs/registry.ts';
import { syncRunSchedules } from '../jobs/runs.job.ts';
import { createAuthorityDirectory } from './authority/directory.ts';
import type { Config } from './config.ts';
import { asynchronousCommitUrl, createDatabase, type Database } from './db/database.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './db/embedded.ts';
import { migrateToLatest } from './db/migrate.ts';
import { appRoleUrl, assertWalledRole } from './db/tenant.ts';
import { DEMO_PASSWORD, demoAccountsWithoutHistory, seedDemo, seedDemoHistory } from './demo/demo.service.ts';
import { createApp, createHealthApp } from './http/app.ts';
import type { Logger } from './logger.ts';
import { NIGHTLY_RUN_QUEUE } from './runs/runs.schedule.ts';

export interface RunningProduct {
  db: Database;
  boss: PgBoss;
  /** Where the web role listens, or a worker's health endpoints (undefined when it has none). */
  url: string | undefined;
  databaseUrl: string;
  stop(): Promise<void>;
}

/** Starts the roles the config asks for, on the embedded database unless DATABASE_URL is set. */
export async function startProduct(config: Config, log: Logger): Promise<RunningProduct> {
  const cleanup: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  };
  try {
    let embedded: EmbeddedPostgres | undefined;
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres({
        dataDir: config.embeddedPgDir,
        port: config.embeddedPgPort,
        log: (message) => log.info(message),
      });
      cleanup.push(() => embedded!.stop());
      databaseUrl = embedded.url;
    }

    const worker = config.role !== 'web';
    const boss = createBoss({
      connectionString: databaseUrl,
      worker,
      log,
      superviseSeconds: config.queueSuperviseSeconds,
    });
    // Everything but migrations runs as the application role, behind row-level security. Its pool
    // is closed last: on the way down the queue stops first and drains the jobs still using it.
    const db = createDatabase(appRoleUrl(databaseUrl), config.dbPoolMax);
    cleanup.push(() => db.destroy());
    const ownerDb = createDatabase(databaseUrl, 2, 'fleet-fines-migrate');
    try {
      const { applied } = await migrateToLatest(ownerDb);
      if (applied.length > 0) log.info({ applied }, 'database migrated');
      await boss.start();
      cleanup.push(() => boss.stop({ graceful: true, close: true, timeout: config.shutdownTimeoutMs }));
      await grantQueueAccess(ownerDb);
      await ensureQueues(boss, jobRegistry);
    } finally {
      await ownerDb.destroy();
    }
    await assertWalledRole(db);
    const queue = createJobQueue(boss);

    if (config.demo && config.role !== 'worker') {
      const demo = await seedDemo(db);
      if (demo.created) log.info('demo accounts created');
      log.info(
        { users: demo.users.map((u) => `${u.email} (${u.role}, ${u.account})`), password: DEMO_PASSWORD },
        'demo sign-in: any of these users with the demo password',
      );
    }

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

    if (worker) {
      let authorityUrl = config.authority.url;
      if (!authorityUrl) {
        // No gateway configured: the simulator stands in, in this process (demo and development).
        simulator = await startAuthoritySimulator({
          seed: config.authority.simulatorSeed,
          world: { startDate: demoHistory.length > 0 ? weekAgo : today },
          followRealDate: demoHistory.length === 0,
        });
        const started = simulator;
        cleanup.push(() => started.close());
        authorityUrl = simulator.url;
        log.warn({ url: simulator.url }, 'AUTHORITY_URL is not set: using the built-in authority simulator');
      }
      // The gate's few small statements pace every request to the authority: on a pool of their
      // own they never queue behind the night's writes, and their commits do not wait for the disk.
      const gateDb = createDatabase(asynchronousCommitUrl(appRoleUrl(databaseUrl)), 4, 'fleet-fines-gate');
      cleanup.push(() => gateDb.destroy());
      const authorities = await createAuthorityDirectory(
        gateDb,
        config.authority,
        authorityUrl,
        config.runs.batchSize,
      );
      await startJobWorkers(
        boss,
        jobRegistry,
        { db, config, log, now: () => new Date(), queue, authorities },
        config,
      );
      const existing = (await boss.getSchedules(NIGHTLY_RUN_QUEUE)).map((s) => s.key);
      const scheduled = await syncRunSchedules(db, queue, existing);
      log.info({ queues: jobRegistry.map((j) => j.name), nightlyRuns: scheduled }, 'job workers started');
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
    const app =
      config.role === 'worker' ? createHealthApp({ db, boss }) : createApp({ db, boss, log, config, queue });
    const port = config.role === 'worker' ? config.healthPort : config.port;
    if (port !== undefined) {
      const server = http.createServer(app);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, config.host, resolve);
      });
      const bound = (server.address() as AddressInfo).port;
      url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${bound}`;
      cleanup.push(() => closeServer(server));
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

/** Stops accepting connections and waits for requests in flight; idle keep-alive sockets close now. */
function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
