import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDatabase, type Database } from '../../server/db/database.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../server/db/embedded.ts';
import { APP_ROLE, loginUrl, setLoginPasswords } from '../../server/db/logins.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { databaseUrl, serverLoginPasswords } from '../support/test-databases.ts';

/** One figure of `npm run bench`, as written to bench-results.json (DESIGN §6). */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The floor's value in the same unit, measured in the same run (equal to value for a floor). */
  floor: number;
  /** value / floor for times (lower is better); floor / value for rates. */
  ratio: number;
  peakRssMb: number;
}

export interface BenchContext {
  db: Database;
  url: string;
  /** The application's login on the bench database. */
  appUrl: string;
  /** The settings that start the product on the bench database. */
  env: BenchDatabase['env'];
  /**
   * Records a figure; `kind` says whether bigger or smaller is better. `peakRssMb` is this
   * process's unless the figure names another's (a product started as a child process).
   */
  record(
    result: Omit<BenchResult, 'peakRssMb' | 'ratio'> & { kind: 'time' | 'rate'; peakRssMb?: number },
  ): void;
  /** Floors measured earlier in this run, by name. */
  floor(name: string): number;
}

export interface Bench {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<void>;
}

export interface BenchDatabase {
  url: string;
  appUrl: string;
  env: {
    DATABASE_URL: string;
    APP_DATABASE_PASSWORD: string;
    QUEUE_DATABASE_PASSWORD: string;
    SECRETS_KEY: string;
  };
  close(): Promise<void>;
}

/** A throwaway migrated database: embedded by default, a new `fleet_bench_*` database on DATABASE_URL. */
export async function benchDatabase(): Promise<BenchDatabase> {
  let embedded: EmbeddedPostgres | undefined;
  let dir: string | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-'));
    fs.chmodSync(dir, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), database: 'postgres' });
    adminUrl = embedded.adminUrl;
  }
  const name = `fleet_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = databaseUrl(adminUrl, name);
  const db = createDatabase(url, 2);
  await migrateToLatest(db);
  await db.destroy();
  const logins = serverLoginPasswords(adminUrl);
  await setLoginPasswords(url, logins);
  return {
    url,
    appUrl: loginUrl(url, APP_ROLE, logins.app),
    env: {
      DATABASE_URL: url,
      APP_DATABASE_PASSWORD: logins.app,
      QUEUE_DATABASE_PASSWORD: logins.queue,
      SECRETS_KEY: randomBytes(32).toString('base64'),
    },
    async close() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
      await embedded?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Peak resident memory of a process (this one by default), in MB: the kernel's high-water mark. */
/**
 * The Node flags `npm run start:worker` gives a worker (package.json), so that a bench starts its
 * workers as production does and the two cannot drift apart.
 */
export const WORKER_NODE_FLAGS: readonly string[] = (() => {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const script: string = pkg.scripts['start:worker'];
  return script.split(/\s+/).filter((arg) => arg.startsWith('--') && !arg.startsWith('--role'));
})();

export function peakRssMb(pid: number | 'self' = 'self'): number {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
    if (line) return Math.round(Number(line[1]) / 1024);
  } catch {}
  return Math.round(process.memoryUsage().rss / 1024 / 1024);
}

/** Resident memory of a process now, in MB. */
export function rssMb(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return line ? Math.round(Number(line[1]) / 1024) : 0;
}

/** CPU time a process has used so far (user and system), in seconds (Linux). */
export function cpuSeconds(pid: number): number {
  try {
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Resets a process's peak-RSS mark (Linux), so the next reading covers only what follows. */
export function resetPeakRss(pid: number | 'self' = 'self'): void {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {}
}

export async function time<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}
