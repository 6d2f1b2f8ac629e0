import { recordRunAlerts } from '../alerts/run-events.service.ts';
import type { Database } from '../db/database.ts';
import { type Tx, withTenant } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { reasonText } from '../i18n/reasons.ts';
import { resumeLostPaymentStage } from '../payments/payment-stage.service.ts';
import type { JobQueue } from '../queue.ts';
import { settleFetchingCounters } from './lookups.repo.ts';
import { missedNightlyRuns } from './missed-nights.repo.ts';
import { startNightlyRuns } from './nightly-start.service.ts';
import { failPendingLookups, markRunFailed, runsToSweep } from './run-ending.repo.ts';
import { recordRunEnded } from './run-metrics.service.ts';
import { lockRun } from './runs.repo.ts';
import {
  type RunSettings,
  reconcileIfLookupsComplete,
  startWaitingRun,
  wakeWaitingRun,
} from './runs.service.ts';

/** The scheduler's own lag (a pass every 30 s, then a forward): a night is missed only after this. */
const MISSED_NIGHT_GRACE_SECONDS = 120;

/**
 * How runs end when they cannot finish on their own: an owner's abort, a job out of retries (its
 * dead letter), and the sweep of runs stuck past the limit. Every path leaves the account free to
 * run again and wakes the nightly run waiting behind the one that ended.
 */

const ENDED = ['done', 'partial', 'failed'];

/** Ends a run that cannot finish as `failed` and wakes the run waiting behind it. */
async function endRunFailed(trx: Tx, queue: JobQueue, accountId: bigint, runId: bigint, error: string) {
  await failPendingLookups(trx, accountId, runId, error);
  await settleFetchingCounters(trx, accountId, runId);
  await markRunFailed(trx, accountId, runId, error);
  await wakeWaitingRun(trx, queue, accountId);
  await recordRunAlerts(trx, queue, accountId, runId);
}

/**
 * An owner aborts a run that has not ended: its pending lookups fail and it ends `failed`; a run
 * being reconciled is waited for (its row lock) and then found ended. Nothing it concluded is undone.
 */
export async function abortRun(trx: Tx, queue: JobQueue, accountId: bigint, runId: bigint) {
  const run = await lockRun(trx, accountId, runId);
  if (!run) throw new DomainError('run_not_found', 'no such run in this account', { status: 404 });
  if (ENDED.includes(run.status)) {
    throw new DomainError(
      'run_ended',
      `this run has already ended (${run.status}); there is nothing to abort`,
      {
        status: 409,
        details: { status: run.status },
      },
    );
  }
  await endRunFailed(trx, queue, accountId, runId, reasonText('run.aborted'));
  return { previousStatus: run.status };
}

/**
 * A lookup batch job that ran out of retries (its dead letter): the batch's lookups still pending
 * fail with the reason, so the run goes on to reconcile what did land (and ends `partial`).
 */
export async function giveUpLookupBatch(
  db: Database,
  queue: JobQueue,
  job: { accountId: bigint; runId: bigint; batchNo: number },
  reason: string,
): Promise<number> {
  const { accountId, runId } = job;
  const failed = await withTenant(db, accountId, async (trx) => {
    const run = await lockRun(trx, accountId, runId);
    if (run?.status !== 'fetching') return undefined;
    return failPendingLookups(trx, accountId, runId, reason, job.batchNo);
  });
  if (failed === undefined) return 0;
  await reconcileIfLookupsComplete(db, queue, { accountId, runId });
  return failed;
}

/** A reconciliation job that ran out of retries (its dead letter): the run ends `failed`. */
export async function giveUpReconciliation(
  db: Database,
  queue: JobQueue,
  job: { accountId: bigint; runId: bigint },
  reason: string,
): Promise<boolean> {
  const { accountId, runId } = job;
  return withTenant(db, accountId, async (trx) => {
    const run = await lockRun(trx, accountId, runId);
    if (run?.status !== 'reconciling') return false;
    await endRunFailed(trx, queue, accountId, runId, reason);
    return true;
  });
}

/**
 * Ends what nothing else will: a run still fetching past the limit has its pending lookups failed
 * and goes on to reconcile what landed; one still reconciling past it ends `failed`; one still
 * issuing past it (its payment stage lost) ends as reconciliation decided and its stage is sent
 * again; a waiting run with nothing in its way is started; a nightly run that fell due today and
 * was never started (the scheduler lost it) is started now. Answers what it did, per run.
 */
export async function sweepRuns(db: Database, queue: JobQueue, settings: RunSettings, now = new Date()) {
  const swept: Array<{ accountId: bigint; runId: bigint; action: string }> = [];
  // Nights the scheduler lost (a failed forward of its job) start late rather than never.
  const missed = await missedNightlyRuns(db, now, MISSED_NIGHT_GRACE_SECONDS);
  for (const run of await startNightlyRuns(db, queue, missed, now, settings.batchSize)) {
    swept.push({ accountId: run.account_id, runId: run.run_id, action: 'missed_night_started' });
  }
  for (const found of await runsToSweep(db, settings.stuckAfterMinutes)) {
    const { account_id: accountId, run_id: runId } = found;
    if (found.status === 'waiting') {
      if (await startWaitingRun(db, queue, { accountId, runId }, settings))
        swept.push({ accountId, runId, action: 'started' });
      continue;
    }
    const action = await withTenant(db, accountId, async (trx) => {
      const run = await lockRun(trx, accountId, runId);
      const minutes = settings.stuckAfterMinutes;
      if (run?.status === 'fetching') {
        await failPendingLookups(
          trx,
          accountId,
          runId,
          reasonText('lookup.not_answered_in_time', { minutes }),
        );
        return 'lookups_failed';
      }
      if (run?.status === 'reconciling') {
        await endRunFailed(trx, queue, accountId, runId, reasonText('run.not_reconciled', { minutes }));
        return 'failed';
      }
      if (run?.status === 'issuing' && (await resumeLostPaymentStage(trx, queue, accountId, runId)))
        return 'payment_stage_resent';
      return undefined;
    });
    if (action === 'lookups_failed') await reconcileIfLookupsComplete(db, queue, { accountId, runId });
    if (action === 'payment_stage_resent') await recordRunEnded(db, { accountId, runId });
    if (action) swept.push({ accountId, runId, action });
  }
  return swept;
}
