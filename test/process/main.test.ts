import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../server/db/embedded.ts';

const MAIN = path.resolve(import.meta.dirname, '../../server/main.ts');
const children = new Set<ChildProcess>();
const dataDirs: string[] = [];

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>, args: string[] = []): Started {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL'));
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...clean, LOG_PRETTY: 'false', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let text = '';
  child.stdout!.on('data', (chunk) => {
    text += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    text += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, output: () => text, exited };
}

async function waitForReady(url: string, started: Started, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null) throw new Error(`exited early:\n${started.output()}`);
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not ready within ${timeoutMs} ms:\n${started.output()}`);
}

function embeddedState(dataDir: string): { password: string; port?: number; pid?: number } {
  return JSON.parse(fs.readFileSync(path.join(dataDir, 'pg.state.json'), 'utf8'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dataDirs) {
    const pid = fs.existsSync(path.join(dir, 'pg.state.json')) ? embeddedState(dir).pid : undefined;
    if (pid && alive(pid)) process.kill(pid, 'SIGQUIT');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('server/main.ts', () => {
  it.each([
    [{ PORT: 'eighty' }, [], /PORT="eighty"/],
    [{ DATABASE_URL: 'http://db' }, [], /DATABASE_URL="http:\/\/db": must be a postgres/],
    [{}, ['--role=boss'], /--role="boss"/],
  ])('refuses bad configuration %o %o with a message naming it', async (env, args, message) => {
    const started = start(env, args);
    expect(await started.exited).toBe(2);
    expect(started.output()).toMatch(message);
  });

  it('starts on the embedded database, reuses its data, survives SIGKILL and stops gracefully', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-main-'));
    fs.chmodSync(dataDir, 0o755);
    dataDirs.push(dataDir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { DATA_DIR: dataDir, PORT: String(port) };

    const first = start(env);
    await waitForReady(url, first);
    expect(first.output()).toContain('database migrated');
    // The quick start (embedded database on loopback) still creates the demo accounts.
    expect(first.output()).toContain('demo accounts created');
    const state = embeddedState(dataDir);
    const client = new pg.Client({
      connectionString: `postgres://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/fleet`,
    });
    await client.connect();
    await client
      .query('create table survives_restarts (note text); insert into survives_restarts values ($1)', [
        'still here',
      ])
      .catch(async () => {
        await client.query('create table survives_restarts (note text)');
        await client.query("insert into survives_restarts values ('still here')");
      });
    await client.end();

    // SIGKILL orphans the database server; the next start must stop it and carry on.
    first.child.kill('SIGKILL');
    await first.exited;
    expect(alive(state.pid!)).toBe(true);

    const second = start(env);
    await waitForReady(url, second);
    expect(second.output()).toContain('left over by a process that did not shut down');
    expect(second.output()).not.toContain('database migrated');
    expect(alive(state.pid!)).toBe(false);
    const again = embeddedState(dataDir);
    const check = new pg.Client({
      connectionString: `postgres://postgres:${encodeURIComponent(again.password)}@127.0.0.1:${again.port}/fleet`,
    });
    await check.connect();
    const { rows } = await check.query('select note from survives_restarts');
    await check.end();
    expect(rows).toEqual([{ note: 'still here' }]);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('embedded PostgreSQL stopped');
    expect(alive(again.pid!)).toBe(false);
  }, 120_000);

  it('refuses to share a data folder with a running instance', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-main-'));
    fs.chmodSync(dataDir, 0o755);
    dataDirs.push(dataDir);
    const port = await freePort();
    const first = start({ DATA_DIR: dataDir, PORT: String(port) });
    await waitForReady(`http://127.0.0.1:${port}`, first);
    const second = start({ DATA_DIR: dataDir, PORT: String(await freePort()) });
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/in use by running process/);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  }, 120_000);

  it('a stop asked for during start-up waits for it, then stops the embedded database too', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-main-'));
    fs.chmodSync(dataDir, 0o755);
    dataDirs.push(dataDir);
    const started = start({ DATA_DIR: dataDir, PORT: String(await freePort()) });
    // The database server is up and the first start's migrations are about to run: Ctrl-C now.
    const statePath = path.join(dataDir, 'pg.state.json');
    while (!(fs.existsSync(statePath) && embeddedState(dataDir).pid)) {
      if (started.child.exitCode !== null) throw new Error(`exited early:\n${started.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { pid } = embeddedState(dataDir);
    started.child.kill('SIGINT');
    expect(await started.exited).toBe(0);
    expect(started.output()).toContain('SIGINT: stopping once start-up is done');
    expect(started.output()).toContain('embedded PostgreSQL stopped');
    expect(alive(pid!)).toBe(false);
  }, 120_000);
});
