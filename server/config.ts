import path from 'node:path';
import { z } from 'zod';

/** Every setting the product reads from its environment, validated in one place. */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => ['true', '1', 'yes'].includes(v));

const postgresUrl = z
  .string()
  .refine(
    (v) => /^postgres(ql)?:\/\//.test(v) && URL.canParse(v),
    'must be a postgres:// or postgresql:// URL',
  );

const cronExpression = z
  .string()
  .refine(
    (v) => v.trim().split(/\s+/).length === 5,
    'must be a 5-field cron expression (min hour day month weekday)',
  );

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as Asia/Amman');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  DATABASE_URL: postgresUrl.optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_PG_DIR: z.string().min(1).optional(),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: booleanFlag.optional(),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  QUEUE_SUPERVISE_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(20_000),
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(43_200).default(480),
  SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(8_760).default(168),
  COOKIE_SECURE: booleanFlag.default(false),
  LOGIN_MAX_FAILURES_PER_USER: z.coerce.number().int().min(1).max(1000).default(5),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(50),
  LOGIN_THROTTLE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  DEMO: booleanFlag.optional(),
  PUBLIC_URL: z.string().url().optional(),
  AUTHORITY_URL: z.string().url().optional(),
  AUTHORITY_API_KEY: z.string().min(1).optional(),
  AUTHORITY_RATE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(20),
  AUTHORITY_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(1_000).default(8),
  AUTHORITY_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(100),
  AUTHORITY_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  AUTHORITY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
  AUTHORITY_SIMULATOR_SEED: z.string().min(1).default('fleet-demo'),
  SUSPECT_SETTLEMENT_SHARE_PERCENT: z.coerce.number().int().min(1).max(100).default(50),
  SUSPECT_SETTLEMENT_MIN_COUNT: z.coerce.number().int().min(1).max(1_000_000).default(10),
  MAINTENANCE_CRON: cronExpression.default('30 3 * * *'),
  MAINTENANCE_TZ: timeZone.default('Asia/Amman'),
});

export type Role = 'web' | 'worker' | 'all';

export interface Config {
  role: Role;
  port: number;
  host: string;
  /** A worker serves /healthz and /readyz here when set. */
  healthPort: number | undefined;
  /** Set when an external PostgreSQL is used; absent means the embedded server. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgDir: string;
  embeddedPgPort: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  logPretty: boolean;
  dbPoolMax: number;
  workerConcurrency: number;
  /** How often a worker looks for jobs whose worker died (missed heartbeats) and retries them. */
  queueSuperviseSeconds: number;
  shutdownTimeoutMs: number;
  maintenance: { cron: string; tz: string };
  auth: AuthSettings;
  /** Create the demo accounts and users at start (default: only on the embedded database). */
  demo: boolean;
  /** Where people reach the product (links printed on certificates); the request's own host when unset. */
  publicUrl: string | undefined;
  authority: AuthoritySettings;
  runs: { batchSize: number; guard: { sharePercent: number; minCount: number } };
}

export interface AuthoritySettings {
  /** The gateway; unset means the product starts the authority simulator in-process. */
  url: string | undefined;
  apiKey: string | undefined;
  /** Requests per second across all workers. */
  rateLimit: number;
  maxInFlight: number;
  timeoutMs: number;
  maxAttempts: number;
  simulatorSeed: string;
}

export interface AuthSettings {
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  cookieSecure: boolean;
  maxFailuresPerUser: number;
  maxFailuresPerIp: number;
  throttleWindowSeconds: number;
}

export class ConfigError extends Error {
  readonly variables: string[];
  constructor(message: string, variables: string[]) {
    super(message);
    this.name = 'ConfigError';
    this.variables = variables;
  }
}

/** Reads `--role=` from argv (or `ROLE`), everything else from the environment. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: string[] = process.argv.slice(2),
): Config {
  const role = parseRole(argv, env);
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      return { name, text: `${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}` };
    });
    throw new ConfigError(
      `invalid configuration: ${problems.map((p) => p.text).join('; ')}`,
      problems.map((p) => p.name),
    );
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    role,
    port: e.PORT,
    host: e.HOST,
    healthPort: e.HEALTH_PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir,
    embeddedPgDir: path.resolve(e.EMBEDDED_PG_DIR ?? path.join(dataDir, 'pg')),
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY ?? Boolean(process.stdout.isTTY),
    dbPoolMax: e.DB_POOL_MAX,
    workerConcurrency: e.WORKER_CONCURRENCY,
    queueSuperviseSeconds: e.QUEUE_SUPERVISE_SECONDS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    maintenance: { cron: e.MAINTENANCE_CRON, tz: e.MAINTENANCE_TZ },
    auth: {
      sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
      sessionMaxHours: e.SESSION_MAX_HOURS,
      cookieSecure: e.COOKIE_SECURE,
      maxFailuresPerUser: e.LOGIN_MAX_FAILURES_PER_USER,
      maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      throttleWindowSeconds: e.LOGIN_THROTTLE_WINDOW_SECONDS,
    },
    demo: e.DEMO ?? e.DATABASE_URL === undefined,
    publicUrl: e.PUBLIC_URL,
    authority: {
      url: e.AUTHORITY_URL,
      apiKey: e.AUTHORITY_API_KEY,
      rateLimit: e.AUTHORITY_RATE_LIMIT,
      maxInFlight: e.AUTHORITY_MAX_IN_FLIGHT,
      timeoutMs: e.AUTHORITY_TIMEOUT_MS,
      maxAttempts: e.AUTHORITY_MAX_ATTEMPTS,
      simulatorSeed: e.AUTHORITY_SIMULATOR_SEED,
    },
    runs: {
      batchSize: e.AUTHORITY_BATCH_SIZE,
      guard: { sharePercent: e.SUSPECT_SETTLEMENT_SHARE_PERCENT, minCount: e.SUSPECT_SETTLEMENT_MIN_COUNT },
    },
  };
}

function parseRole(argv: string[], env: NodeJS.ProcessEnv): Role {
  let raw = env.ROLE || 'all';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--role=')) raw = arg.slice('--role='.length);
    else if (arg === '--role') raw = argv[++i] ?? '';
    else
      throw new ConfigError(
        `unknown argument ${JSON.stringify(arg)}; usage: main.ts [--role=web|worker|all]`,
        ['argv'],
      );
  }
  if (raw !== 'web' && raw !== 'worker' && raw !== 'all') {
    throw new ConfigError(`--role=${JSON.stringify(raw)}: must be one of web, worker, all`, ['ROLE']);
  }
  return raw;
}
