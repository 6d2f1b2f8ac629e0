import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { LOGIN_PASSWORD, type LoginPasswords } from './db/logins.ts';

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

/**
 * Express's `trust proxy`: `false`, a hop count, or addresses/subnets of the proxies (and the
 * names loopback, linklocal, uniquelocal). `true` (trust any proxy) is refused: every client could
 * then choose its own address, and with it its sign-in throttle key.
 */
const trustProxy = z.string().transform((raw, ctx): false | number | string => {
  const value = raw.trim();
  if (['false', 'no', 'none'].includes(value)) return false;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const items = value.split(',').map((v) => v.trim());
  const good = (item: string) => {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(item)) return true;
    const [address, bits, extra] = item.split('/');
    if (extra !== undefined || !address || !isIP(address)) return false;
    if (bits === undefined) return true;
    const max = isIP(address) === 4 ? 32 : 128;
    return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
  };
  if (value === 'true' || items.some((i) => !good(i))) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be false, a number of proxy hops, or a comma-separated list of proxy addresses or subnets (e.g. loopback, 10.0.0.0/8); true is refused because it lets any client choose its own address',
    });
    return z.NEVER;
  }
  return items.join(',');
});

/** A comma-separated list of job queue names (`WORKER_QUEUES`, `WORKER_SKIP_QUEUES`). */
const queueNames = z
  .string()
  .transform((raw) =>
    raw
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  )
  .optional();

/** What the nightly maintenance keeps, by default (RETAIN_*): what a serious operator would pick. */
export const defaultRetention: RetentionSettings = {
  answersDays: 3,
  lookupsDays: 14,
  importFilesDays: 35,
  runChangesDays: 400,
  jobsDays: 2,
  uploadRowsDays: 7,
  throttledSignInsDays: 90,
};
const retainDays = z.coerce.number().int().min(1).max(3_650);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  DATABASE_URL: postgresUrl.optional(),
  // Checked below, where a bad value is not echoed.
  APP_DATABASE_PASSWORD: z.string().optional(),
  QUEUE_DATABASE_PASSWORD: z.string().optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_PG_DIR: z.string().min(1).optional(),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: booleanFlag.optional(),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  WORKER_QUEUES: queueNames,
  WORKER_SKIP_QUEUES: queueNames,
  QUEUE_SUPERVISE_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(20_000),
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(43_200).default(480),
  SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(8_760).default(168),
  COOKIE_SECURE: booleanFlag.optional(),
  TRUST_PROXY: trustProxy.default('loopback'),
  LOGIN_MAX_FAILURES_PER_USER: z.coerce.number().int().min(1).max(1000).default(5),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(50),
  LOGIN_THROTTLE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  DEMO: booleanFlag.optional(),
  // 32 bytes, base64: seals the payment networks' signing secrets at rest.
  SECRETS_KEY: z
    .string()
    .refine(
      (v) => Buffer.from(v, 'base64').length === 32,
      'must be 32 random bytes in base64 (openssl rand -base64 32)',
    )
    .optional(),
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
  SUSPECT_SETTLEMENT_CONFIRM_NIGHTS: z.coerce.number().int().min(1).max(365).default(3),
  RUN_STUCK_MINUTES: z.coerce.number().int().min(1).max(10_080).default(360),
  RUN_SWEEP_CRON: cronExpression.default('*/5 * * * *'),
  EVENT_STREAMS_PER_USER: z.coerce.number().int().min(1).max(1_000).default(5),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  MAINTENANCE_CRON: cronExpression.default('30 3 * * *'),
  MAINTENANCE_TZ: timeZone.default('Asia/Amman'),
  METRICS_TOKEN: z
    .string()
    .regex(/^\S{16,200}$/, 'must be 16 to 200 characters without spaces')
    .optional(),
  RETAIN_ANSWERS_DAYS: retainDays.default(defaultRetention.answersDays),
  RETAIN_LOOKUPS_DAYS: retainDays.default(defaultRetention.lookupsDays),
  RETAIN_IMPORT_FILES_DAYS: retainDays.default(defaultRetention.importFilesDays),
  RETAIN_RUN_CHANGES_DAYS: retainDays.default(defaultRetention.runChangesDays),
  RETAIN_JOBS_DAYS: z.coerce.number().int().min(1).max(365).default(defaultRetention.jobsDays),
  RETAIN_UPLOAD_ROWS_DAYS: retainDays.default(defaultRetention.uploadRowsDays),
  RETAIN_THROTTLED_SIGN_INS_DAYS: retainDays.default(defaultRetention.throttledSignInsDays),
  CHECK_RESPONSES: booleanFlag.optional(),
});

export type Role = 'web' | 'worker' | 'all';

/** Published, so only for demo data and the embedded database: never for real secrets. */
const DEVELOPMENT_SECRETS_KEY = createHash('sha256').update('fleet-fines development secrets key').digest();

/** How long each kind of per-night data is kept, in days after its night ended (README "Retention"). */
export interface RetentionSettings {
  /** The authority's raw answers (lookup_violations): read only by their own run's reconciliation. */
  answersDays: number;
  /** Each vehicle's lookup per run (lookups): the run page's vehicles and a clearance's last lookup. */
  lookupsDays: number;
  /** Imported authority export files (run_imports). */
  importFilesDays: number;
  /** What each run concluded per violation (run_changes): the run page, statements rendered later. */
  runChangesDays: number;
  /** Completed jobs in the queue (pg-boss deletes them itself). */
  jobsDays: number;
  /** An upload's staged rows (upload_rows), after it was applied or refused. */
  uploadRowsDays: number;
  /** The platform audit log's throttled sign-ins (one per throttle window and key). */
  throttledSignInsDays: number;
}

export interface Config {
  role: Role;
  port: number;
  host: string;
  /** A worker serves /healthz and /readyz here when set. */
  healthPort: number | undefined;
  /** HOST is a loopback address: nothing outside this machine can connect. */
  loopbackOnly: boolean;
  /** Express's `trust proxy` (TRUST_PROXY): which proxies' X-Forwarded-For is believed. */
  trustProxy: false | number | string;
  /** Set when an external PostgreSQL is used; absent means the embedded server. */
  databaseUrl: string | undefined;
  /** The application's and the queue's own logins with DATABASE_URL (the embedded server keeps its own). */
  databaseLogins: LoginPasswords | undefined;
  dataDir: string;
  embeddedPgDir: string;
  embeddedPgPort: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  logPretty: boolean;
  dbPoolMax: number;
  workerConcurrency: number;
  /**
   * The queues this worker works: `only` these (all when absent), less `skip`. Every worker still
   * creates every queue and writes every schedule; a queue nobody works waits for its worker.
   */
  workerQueues: { only?: string[]; skip: string[] };
  /** How often a worker looks for jobs whose worker died (missed heartbeats) and retries them. */
  queueSuperviseSeconds: number;
  shutdownTimeoutMs: number;
  maintenance: { cron: string; tz: string; retention: RetentionSettings };
  auth: AuthSettings;
  /**
   * Create the demo accounts and users (published password) at start: with DEMO=true, or by
   * default on the embedded database listening on loopback; never on any other address.
   */
  demo: boolean;
  /**
   * Seals payment-network secrets at rest (SECRETS_KEY). Without it a published development key
   * stands in, in demo mode or on the embedded database only; elsewhere it is absent and using a
   * network secret is refused until it is set.
   */
  secretsKey: Buffer | undefined;
  /** Where people reach the product (links printed on certificates); the request's own host when unset. */
  publicUrl: string | undefined;
  authority: AuthoritySettings;
  runs: {
    batchSize: number;
    guard: { sharePercent: number; minCount: number; confirmNights: number };
    stuckAfterMinutes: number;
  };
  /** When the sweep of stuck and waiting runs runs (UTC). */
  runSweepCron: string;
  /** Live event streams (run progress) one user or token may hold open at once. */
  eventStreamsPerUser: number;
  /** On shutdown, how long requests in flight may finish before their connections are closed. */
  shutdownGraceMs: number;
  /** The bearer token GET /metrics asks for; without it there is no /metrics. */
  metricsToken: string | undefined;
  /**
   * Check every API answer against its route's declared response (CHECK_RESPONSES): on by default
   * under tests (NODE_ENV=test, as vitest sets), off in production, where it would cost a parse.
   */
  checkResponses: boolean;
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
  /** Session and device cookies only over HTTPS: COOKIE_SECURE, by default unless on loopback. */
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
      return {
        name,
        text: `${name}=${JSON.stringify(redactedValue(name, env[name] ?? ''))}: ${issue.message}`,
      };
    });
    throw new ConfigError(
      `invalid configuration: ${problems.map((p) => p.text).join('; ')}`,
      problems.map((p) => p.name),
    );
  }
  const e = parsed.data;
  const databaseLogins = loginPasswords(e);
  const dataDir = path.resolve(e.DATA_DIR);
  const loopbackOnly = isLoopbackHost(e.HOST);
  const demo = e.DEMO ?? (e.DATABASE_URL === undefined && loopbackOnly);
  if (demo && !loopbackOnly) {
    throw new ConfigError(
      `DEMO=true with HOST=${JSON.stringify(e.HOST)}: the demo users have a published password, so demo data is created only on a loopback HOST (127.0.0.1, ::1, localhost)`,
      ['DEMO'],
    );
  }
  return {
    role,
    port: e.PORT,
    host: e.HOST,
    healthPort: e.HEALTH_PORT,
    loopbackOnly,
    trustProxy: e.TRUST_PROXY,
    databaseUrl: e.DATABASE_URL,
    databaseLogins,
    dataDir,
    embeddedPgDir: path.resolve(e.EMBEDDED_PG_DIR ?? path.join(dataDir, 'pg')),
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY ?? Boolean(process.stdout.isTTY),
    dbPoolMax: e.DB_POOL_MAX,
    workerConcurrency: e.WORKER_CONCURRENCY,
    workerQueues: { only: e.WORKER_QUEUES, skip: e.WORKER_SKIP_QUEUES ?? [] },
    queueSuperviseSeconds: e.QUEUE_SUPERVISE_SECONDS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    maintenance: {
      cron: e.MAINTENANCE_CRON,
      tz: e.MAINTENANCE_TZ,
      retention: {
        answersDays: e.RETAIN_ANSWERS_DAYS,
        lookupsDays: e.RETAIN_LOOKUPS_DAYS,
        importFilesDays: e.RETAIN_IMPORT_FILES_DAYS,
        runChangesDays: e.RETAIN_RUN_CHANGES_DAYS,
        jobsDays: e.RETAIN_JOBS_DAYS,
        uploadRowsDays: e.RETAIN_UPLOAD_ROWS_DAYS,
        throttledSignInsDays: e.RETAIN_THROTTLED_SIGN_INS_DAYS,
      },
    },
    auth: {
      sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
      sessionMaxHours: e.SESSION_MAX_HOURS,
      cookieSecure: e.COOKIE_SECURE ?? !loopbackOnly,
      maxFailuresPerUser: e.LOGIN_MAX_FAILURES_PER_USER,
      maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      throttleWindowSeconds: e.LOGIN_THROTTLE_WINDOW_SECONDS,
    },
    demo,
    secretsKey: e.SECRETS_KEY
      ? Buffer.from(e.SECRETS_KEY, 'base64')
      : demo || e.DATABASE_URL === undefined
        ? DEVELOPMENT_SECRETS_KEY
        : undefined,
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
      guard: {
        sharePercent: e.SUSPECT_SETTLEMENT_SHARE_PERCENT,
        minCount: e.SUSPECT_SETTLEMENT_MIN_COUNT,
        confirmNights: e.SUSPECT_SETTLEMENT_CONFIRM_NIGHTS,
      },
      stuckAfterMinutes: e.RUN_STUCK_MINUTES,
    },
    runSweepCron: e.RUN_SWEEP_CRON,
    eventStreamsPerUser: e.EVENT_STREAMS_PER_USER,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    metricsToken: e.METRICS_TOKEN,
    checkResponses: e.CHECK_RESPONSES ?? [env.NODE_ENV, process.env.NODE_ENV].includes('test'),
    alerts: alertsConfig(cleaned, demo),
  };
}

/** Whether an address to listen on can be reached only from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return (
    h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1'
  );
}

/** A value as it may be printed in an error: URL credentials masked, secrets not shown at all. */
function redactedValue(name: string, value: string): string {
  if (/KEY|SECRET|PASSWORD|TOKEN/i.test(name)) return value ? '(hidden)' : '';
  return value
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@]*?):[^/?#@]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** With DATABASE_URL, the passwords the migrations give the application's and the queue's logins. */
function loginPasswords(e: z.infer<typeof envSchema>): LoginPasswords | undefined {
  const settings = {
    APP_DATABASE_PASSWORD: e.APP_DATABASE_PASSWORD,
    QUEUE_DATABASE_PASSWORD: e.QUEUE_DATABASE_PASSWORD,
  };
  if (!e.DATABASE_URL) return undefined;
  const missing = Object.entries(settings)
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (missing.length > 0) {
    throw new ConfigError(
      `${missing.join(' and ')} must be set with DATABASE_URL: the application and the job queue log in as roles of their own (fleet_app, fleet_queue), which the migrations give these passwords`,
      missing,
    );
  }
  const bad = Object.entries(settings)
    .filter(([, v]) => !LOGIN_PASSWORD.test(v!))
    .map(([k]) => k);
  if (bad.length > 0) {
    throw new ConfigError(
      `${bad.join(', ')}: must be 16 to 200 printable ASCII characters without spaces`,
      bad,
    );
  }
  return { app: settings.APP_DATABASE_PASSWORD!, queue: settings.QUEUE_DATABASE_PASSWORD! };
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

// Alerts (issue 22): email, SMS and webhook delivery settings.
const alertsEnvSchema = z.object({
  ALERTS_SMTP_URL: z
    .string()
    .refine((v) => /^smtps?:\/\//.test(v) && URL.canParse(v), 'must be an smtp:// or smtps:// URL')
    .optional(),
  ALERTS_SMS_URL: z
    .string()
    .refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), 'must be an http(s) URL')
    .optional(),
  ALERTS_SMS_API_KEY: z.string().min(1).optional(),
  ALERTS_FROM: z.string().min(3).default('Fleet fines alerts <alerts@fleet-fines.localhost>'),
  ALERTS_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  ALERTS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  ALERTS_RETRY_BASE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30),
  ALERTS_RETRY_MAX_SECONDS: z.coerce.number().int().min(1).max(604_800).default(3600),
  ALERTS_SMS_MAX_SEGMENTS: z.coerce.number().int().min(1).max(10).default(3),
  ALERTS_LOCAL_SMTP_PORT: z.coerce.number().int().min(0).max(65535).default(2525),
  ALERTS_WEBHOOK_ALLOW_PRIVATE: booleanFlag.optional(),
});

export interface Config {
  alerts: AlertsConfig;
}

export interface AlertsConfig {
  /** Where email goes; unset on the quick start, where the product's own SMTP server keeps it. */
  smtpUrl: string | undefined;
  smsUrl: string | undefined;
  smsApiKey: string | undefined;
  from: string;
  timeoutMs: number;
  retry: AlertsRetryPolicy;
  smsMaxSegments: number;
  localSmtpPort: number;
  /**
   * Webhooks may go to loopback, private, link-local or cloud-metadata addresses: by default only
   * with demo data (loopback HOST), where the receivers are on this machine; elsewhere refused.
   */
  webhookAllowPrivate: boolean;
}

export interface AlertsRetryPolicy {
  maxAttempts: number;
  baseSeconds: number;
  maxSeconds: number;
}

/** The alerts' settings, validated like the rest (`env` as loadConfig got it, without empty values). */
function alertsConfig(env: Record<string, string | undefined>, demo: boolean): AlertsConfig {
  const parsed = alertsEnvSchema.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => String(issue.path[0] ?? '?'));
    throw new ConfigError(
      `invalid configuration: ${parsed.error.issues
        .map((issue, i) => {
          const name = names[i]!;
          return `${name}=${JSON.stringify(redactedValue(name, env[name] ?? ''))}: ${issue.message}`;
        })
        .join('; ')}`,
      names,
    );
  }
  const e = parsed.data;
  return {
    smtpUrl: e.ALERTS_SMTP_URL,
    smsUrl: e.ALERTS_SMS_URL,
    smsApiKey: e.ALERTS_SMS_API_KEY,
    from: e.ALERTS_FROM,
    timeoutMs: e.ALERTS_TIMEOUT_MS,
    retry: {
      maxAttempts: e.ALERTS_MAX_ATTEMPTS,
      baseSeconds: e.ALERTS_RETRY_BASE_SECONDS,
      maxSeconds: e.ALERTS_RETRY_MAX_SECONDS,
    },
    smsMaxSegments: e.ALERTS_SMS_MAX_SEGMENTS,
    localSmtpPort: e.ALERTS_LOCAL_SMTP_PORT,
    webhookAllowPrivate: e.ALERTS_WEBHOOK_ALLOW_PRIVATE ?? demo,
  };
}
