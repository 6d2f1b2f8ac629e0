import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { wallQueue } from '../../jobs/boss.ts';
import { loadConfig } from '../../server/config.ts';
import { createDatabase } from '../../server/db/database.ts';
import { assertWalledLogin, withTenant } from '../../server/db/tenant.ts';
import { runJobs } from '../../server/runs/runs.jobs.ts';
import { reconcileRun, startScheduledRun } from '../../server/runs/runs.service.ts';

const RECONCILE_QUEUE = runJobs.reconcile.name;

import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';
import { useJobQueue } from '../support/queue.ts';

const test = useTestDatabase();
const jobs = useJobQueue(test);
let a: AccountFixture;
let b: AccountFixture;

beforeAll(async () => {
  a = await makeAccount(test.db, 'JO');
  b = await makeAccount(test.db, 'EG');
});

const queuedFor = async (accountId: bigint) => {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pgboss.job where data ->> 'accountId' = ${accountId.toString()}`.execute(
    test.ownerDb,
  );
  return rows[0]!.n;
};

describe('the job queue behind the tenant wall', () => {
  it("enqueues a tenant transaction's own jobs, and refuses one naming another account", async () => {
    await withTenant(test.db, a.id, (trx) =>
      jobs.queue.send(trx, runJobs.reconcile, [{ accountId: a.id.toString(), runId: '1' }]),
    );
    expect(await queuedFor(a.id)).toBe(1);

    // A payload naming account B, sent from A's transaction: B's worker would act on it as B.
    await expect(
      withTenant(test.db, a.id, (trx) =>
        jobs.queue.send(trx, runJobs.reconcile, [{ accountId: b.id.toString(), runId: '1' }]),
      ),
    ).rejects.toThrow(/row-level security/);
    // Outside any tenant transaction nothing may be enqueued at all.
    await expect(
      test.db
        .transaction()
        .execute((trx) =>
          jobs.queue.send(trx, runJobs.reconcile, [{ accountId: b.id.toString(), runId: '1' }]),
        ),
    ).rejects.toThrow(/row-level security/);
    expect(await queuedFor(b.id)).toBe(0);
  });

  it('lets the application read, change or delete no job, not even its own tenant’s', async () => {
    await withTenant(test.db, b.id, (trx) =>
      jobs.queue.send(trx, runJobs.reconcile, [{ accountId: b.id.toString(), runId: '2' }]),
    );
    const statements = [
      sql`select data from pgboss.job_common`,
      sql`select data from pgboss.job`,
      sql`update pgboss.job_common set data = jsonb_set(data, '{accountId}', ${JSON.stringify(a.id.toString())}::jsonb)`,
      sql`delete from pgboss.job_common`,
      sql`truncate pgboss.job_common`,
      sql`insert into pgboss.job (name, data) values (${RECONCILE_QUEUE}, ${JSON.stringify({ accountId: b.id.toString(), runId: '3' })}::jsonb)`,
      sql`insert into pgboss.schedule (name, key, cron, timezone) values (${RECONCILE_QUEUE}, 'x', '* * * * *', 'UTC')`,
      sql`update pgboss.queue set retry_limit = 0`,
    ];
    for (const statement of statements) {
      await expect(withTenant(test.db, b.id, (trx) => statement.execute(trx))).rejects.toThrow(
        /permission denied/,
      );
    }
    expect(await queuedFor(b.id)).toBe(1);
  });

  it("is not reached by switching to the queue's role", async () => {
    await expect(sql`set role fleet_queue`.execute(test.db)).rejects.toThrow(/permission denied/);
  });

  it('runs pg-boss as a login of its own that has no right on any tenant table', async () => {
    const queueDb = createDatabase(test.queueUrl, 1);
    try {
      await expect(assertWalledLogin(queueDb, 'queue')).resolves.toBeUndefined();
      await expect(sql`select count(*) from accounts`.execute(queueDb)).rejects.toThrow(/permission denied/);
      // The application's login is not fit to be the queue's, nor the queue's the application's.
      await expect(assertWalledLogin(test.db, 'queue')).rejects.toThrow(/rights on tenant tables/);
      await expect(assertWalledLogin(queueDb, 'app')).rejects.toThrow(
        /owns tables in pgboss.*may change or insert jobs of every tenant/,
      );
    } finally {
      await queueDb.destroy();
    }
  });

  it('takes back the rights an earlier version granted the application on the queue', async () => {
    await sql`grant all on pgboss.job_common, pgboss.schedule, pgboss.queue to fleet_app`.execute(
      test.ownerDb,
    );
    await expect(assertWalledLogin(test.db, 'app')).rejects.toThrow(
      /may change or insert jobs of every tenant/,
    );
    const queueDb = createDatabase(test.queueUrl, 1);
    try {
      await wallQueue(queueDb);
    } finally {
      await queueDb.destroy();
    }
    await expect(assertWalledLogin(test.db, 'app')).resolves.toBeUndefined();
    await expect(sql`delete from pgboss.schedule`.execute(test.db)).rejects.toThrow(/permission denied/);
    await withTenant(test.db, a.id, (trx) =>
      jobs.queue.send(trx, runJobs.reconcile, [{ accountId: a.id.toString(), runId: '4' }]),
    );
  });

  it("has handlers that find nothing when a payload pairs one account with another's run", async () => {
    const { runs: settings } = loadConfig({}, []);
    const run = await startScheduledRun(
      test.db,
      jobs.queue,
      b.id,
      new Date('2026-11-20T12:00:00Z'),
      settings,
    );
    const statusOf = async () =>
      (await sql<{ status: string }>`select status from runs where id = ${run!.id}`.execute(test.ownerDb))
        .rows[0]!.status;
    const before = await statusOf();
    // The job runs under the payload's account: row-level security hides B's run from A.
    expect(
      await reconcileRun(test.db, jobs.queue, { accountId: a.id, runId: run!.id }, settings),
    ).toBeUndefined();
    expect(await statusOf()).toBe(before);
  });

  it('is walled by processes starting at the same moment, none of them failing', async () => {
    // Each start-up walls from its own connection, as separate processes do.
    const queues = Array.from({ length: 6 }, () => createDatabase(test.queueUrl, 1));
    try {
      for (let round = 0; round < 3; round++) {
        const outcomes = await Promise.allSettled(queues.map((queue) => wallQueue(queue)));
        expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      }
    } finally {
      await Promise.all(queues.map((queue) => queue.destroy()));
    }
  });
});
