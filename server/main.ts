import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { type RunningProduct, startProduct } from './product.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`fleet-fines: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

const log = createLogger({ level: config.logLevel, pretty: config.logPretty });
log.info({ role: config.role, database: config.databaseUrl ? 'DATABASE_URL' : 'embedded' }, 'starting');

// Handlers are in place before start-up: a stop asked for meanwhile (Ctrl-C while the embedded
// database starts or migrates) waits for start-up to finish and then stops everything it started,
// so no database server is left running behind an exited process.
let product: RunningProduct | undefined;
let stopping = false;
const stop = (running: RunningProduct, signal: string) => {
  log.info(`${signal}: finishing requests and jobs in flight, then stopping`);
  // The requests' grace and the jobs' timeout run one after the other (server/product.ts).
  const bound = config.shutdownGraceMs + config.shutdownTimeoutMs + 5_000;
  const force = setTimeout(() => {
    log.error(`shutdown took longer than ${bound} ms; exiting`);
    process.exit(1);
  }, bound);
  force.unref();
  running.stop().then(
    () => {
      log.info('stopped');
      process.exit(0);
    },
    (error: unknown) => {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    if (product) stop(product, signal);
    else log.info(`${signal}: stopping once start-up is done`);
  });
}

product = await startProduct(config, log).catch((error: unknown) => {
  log.fatal({ err: error }, 'start-up failed');
  process.exit(1);
});
if (stopping) stop(product, 'stop asked for during start-up');
