import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeVehicles } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';

/**
 * Workers killed with SIGKILL at random points of a run, then started again, end with the same
 * result as an undisturbed run of the same fleet against the same authority.
 */
const test = useTestDatabase();
let simulator: AuthoritySimulator;
beforeAll(async () => {
  simulator = await startAuthoritySimulator({
    seed: 'crash-test',
    world: { startDate: '2026-05-01', dailyViolationRate: 0.05, notFoundRate: 0.05 },
    faults: { latencyMs: 150, jitterMs: 100 },
  });
});
// This process serves HTTP only; the workers are separate processes we can kill.
const web = useProduct(test, { AUTHORITY_BATCH_SIZE: '5' }, 'web');
const workers = new Set<ChildProcess>();
afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await simulator?.close();
});

const MAIN = path.resolve(import.meta.dirname, '../../server/main.ts');
interface Worker {
  process: ChildProcess;
  /** How it ended, listened for from the start: a worker may end before anyone waits for it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
function startWorker(): Worker {
  const worker = spawn(process.execPath, [MAIN, '--role=worker'], {
    env: {
      ...process.env,
      ...test.env,
      AUTHORITY_URL: simulator.url,
      AUTHORITY_BATCH_SIZE: '5',
      AUTHORITY_RATE_LIMIT: '100',
      // A killed worker's gate leases last twice the request timeout; the simulator answers in
      // milliseconds, so a short timeout keeps each round's wait for them to a few seconds.
      AUTHORITY_TIMEOUT_MS: '3000',
      QUEUE_SUPERVISE_SECONDS: '1',
      // The calm run's worker stops gracefully while its statements may still be rendering: on a
      // busy machine that can outlast the default 20 s, which would end the worker with code 1.
      SHUTDOWN_TIMEOUT_MS: '120000',
      LOG_LEVEL: 'error',
      LOG_PRETTY: 'false',
    },
    // Errors (a worker that cannot start, say) are logged to stdout: shown with the test's output.
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  workers.add(worker);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    worker.once('exit', (code, signal) => {
      workers.delete(worker);
      resolve({ code, signal });
    }),
  );
  return { process: worker, exited };
}

const plates = Array.from({ length: 100 }, (_, i) => `JO:${20 + (i % 40)}-${31000 + i}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startRun(account: AccountFixture): Promise<bigint> {
  const client = new ApiClient(web.product.url!);
  await client.signIn(account.users.owner.email);
  client.accountId = account.id.toString();
  const res = await client.post<{ id: string }>('/runs');
  expect(res.status).toBe(202);
  return BigInt(res.body.id);
}

async function runStatus(account: AccountFixture, runId: bigint): Promise<string> {
  return withTenant(test.db, account.id, async (trx) => {
    const run = await trx
      .selectFrom('runs')
      .select('status')
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    return run.status;
  });
}

async function lookupsDone(account: AccountFixture, runId: bigint): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from lookups where account_id = ${account.id} and run_id = ${runId} and status <> 'pending'`.execute(
    test.ownerDb,
  );
  return rows[0]!.n;
}

/** What the queue holds, for a failure message. */
async function queueState(): Promise<string> {
  const jobs = await sql`select name, state, count(*)::int as n from pgboss.job
    where name not like '__pgboss%' group by 1, 2`.execute(test.ownerDb);
  return JSON.stringify(jobs.rows);
}

/** Reads `current` until `reached` holds of it, failing after `timeoutMs` with what it waited for. */
async function waitUntil<T>(
  current: () => Promise<T>,
  reached: (value: T) => boolean,
  timeoutMs: number,
  waitedFor: (value: T) => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await current();
    if (reached(value)) return value;
    if (Date.now() > deadline) throw new Error(`${waitedFor(value)}; jobs: ${await queueState()}`);
    await sleep(20);
  }
}

const waitForEnd = (account: AccountFixture, runId: bigint, timeoutMs: number) =>
  waitUntil(
    () => runStatus(account, runId),
    (status) => ['done', 'partial', 'failed'].includes(status),
    timeoutMs,
    (status) => `run ${runId} stuck in ${status}`,
  );

const waitForLookups = (account: AccountFixture, runId: bigint, depth: number, timeoutMs: number) =>
  waitUntil(
    () => lookupsDone(account, runId),
    (done) => done >= depth,
    timeoutMs,
    (done) => `run ${runId}: ${done} lookups answered, waited for ${depth}`,
  );

async function outcome(account: AccountFixture, runId: bigint) {
  const { rows } = await sql<{
    plate_key: string;
    ticket_number: string;
    change: string;
    amount_minor: string;
  }>`
    select l.plate_key, c.ticket_number, c.change, c.amount_minor::text
    from run_changes c join lookups l on l.account_id = c.account_id and l.run_id = c.run_id and l.vehicle_id = c.vehicle_id
    where c.account_id = ${account.id} and c.run_id = ${runId}
    order by c.ticket_number`.execute(test.ownerDb);
  const lookups = await sql<{ status: string; n: number }>`
    select status, count(*)::int as n from lookups where account_id = ${account.id} and run_id = ${runId}
    group by status order by status`.execute(test.ownerDb);
  const violations = await sql<{ n: number; versions: number }>`
    select (select count(*)::int from violations where account_id = ${account.id}) as n,
           (select count(*)::int from violation_versions where account_id = ${account.id}) as versions`.execute(
    test.ownerDb,
  );
  return { changes: rows, lookups: lookups.rows, violations: violations.rows[0] };
}

describe('a run survives workers killed with SIGKILL', () => {
  it('ends exactly like an undisturbed run, whatever point the workers die at', async () => {
    const calm = await makeAccount(test.db, 'JO');
    const stormy = await makeAccount(test.db, 'JO');
    await makeVehicles(test.db, calm.id, plates);
    await makeVehicles(test.db, stormy.id, plates);

    const worker = startWorker();
    const calmRun = await startRun(calm);
    expect(await waitForEnd(calm, calmRun, 60_000)).toBe('done');
    worker.process.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });

    const stormyRun = await startRun(stormy);
    // Kill every worker at different depths of the lookup stage, with batches in flight. The last
    // depth leaves thirteen batches: two workers hold eight between them (four a fetch each), and
    // with fewer left the batches already in flight could end the stage first.
    const killedAt: number[] = [];
    for (const depth of [8, 20, 35]) {
      const doomed = [startWorker(), startWorker()];
      await waitForLookups(stormy, stormyRun, depth, 40_000);
      for (const w of doomed) w.process.kill('SIGKILL');
      // Each was killed, not dead already of something else.
      expect(await Promise.all(doomed.map((w) => w.exited))).toEqual(
        doomed.map(() => ({ code: null, signal: 'SIGKILL' })),
      );
      killedAt.push(await lookupsDone(stormy, stormyRun));
    }
    expect(killedAt.every((done) => done < plates.length)).toBe(true);
    startWorker();
    startWorker();
    expect(await waitForEnd(stormy, stormyRun, 120_000)).toBe('done');
    // The killed workers' jobs were picked up again (pg-boss retried them after missed heartbeats).
    const retried = await sql<{ n: number }>`
      select count(*)::int as n from pgboss.job where name = 'lookup.batch' and retry_count > 0
        and data->>'accountId' = ${stormy.id.toString()}`.execute(test.ownerDb);
    expect(retried.rows[0]!.n).toBeGreaterThan(0);

    const expected = await outcome(calm, calmRun);
    const actual = await outcome(stormy, stormyRun);
    expect(expected.changes.length).toBeGreaterThan(0);
    expect(actual).toEqual(expected);
  }, 240_000);
});
