import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../../server/db/tenant.ts';
import { markRunIssuing } from '../../server/payments/payment-stage.repo.ts';
import { paymentJobs } from '../../server/payments/payments.jobs.ts';
import { sweepRuns } from '../../server/runs/run-ending.service.ts';
import { runJobs } from '../../server/runs/runs.jobs.ts';
import { reconcileRun, runLookupBatch, startRun } from '../../server/runs/runs.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { authorityFine as fine, makeAccount, makeVehicles } from '../support/factories.ts';
import { useJobQueue } from '../support/queue.ts';
import { answering, testRunSettings } from '../support/runs.ts';

/**
 * A run whose payment stage was lost (its job dead-lettered, or the worker killed with no retry
 * left) stays `issuing`: the sweep ends it as reconciliation decided once past the limit, wakes
 * the run waiting behind it and sends the stage again, once.
 */
const test = useTestDatabase();
const jobs = useJobQueue(test);
const settings = testRunSettings(5);

const authority = answering((key) => [fine(`JO-${key}`)]);

const runRow = (accountId: bigint, runId: bigint) =>
  withTenant(test.db, accountId, (trx) =>
    trx.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow(),
  );

const sentJobs = async (name: string, runId: bigint) => {
  const { rows } = await sql<{ data: { runId: string } }>`
    select data from pgboss.job where name = ${name} and data->>'runId' = ${runId.toString()}`.execute(
    test.ownerDb,
  );
  return rows.length;
};

describe('the sweep and a lost payment stage', () => {
  it('ends a run stuck issuing past the limit as reconciliation decided and sends its stage again', async () => {
    const account = await makeAccount(test.db, 'JO');
    const accountId = account.id;
    await makeVehicles(test.db, accountId, ['JO:21-1001', 'JO:21-1002']);
    const start = (kind: 'manual' | 'scheduled') =>
      withTenant(test.db, accountId, (trx) =>
        startRun(
          trx,
          jobs.queue,
          { accountId, kind, localNight: kind === 'scheduled' ? '2026-12-05' : null, requestedBy: null },
          settings,
        ),
      );
    const run = (await start('manual'))!;
    await runLookupBatch(test.db, jobs.queue, authority, { accountId, runId: run.id, batchNo: 0 });
    // Reconciliation hands over to the payment stage as the job does; the stage's job is then lost.
    await reconcileRun(test.db, jobs.queue, { accountId, runId: run.id }, settings, (trx) =>
      markRunIssuing(trx, accountId, run.id),
    );
    expect((await runRow(accountId, run.id)).status).toBe('issuing');
    const nightly = (await start('scheduled'))!;
    expect(nightly.status).toBe('waiting');

    // Within the limit the stage may still be running: the sweep leaves it alone.
    expect(await sweepRuns(test.db, jobs.queue, settings)).toEqual([]);
    expect(await sentJobs(paymentJobs.issue.name, run.id)).toBe(0);

    await sql`update runs set reconciled_at = now() - interval '31 minutes' where id = ${run.id}`.execute(
      test.ownerDb,
    );
    expect(await sweepRuns(test.db, jobs.queue, settings)).toEqual([
      { accountId, runId: run.id, action: 'payment_stage_resent' },
    ]);
    const ended = await runRow(accountId, run.id);
    expect(ended.status).toBe('done');
    expect(ended.finished_at).not.toBeNull();
    expect(await sentJobs(paymentJobs.issue.name, run.id)).toBe(1);
    expect(await sentJobs(runJobs.start.name, nightly.id)).toBe(1);

    // Ended, it is not swept again; the waiting run, were its wake-up lost, is started by the next sweep.
    expect(await sweepRuns(test.db, jobs.queue, settings)).toEqual([
      { accountId, runId: nightly.id, action: 'started' },
    ]);
    expect(await sentJobs(paymentJobs.issue.name, run.id)).toBe(1);
  });
});
