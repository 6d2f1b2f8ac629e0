import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../../server/db/tenant.ts';
import { recordLookupBatch } from '../../server/runs/lookups.repo.ts';
import { abortRun } from '../../server/runs/run-ending.service.ts';
import { getRun } from '../../server/runs/runs.present.ts';
import { reconcileIfLookupsComplete, runLookupBatch, startRun } from '../../server/runs/runs.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { authorityFine as fine, makeAccount, makeVehicles } from '../support/factories.ts';
import { useJobQueue } from '../support/queue.ts';
import { answering, testRunSettings } from '../support/runs.ts';

/**
 * A run's lookups are counted in its batch ledger, one row per recording, never on the run's row
 * while it fetches: whoever commits last moves the run on, exactly once, and the run's counters
 * are the ledger added up.
 */
const test = useTestDatabase();
const jobs = useJobQueue(test);
const settings = testRunSettings(2);

/** Two fines a plate, one of them outstanding. */
const authority = answering((key) => [
  fine(`JO-${key}-1`, { amountMinor: 15_000n }),
  fine(`JO-${key}-2`, { amountMinor: 2_500n, status: 'paid' }),
]);

async function startedRun(vehicles: number) {
  const account = await makeAccount(test.db, 'JO');
  const plates = Array.from({ length: vehicles }, (_, i) => `JO:11-${2000 + i}`);
  await makeVehicles(test.db, account.id, plates);
  const run = await withTenant(test.db, account.id, (trx) =>
    startRun(
      trx,
      jobs.queue,
      { accountId: account.id, kind: 'manual', localNight: null, requestedBy: null },
      settings,
    ),
  );
  return { accountId: account.id, runId: run!.id, batches: Math.ceil(vehicles / settings.batchSize) };
}

const runRow = (accountId: bigint, runId: bigint) =>
  withTenant(test.db, accountId, (trx) =>
    trx.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow(),
  );

async function reconcileJobs(runId: bigint) {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pgboss.job where name = 'run.reconcile' and data->>'runId' = ${runId.toString()}`.execute(
    test.ownerDb,
  );
  return rows[0]!.n;
}

describe('the lookup batch ledger', () => {
  it('moves a run on once when its batches land at once, with its counters added up', async () => {
    const { accountId, runId, batches } = await startedRun(9);
    await Promise.all(
      Array.from({ length: batches }, (_, batchNo) =>
        runLookupBatch(test.db, jobs.queue, authority, { accountId, runId, batchNo }),
      ),
    );
    expect(await runRow(accountId, runId)).toMatchObject({
      status: 'reconciling',
      lookups_done: 9,
      lookups_failed: 0,
      answers_counted: true,
      answers_stored: 18,
      answers_minor: 9n * 17_500n,
      answers_outstanding: 9,
      answers_outstanding_minor: 9n * 15_000n,
    });
    expect(await reconcileJobs(runId)).toBe(1);
  });

  it('shows a fetching run’s progress from its ledger, and moves it on only when every lookup is counted', async () => {
    const { accountId, runId } = await startedRun(6);
    await runLookupBatch(test.db, jobs.queue, authority, { accountId, runId, batchNo: 0 });
    await runLookupBatch(test.db, jobs.queue, authority, { accountId, runId, batchNo: 2 });
    const shown = await withTenant(test.db, accountId, (trx) => getRun(trx, accountId, runId));
    expect(shown).toMatchObject({
      status: 'fetching',
      progress: { fetching: { done: 4, total: 6, failed: 0 } },
    });
    // The run's own row is not written while it fetches.
    expect((await runRow(accountId, runId)).lookups_done).toBe(0);
    expect(await reconcileIfLookupsComplete(test.db, jobs.queue, { accountId, runId })).toBe(false);
    await runLookupBatch(test.db, jobs.queue, authority, { accountId, runId, batchNo: 1 });
    expect((await runRow(accountId, runId)).status).toBe('reconciling');
  });

  it('lets whichever recording commits last move the run on, and only one asker of many', async () => {
    const { accountId, runId } = await startedRun(4);
    const outcome = (vehicleId: bigint) => ({
      vehicleId,
      status: 'ok' as const,
      attempts: 1,
      lastError: null,
      answered: { violations: 0, outstanding: 0, outstandingMinor: 0n },
    });
    const lookups = await withTenant(test.db, accountId, (trx) =>
      trx.selectFrom('lookups').select(['vehicle_id', 'batch_no']).where('run_id', '=', runId).execute(),
    );
    const batch = (batchNo: number) => ({
      accountId,
      runId,
      batchNo,
      outcomes: lookups.filter((l) => l.batch_no === batchNo).map((l) => outcome(l.vehicle_id)),
      violations: [],
    });
    // Batch 0 records but has not committed when batch 1 commits and asks: 1 cannot see 0's rows.
    let batchOneAsked!: boolean;
    await withTenant(test.db, accountId, async (trx) => {
      await recordLookupBatch(trx, batch(0), 'plain');
      await withTenant(test.db, accountId, (other) => recordLookupBatch(other, batch(1), 'plain'));
      batchOneAsked = await reconcileIfLookupsComplete(test.db, jobs.queue, { accountId, runId });
    });
    expect(batchOneAsked).toBe(false);
    expect((await runRow(accountId, runId)).status).toBe('fetching');
    // Batch 0 asks after its commit and sees both; so do the late askers, of whom none moves it again.
    const asked = await Promise.all(
      Array.from({ length: 5 }, () => reconcileIfLookupsComplete(test.db, jobs.queue, { accountId, runId })),
    );
    expect(asked.filter(Boolean)).toEqual([true]);
    expect(await runRow(accountId, runId)).toMatchObject({ status: 'reconciling', lookups_done: 4 });
    expect(await reconcileJobs(runId)).toBe(1);
  });

  it('moves the run on when a batch is delivered again after its first delivery stopped right after its commit', async () => {
    const { accountId, runId } = await startedRun(4);
    await runLookupBatch(test.db, jobs.queue, authority, { accountId, runId, batchNo: 0 });
    // The first delivery of batch 1: recorded and committed, then stopped before asking.
    const pending = await withTenant(test.db, accountId, (trx) =>
      trx
        .selectFrom('lookups')
        .select('vehicle_id')
        .where('run_id', '=', runId)
        .where('batch_no', '=', 1)
        .execute(),
    );
    const outcomes = pending.map((l) => ({
      vehicleId: l.vehicle_id,
      status: 'ok' as const,
      attempts: 1,
      lastError: null,
      answered: { violations: 0, outstanding: 0, outstandingMinor: 0n },
    }));
    await withTenant(test.db, accountId, (trx) =>
      recordLookupBatch(trx, { accountId, runId, batchNo: 1, outcomes, violations: [] }, 'plain'),
    );
    expect((await runRow(accountId, runId)).status).toBe('fetching');
    await runLookupBatch(test.db, jobs.queue, authority, { accountId, runId, batchNo: 1 });
    expect(await runRow(accountId, runId)).toMatchObject({ status: 'reconciling', lookups_done: 4 });
    expect(await reconcileJobs(runId)).toBe(1);
  });

  it('sets an aborted run’s counters from its ledger: what landed, and what the abort failed', async () => {
    const { accountId, runId } = await startedRun(6);
    await runLookupBatch(test.db, jobs.queue, authority, { accountId, runId, batchNo: 1 });
    await withTenant(test.db, accountId, (trx) => abortRun(trx, jobs.queue, accountId, runId));
    expect(await runRow(accountId, runId)).toMatchObject({
      status: 'failed',
      lookups_done: 6,
      lookups_failed: 4,
      answers_stored: 4,
    });
  });
});
