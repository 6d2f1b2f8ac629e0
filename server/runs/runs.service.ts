import { sql } from 'kysely';
import { recordRunAlerts } from '../alerts/run-events.service.ts';
import type { AuthorityProvider, PlateLookup } from '../authority/contract.ts';
import type { Database } from '../db/database.ts';
import { withBitmapScans, withoutNestedLoops, withParallelQuery } from '../db/planner.ts';
import { type Tx, withTenant } from '../db/tenant.ts';
import { isUniqueViolation } from '../db/unique-violation.ts';
import { DomainError } from '../errors.ts';
import { closeDecidedSuspicions } from '../exceptions/exceptions.repo.ts';
import { bilingual } from '../i18n/messages.ts';
import { reasonText } from '../i18n/reasons.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import type { JobQueue } from '../queue.ts';
import { hasViolations, lockAccountViolations, totalOutsideFleet } from '../violations/violations.repo.ts';
import { foldBatchAnswers } from './answers.ts';
import {
  completeLookups,
  failedLookups,
  findBatchContext,
  lookupsComplete,
  pendingLookups,
  recordLookupBatch,
} from './lookups.repo.ts';
import { snapshotRunFleet } from './nightly-start.repo.ts';
import { enqueueSnapshottedRun, startNightlyRuns } from './nightly-start.service.ts';
import {
  applyDiff,
  applyFirstNight,
  countHeldSince,
  diffAnswers,
  type GuardSettings,
  insertSuspectException,
} from './reconcile.repo.ts';
import { countRunPlates, insertRunImport } from './run-imports.repo.ts';
import { importedAuthority, type ValidatedImport } from './run-imports.service.ts';
import { followOnPriority, runJobs } from './runs.jobs.ts';
import {
  findActiveRun,
  findWaitingRun,
  finishRun,
  insertRun,
  lockRun,
  markRunStarted,
  type RunKind,
} from './runs.repo.ts';

export interface RunSettings {
  /** Plates per lookup batch job. */
  batchSize: number;
  guard: GuardSettings;
  /** A run still fetching or reconciling this long after it started is ended by the sweep. */
  stuckAfterMinutes: number;
}

/** Finds the authority for an account's jurisdiction. */
export interface AuthorityDirectory {
  forJurisdiction(jurisdiction: JurisdictionCode): AuthorityProvider;
}

const runInProgress = (runId: bigint) =>
  new DomainError('run_in_progress', 'a run is already going for this account; wait for it to finish', {
    status: 409,
    details: { runId: runId.toString() },
  });

/**
 * Starts a run: creates it, snapshots the active fleet and enqueues its lookup batches, all in
 * the caller's transaction. A scheduled run that already exists for the night answers undefined.
 * A scheduled run that meets another run in progress is created `waiting` and starts when that
 * one ends; a manual or import run is refused (409).
 */
export async function startRun(
  trx: Tx,
  queue: JobQueue,
  run: { accountId: bigint; kind: RunKind; localNight: string | null; requestedBy: bigint | null },
  settings: RunSettings,
) {
  const active = await findActiveRun(trx, run.accountId);
  if (active) {
    if (run.kind === 'scheduled') return insertRun(trx, run, 'waiting');
    throw runInProgress(active.id);
  }
  // The partial unique index is the real guard against a concurrent start; a savepoint turns its
  // violation into a clean 409 (or a waiting nightly run) instead of an aborted transaction.
  await sql`savepoint start_run`.execute(trx);
  let created: Awaited<ReturnType<typeof insertRun>>;
  try {
    created = await insertRun(trx, run);
  } catch (error) {
    if ((error as { constraint?: string }).constraint !== 'runs_one_active') throw error;
    await sql`rollback to savepoint start_run`.execute(trx);
    if (run.kind === 'scheduled') return insertRun(trx, run, 'waiting');
    const winner = await findActiveRun(trx, run.accountId);
    throw runInProgress(winner?.id ?? 0n);
  }
  if (!created) return undefined;
  await launchRun(trx, queue, run.accountId, created.id, settings);
  return created;
}

/**
 * Snapshots the active fleet into a run's lookups, as a nightly start does (sql/0140), and enqueues
 * its lookup batches, or its reconciliation with nothing to look up.
 */
async function launchRun(trx: Tx, queue: JobQueue, accountId: bigint, runId: bigint, settings: RunSettings) {
  const snapshot = await snapshotRunFleet(trx, accountId, runId, settings.batchSize);
  await enqueueSnapshottedRun(trx, queue, { accountId, runId, ...snapshot });
}

/** After a run ends: the account's oldest waiting run is started by a job (in the same transaction). */
export async function wakeWaitingRun(trx: Tx, queue: JobQueue, accountId: bigint): Promise<void> {
  const waiting = await findWaitingRun(trx, accountId);
  if (waiting) {
    await queue.send(trx, runJobs.start, [{ accountId: accountId.toString(), runId: waiting.id.toString() }]);
  }
}

/**
 * Starts a waiting run if nothing is in its way any more; answers whether it did. Still blocked,
 * it keeps waiting: the run in its way wakes it when it ends (and the sweep looks again).
 */
export async function startWaitingRun(
  db: Database,
  queue: JobQueue,
  job: { accountId: bigint; runId: bigint },
  settings: RunSettings,
): Promise<boolean> {
  const { accountId, runId } = job;
  return withTenant(db, accountId, async (trx) => {
    const run = await lockRun(trx, accountId, runId);
    if (run?.status !== 'waiting' || (await findActiveRun(trx, accountId))) return false;
    await sql`savepoint start_waiting_run`.execute(trx);
    try {
      await markRunStarted(trx, accountId, runId);
    } catch (error) {
      if ((error as { constraint?: string }).constraint !== 'runs_one_active') throw error;
      await sql`rollback to savepoint start_waiting_run`.execute(trx);
      return false;
    }
    await launchRun(trx, queue, accountId, runId, settings);
    return true;
  });
}

/** Starts one account's scheduled run for the night at `now` (see startNightlyRuns). */
export async function startScheduledRun(
  db: Database,
  queue: JobQueue,
  accountId: bigint,
  now: Date,
  settings: RunSettings,
): Promise<{ id: bigint; status: string } | undefined> {
  const [run] = await startNightlyRuns(db, queue, [accountId], now, settings.batchSize);
  return run && { id: run.run_id, status: run.status };
}

/**
 * Starts a run answered by an imported export (already validated in full), exactly like a manual
 * run, and stores the file with it, all in the caller's transaction. An export that mentions no
 * plate of the fleet is refused (most likely another account's file) and starts nothing.
 */
export async function startImportRun(
  trx: Tx,
  queue: JobQueue,
  run: { accountId: bigint; requestedBy: bigint | null },
  file: ValidatedImport,
  settings: RunSettings,
) {
  const created = await startRun(
    trx,
    queue,
    { accountId: run.accountId, kind: 'import', localNight: null, requestedBy: run.requestedBy },
    settings,
  );
  if (!created) throw new Error('an import run always starts or conflicts');
  await insertRunImport(trx, {
    accountId: run.accountId,
    runId: created.id,
    fileName: file.fileName,
    sha256: file.sha256,
    format: file.format,
    coversAllPlates: file.coversAllPlates,
    content: file.content,
  });
  const platesInFleet = await countRunPlates(trx, run.accountId, created.id, file.plateKeys);
  if (platesInFleet === 0) {
    throw new DomainError(
      'run_import.no_fleet_plates',
      bilingual('exports.import_no_fleet_plates', {
        fileName: file.fileName,
        plates: String(file.plateKeys.length),
      }),
      { status: 422, details: { fileName: file.fileName, plates: file.plateKeys.length } },
    );
  }
  return { run: created, platesInFleet };
}

/**
 * One lookup batch: asks the authority about the batch's still-pending plates (outside any
 * transaction), then marks the lookups and stores the raw answers in one. The batch that lands
 * last moves the run on to reconciliation. A re-delivered batch finds nothing left to mark.
 */
export async function runLookupBatch(
  db: Database,
  queue: JobQueue,
  authorities: AuthorityDirectory,
  job: { accountId: bigint; runId: bigint; batchNo: number },
): Promise<void> {
  const { accountId, runId } = job;
  const prepared = await withTenant(db, accountId, async (trx) => {
    const pending = await pendingLookups(trx, accountId, runId, job.batchNo);
    const context = pending.length > 0 ? await findBatchContext(trx, accountId, runId) : undefined;
    return {
      jurisdiction: context?.jurisdiction as JurisdictionCode,
      pending,
      imported:
        context?.sha256 != null
          ? { sha256: context.sha256, covers_all_plates: context.covers_all_plates === true }
          : undefined,
    };
  });

  let answers = new Map<string, PlateLookup>();
  if (prepared.pending.length > 0) {
    // A run with an imported export is answered by that file, never by the gateway.
    const authority = prepared.imported
      ? await importedAuthority(
          db,
          { accountId, runId, jurisdiction: prepared.jurisdiction },
          prepared.imported,
        )
      : authorities.forJurisdiction(prepared.jurisdiction);
    answers = await authority.queryPlates(prepared.pending.map((p) => p.plate_key));
  }
  const { outcomes, violations } = foldBatchAnswers(
    prepared.pending.map((p) => ({
      vehicleId: p.vehicle_id,
      plateKey: p.plate_key,
      activeFrom: p.vehicle_active_from,
      earlierPeriods: p.earlier_periods,
    })),
    answers,
  );

  let batch = { accountId, runId, batchNo: job.batchNo, outcomes, violations };
  // The commit does not wait for the disk: nothing is lost without. The completion below and
  // pg-boss's completion of the batch's job commit durably after it, which flushes this one first;
  // a crash before that leaves the job to be retried with its lookups pending.
  const record = (storing: 'plain' | 'folding') =>
    withTenant(db, accountId, (trx) => recordLookupBatch(trx, batch, storing), { commit: 'asynchronous' });
  try {
    try {
      await record('plain');
    } catch (error) {
      // A ticket another batch stored for another vehicle: the batch is redone folding it in.
      if (!isUniqueViolation(error)) throw error;
      await record('folding');
    }
  } catch (error) {
    // An answer the database refuses as data would be refused the same way on every retry: the
    // batch's lookups fail with the reason (nothing is concluded from them) and the run goes on.
    if (!isDataError(error)) throw error;
    const reason = reasonText('lookup.not_stored', { detail: (error as Error).message });
    batch = {
      ...batch,
      violations: [],
      outcomes: outcomes.map((o) => ({ ...o, status: 'failed', lastError: reason, answered: null })),
    };
    await record('plain');
  }
  // Also asked by a re-delivered batch that recorded nothing: its first delivery may have stopped
  // right after its commit.
  await reconcileIfLookupsComplete(db, queue, { accountId, runId });
}

/**
 * Sends a run on to reconciliation if its lookups are all recorded. Every writer of a run's batch
 * ledger asks this after its own commit, never inside it: then whichever commits last sees every
 * row, and exactly one asker moves the run on.
 */
export async function reconcileIfLookupsComplete(
  db: Database,
  queue: JobQueue,
  run: { accountId: bigint; runId: bigint },
): Promise<boolean> {
  const { accountId, runId } = run;
  // Asked first on its own: a run is found complete once, after hundreds of batches.
  if (!(await lookupsComplete(db, accountId, runId))) return false;
  return withTenant(db, accountId, async (trx) => {
    const complete = await completeLookups(trx, accountId, runId);
    if (!complete) return false;
    await queue.send(
      trx,
      runJobs.reconcile,
      [{ accountId: accountId.toString(), runId: runId.toString() }],
      [followOnPriority(complete.fetchedAt, complete.vehicles)],
    );
    return true;
  });
}

/** A database refusal of the data itself (class 22, or a broken constraint other than a duplicate key). */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || (code.startsWith('23') && code !== '23505'));
}

export interface RunSummary {
  changes: Array<{ change: string; violations: number; amountMinor: bigint; held: number }>;
  /** Outstanding on the fleet's vehicles (held settlements included). */
  outstanding: { violations: number; amountMinor: bigint };
  /** Outstanding on vehicles that left the fleet: concluded once, counted apart. */
  outsideFleet: { violations: number; amountMinor: bigint };
  failedVehicles: Array<{ vehicleId: bigint; plateKey: string; attempts: number; reason: string }>;
  heldSettlements: number;
  /** Suspect-settlement exceptions this run closed (nothing of theirs held any more), with why. */
  suspicionsClosed: Array<{
    exceptionId: bigint;
    resolution: string;
    settled: number;
    keptOutstanding: number;
  }>;
  /** How long the set-based reconciliation took, for operators and the benchmark. */
  reconcileMs: number;
}

/**
 * Reconciles a run whose lookups have all landed, set-based, in one transaction: one statement
 * works out the diff (in parallel where the server can), one writes the change lines, the new
 * state and versions from it and answers the totals per change, from which the summary is made.
 * Runs once: a second delivery finds the run no longer `reconciling`.
 */
export async function reconcileRun(
  db: Database,
  queue: JobQueue,
  job: { accountId: bigint; runId: bigint },
  settings: RunSettings,
  /**
   * The next stage, started in the same transaction (so it exists exactly when the run is
   * reconciled); `vehicles` is the run's size (its lookups).
   */
  next?: (trx: Tx, run: { vehicles: number }) => Promise<void>,
): Promise<RunSummary | undefined> {
  const { accountId, runId } = job;
  return withTenant(db, accountId, async (trx) => {
    const run = await lockRun(trx, accountId, runId);
    if (run?.status !== 'reconciling') return undefined;
    await lockAccountViolations(trx, accountId);
    const started = performance.now();
    const totals = (await hasViolations(trx, accountId))
      ? await withoutNestedLoops(trx, () =>
          withBitmapScans(trx, async () => {
            await withParallelQuery(trx, () => diffAnswers(trx, accountId, runId));
            return applyDiff(trx, accountId, runId, settings.guard);
          }),
        )
      : await applyFirstNight(trx, accountId, runId);
    const closed = await closeDecidedSuspicions(trx, accountId, runId);
    const outsideFleet = await totalOutsideFleet(trx, accountId);
    // The run's counters say whether any lookup failed; only then are they looked for.
    const anyFailed = run.lookups_failed > 0 || run.lookups_done < run.lookups_total;
    const failed = anyFailed ? await failedLookups(trx, accountId, runId) : [];
    const summary: RunSummary = {
      changes: totals.map((c) => ({
        change: c.change,
        violations: c.violations,
        amountMinor: c.amount_minor,
        held: c.held,
      })),
      outstanding: {
        violations: totals.reduce((sum, c) => sum + c.outstanding, 0),
        amountMinor: totals.reduce((sum, c) => sum + c.outstanding_minor, 0n),
      },
      outsideFleet: { violations: outsideFleet.violations, amountMinor: outsideFleet.amount_minor },
      failedVehicles: failed.map((f) => ({
        vehicleId: f.vehicle_id,
        plateKey: f.plate_key,
        attempts: f.attempts,
        reason: f.last_error ?? reasonText('lookup.not_answered'),
      })),
      heldSettlements: totals.reduce((sum, c) => sum + c.held, 0),
      suspicionsClosed: closed,
      reconcileMs: Math.round(performance.now() - started),
    };
    // Settlements first held tonight open tonight's exception; those held since earlier nights stay under theirs.
    const newlyHeld = summary.heldSettlements > 0 ? await countHeldSince(trx, accountId, runId) : 0;
    if (newlyHeld > 0) {
      await insertSuspectException(trx, accountId, runId, {
        heldSettlements: newlyHeld,
        reason:
          'an unusual share of outstanding violations disappeared at once; held until a later run or a person confirms',
      });
    }
    await finishRun(trx, accountId, runId, { status: failed.length > 0 ? 'partial' : 'done', summary });
    await wakeWaitingRun(trx, queue, accountId);
    // Its alerts go into the outbox with its results: written exactly when the run is.
    await recordRunAlerts(trx, queue, accountId, runId);
    // The run's next stage (its payment numbers, then its statements), given by the caller.
    await next?.(trx, { vehicles: run.lookups_total });
    return summary;
  });
}
