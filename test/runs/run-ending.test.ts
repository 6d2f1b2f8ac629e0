import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../../server/db/tenant.ts';
import { decideSuspectSettlement } from '../../server/exceptions/exceptions.service.ts';
import { accountDashboard } from '../../server/runs/dashboard.service.ts';
import {
  abortRun,
  giveUpLookupBatch,
  giveUpReconciliation,
  sweepRuns,
} from '../../server/runs/run-ending.service.ts';
import { runJobs } from '../../server/runs/runs.jobs.ts';
import {
  type AuthorityDirectory,
  reconcileRun,
  runLookupBatch,
  startRun,
  startWaitingRun,
} from '../../server/runs/runs.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { authorityFine as fine, makeAccount, makeVehicles } from '../support/factories.ts';
import { useJobQueue } from '../support/queue.ts';
import { answering, testRunSettings } from '../support/runs.ts';

const START_RUN_QUEUE = runJobs.start.name;

/**
 * Every run ends: poison answers fail their lookups (not the job), jobs out of retries end the run
 * (partial or failed), the sweep ends runs stuck past the limit, an owner can abort, and a nightly
 * run that met a manual one waits for it. Also the guard's and the fleet's end states: an
 * exception holding nothing cannot be decided, a removed vehicle's fines are concluded once, and a
 * re-added vehicle's fines from its earlier period are not taken for pre-acquisition ones.
 */
const test = useTestDatabase();
const jobs = useJobQueue(test);
const settings = testRunSettings(2);

async function newAccount(plates: string[]) {
  const account = await makeAccount(test.db, 'JO');
  const vehicleIds = await makeVehicles(test.db, account.id, plates);
  return { accountId: account.id, vehicleIds, owner: account.users.owner };
}

const start = (accountId: bigint, kind: 'manual' | 'scheduled' = 'manual') =>
  withTenant(test.db, accountId, (trx) =>
    startRun(
      trx,
      jobs.queue,
      { accountId, kind, localNight: kind === 'scheduled' ? '2026-12-05' : null, requestedBy: null },
      settings,
    ),
  );

const runRow = (accountId: bigint, runId: bigint) =>
  withTenant(test.db, accountId, (trx) =>
    trx.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow(),
  );

const lookupsOf = (accountId: bigint, runId: bigint) =>
  withTenant(test.db, accountId, (trx) =>
    trx
      .selectFrom('lookups')
      .select(['vehicle_id', 'batch_no', 'status', 'last_error'])
      .where('run_id', '=', runId)
      .orderBy('vehicle_id')
      .execute(),
  );

async function runAllBatches(
  accountId: bigint,
  runId: bigint,
  authority: AuthorityDirectory,
  batches: number,
) {
  for (let batchNo = 0; batchNo < batches; batchNo++) {
    await runLookupBatch(test.db, jobs.queue, authority, { accountId, runId, batchNo });
  }
}

describe('a run always ends', () => {
  it('fails the lookups of a batch whose answer the database refuses (a NUL), not the job', async () => {
    const { accountId } = await newAccount(['JO:11-1001', 'JO:11-1002', 'JO:11-1003']);
    const run = (await start(accountId))!;
    // Past the contract (as a provider that skipped it would be): the database refuses the NUL.
    const poison = answering((key) =>
      key === 'JO:11-1001' ? [fine('JO-NUL-1', { descriptionEn: 'Speed\u0000ing' })] : [fine(`JO-${key}`)],
    );
    await runAllBatches(accountId, run.id, poison, 2);
    const lookups = await lookupsOf(accountId, run.id);
    expect(lookups.map((l) => l.status)).toEqual(['failed', 'failed', 'ok']);
    expect(lookups[0]!.last_error).toMatch(/could not be stored/);
    expect((await runRow(accountId, run.id)).status).toBe('reconciling');
    const summary = await reconcileRun(test.db, jobs.queue, { accountId, runId: run.id }, settings);
    expect(summary!.failedVehicles).toHaveLength(2);
    expect((await runRow(accountId, run.id)).status).toBe('partial');
  });

  it('a lookup batch out of retries fails its pending lookups and the run reconciles the rest (partial)', async () => {
    const { accountId } = await newAccount(['JO:12-1001', 'JO:12-1002', 'JO:12-1003']);
    const run = (await start(accountId))!;
    await runAllBatches(
      accountId,
      run.id,
      answering((key) => [fine(`JO-${key}`)]),
      1,
    );
    const failed = await giveUpLookupBatch(
      test.db,
      jobs.queue,
      { accountId, runId: run.id, batchNo: 1 },
      'the lookup batch gave up after 11 attempts: timeout',
    );
    expect(failed).toBe(1);
    expect((await runRow(accountId, run.id)).status).toBe('reconciling');
    await reconcileRun(test.db, jobs.queue, { accountId, runId: run.id }, settings);
    const ended = await runRow(accountId, run.id);
    expect(ended.status).toBe('partial');
    expect((ended.summary as { failedVehicles: Array<{ reason: string }> }).failedVehicles).toEqual([
      expect.objectContaining({ reason: 'the lookup batch gave up after 11 attempts: timeout' }),
    ]);
  });

  it('a reconciliation out of retries ends the run failed and starts the nightly run that waited for it', async () => {
    const { accountId } = await newAccount(['JO:13-1001']);
    const manual = (await start(accountId))!;
    const nightly = (await start(accountId, 'scheduled'))!;
    expect(nightly.status).toBe('waiting');
    await runAllBatches(
      accountId,
      manual.id,
      answering(() => []),
      1,
    );
    expect(
      await giveUpReconciliation(test.db, jobs.queue, { accountId, runId: manual.id }, 'gave up: deadlock'),
    ).toBe(true);
    expect(await runRow(accountId, manual.id)).toMatchObject({
      status: 'failed',
      error: 'gave up: deadlock',
    });
    const woken = await sql<{ data: { runId: string } }>`
      select data from pgboss.job where name = ${START_RUN_QUEUE} and data->>'runId' = ${nightly.id.toString()}`.execute(
      test.ownerDb,
    );
    expect(woken.rows).toHaveLength(1);
    expect(await startWaitingRun(test.db, jobs.queue, { accountId, runId: nightly.id }, settings)).toBe(true);
    expect((await runRow(accountId, nightly.id)).status).toBe('fetching');
  });

  it('dead-letters the lookup batches and reconciliations that run out of retries', async () => {
    const queues = await sql<{ name: string; dead_letter: string | null }>`
      select name, dead_letter from pgboss.queue where name in ('lookup.batch', 'run.reconcile') order by name`.execute(
      test.ownerDb,
    );
    expect(queues.rows).toEqual([
      { name: 'lookup.batch', dead_letter: 'lookup.batch_gave_up' },
      { name: 'run.reconcile', dead_letter: 'run.reconcile_gave_up' },
    ]);
  });

  it('the sweep ends runs stuck past the limit and starts waiting runs nothing blocks', async () => {
    const { accountId } = await newAccount(['JO:14-1001', 'JO:14-1002', 'JO:14-1003']);
    const stuck = (await start(accountId))!;
    await runAllBatches(
      accountId,
      stuck.id,
      answering((key) => [fine(`JO-${key}`)]),
      1,
    );
    const nightly = (await start(accountId, 'scheduled'))!;
    expect(await sweepRuns(test.db, jobs.queue, settings)).toEqual([]);
    await sql`update runs set snapshotted_at = now() - interval '31 minutes' where id = ${stuck.id}`.execute(
      test.ownerDb,
    );
    expect(await sweepRuns(test.db, jobs.queue, settings)).toEqual([
      { accountId, runId: stuck.id, action: 'lookups_failed' },
    ]);
    const lookups = await lookupsOf(accountId, stuck.id);
    expect(lookups.map((l) => l.status)).toEqual(['ok', 'ok', 'failed']);
    expect(lookups[2]!.last_error).toMatch(/not answered within 30 minutes/);
    // Its reconciliation never happens: past the limit again, the run fails and the nightly run starts.
    await sql`update runs set fetched_at = now() - interval '31 minutes' where id = ${stuck.id}`.execute(
      test.ownerDb,
    );
    expect(await sweepRuns(test.db, jobs.queue, settings)).toEqual([
      { accountId, runId: stuck.id, action: 'failed' },
    ]);
    // Ending it woke the waiting run (a run.start job); were that job lost, the next sweep starts it.
    expect(await sweepRuns(test.db, jobs.queue, settings)).toEqual([
      { accountId, runId: nightly.id, action: 'started' },
    ]);
    expect((await runRow(accountId, stuck.id)).status).toBe('failed');
    expect((await runRow(accountId, nightly.id)).status).toBe('fetching');
  });

  it('an abort ends a run failed, once', async () => {
    const { accountId } = await newAccount(['JO:15-1001']);
    const run = (await start(accountId))!;
    await withTenant(test.db, accountId, (trx) => abortRun(trx, jobs.queue, accountId, run.id));
    expect(await runRow(accountId, run.id)).toMatchObject({ status: 'failed', error: 'aborted by an owner' });
    expect((await lookupsOf(accountId, run.id))[0]!.status).toBe('failed');
    await expect(
      withTenant(test.db, accountId, (trx) => abortRun(trx, jobs.queue, accountId, run.id)),
    ).rejects.toMatchObject({ code: 'run_ended' });
    // The account can run again.
    expect((await start(accountId))!.status).toBe('fetching');
  });
});

describe('what runs leave behind', () => {
  it('an exception that holds nothing any more cannot be confirmed or dismissed (409)', async () => {
    const { accountId } = await newAccount(['JO:16-1001']);
    const run = (await start(accountId))!;
    const exception = await withTenant(test.db, accountId, (trx) =>
      trx
        .insertInto('exceptions')
        .values({ account_id: accountId, kind: 'suspect_mass_settlement', run_id: run.id })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    for (const decision of ['confirm', 'dismiss'] as const) {
      await expect(
        withTenant(test.db, accountId, (trx) =>
          decideSuspectSettlement(trx, accountId, exception.id, decision, {
            userId: null,
            tokenId: null,
            ip: null,
          }),
        ),
      ).rejects.toMatchObject({ code: 'exception_nothing_held', status: 409 });
    }
  });

  it('concludes a removed vehicle’s outstanding fines once, outside the fleet, and totals them apart', async () => {
    const { accountId, vehicleIds } = await newAccount(['JO:17-1001', 'JO:17-1002']);
    const authority = answering((key) => [
      fine(`JO-${key}`, { amountMinor: key.endsWith('1') ? 5_000n : 7_000n }),
    ]);
    const night = async () => {
      const run = (await start(accountId))!;
      await runAllBatches(accountId, run.id, authority, 1);
      return {
        run,
        summary: (await reconcileRun(test.db, jobs.queue, { accountId, runId: run.id }, settings))!,
      };
    };
    await night();
    await sql`update vehicles set active_until = now() where id = ${vehicleIds[0]!}`.execute(test.ownerDb);
    const changeLines = (runId: bigint) =>
      withTenant(test.db, accountId, (trx) =>
        trx
          .selectFrom('run_changes')
          .select(['ticket_number', 'change'])
          .where('run_id', '=', runId)
          .execute(),
      );
    const first = await night();
    expect(await changeLines(first.run.id)).toEqual([
      { ticket_number: 'JO-JO:17-1001', change: 'outside_fleet' },
    ]);
    expect(first.summary.outstanding).toEqual({ violations: 1, amountMinor: 7_000n });
    expect(first.summary.outsideFleet).toEqual({ violations: 1, amountMinor: 5_000n });
    // The dashboard counts them as the run does: the fleet's outstanding, and the rest apart.
    const dashboard = await withTenant(test.db, accountId, (trx) =>
      accountDashboard(trx, accountId, new Date()),
    );
    expect(dashboard.outstanding).toEqual({ violations: 1, amountMinor: '7000' });
    expect(dashboard.outsideFleet).toEqual({ violations: 1, amountMinor: '5000' });
    for (let i = 0; i < 2; i++) {
      const later = await night();
      expect(await changeLines(later.run.id)).toEqual([]);
      expect(later.summary.changes.map((c) => c.change)).toEqual(['unchanged']);
      expect(later.summary.outsideFleet).toEqual({ violations: 1, amountMinor: 5_000n });
    }
    const kept = await withTenant(test.db, accountId, (trx) =>
      trx
        .selectFrom('violations')
        .select(['state', 'outside_fleet_since_run', 'version'])
        .where('ticket_number', '=', 'JO-JO:17-1001')
        .executeTakeFirstOrThrow(),
    );
    expect(kept).toEqual({ state: 'outstanding', outside_fleet_since_run: first.run.id, version: 1 });
  });

  it('keeps a re-added vehicle’s earlier period: its fines from then are not pre-acquisition', async () => {
    const { accountId, vehicleIds } = await newAccount(['JO:18-1001']);
    const id = vehicleIds[0]!;
    await sql`update vehicles set active_from = '2025-01-01T00:00:00Z', active_until = '2025-06-01T00:00:00Z'
              where id = ${id}`.execute(test.ownerDb);
    await sql`update vehicles set active_from = '2026-01-01T00:00:00Z', active_until = null where id = ${id}`.execute(
      test.ownerDb,
    );
    const run = (await start(accountId))!;
    await runAllBatches(
      accountId,
      run.id,
      answering(() => [
        fine('JO-EARLIER', { offenceAt: '2025-03-01T08:00:00+03:00' }),
        fine('JO-GAP', { offenceAt: '2025-09-01T08:00:00+03:00' }),
        fine('JO-NOW', { offenceAt: '2026-04-01T08:00:00+03:00' }),
      ]),
      1,
    );
    const stored = await withTenant(test.db, accountId, (trx) =>
      trx
        .selectFrom('lookup_violations')
        .select(['ticket_number', 'pre_acquisition'])
        .where('run_id', '=', run.id)
        .orderBy('ticket_number')
        .execute(),
    );
    expect(stored).toEqual([
      { ticket_number: 'JO-EARLIER', pre_acquisition: false },
      { ticket_number: 'JO-GAP', pre_acquisition: true },
      { ticket_number: 'JO-NOW', pre_acquisition: false },
    ]);
  });
});
