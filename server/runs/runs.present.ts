import { findAccount } from '../accounts/accounts.repo.ts';
import type { Tx } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import type { ReceivedUpload } from '../fleet/upload-receive.ts';
import { reasonAr } from '../i18n/reasons.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import type { JobQueue } from '../queue.ts';
import { listRunVehicles } from './lookups.repo.ts';
import { findRunImportMeta } from './run-imports.repo.ts';
import { type ValidatedImport, validateRunImport } from './run-imports.service.ts';
import { findRun, listRunChanges, listRuns, type runColumns, totalRunChangesByVehicle } from './runs.repo.ts';
import { type RunSettings, startImportRun, startRun } from './runs.service.ts';

type RunRow = { [K in (typeof runColumns)[number]]: unknown } & {
  id: bigint;
  status: string;
  lookups_total: number;
  lookups_done: number;
  lookups_failed: number;
};

const STAGES = ['fetching', 'reconciling', 'issuing', 'rendering'] as const;

/** A run as the API shows it: stage and progress per stage (done/total). */
export function presentRun(row: RunRow) {
  const finished = ['done', 'partial', 'failed'].includes(row.status);
  const stageIndex = finished ? STAGES.length : STAGES.indexOf(row.status as (typeof STAGES)[number]);
  return {
    id: row.id.toString(),
    kind: row.kind as string,
    localNight: row.local_night as string | null,
    status: row.status,
    progress: {
      fetching: { done: row.lookups_done, total: row.lookups_total, failed: row.lookups_failed },
      reconciling: { done: stageIndex > 1 ? 1 : 0, total: 1 },
    },
    createdAt: row.created_at as Date,
    snapshottedAt: row.snapshotted_at as Date | null,
    fetchedAt: row.fetched_at as Date | null,
    reconciledAt: row.reconciled_at as Date | null,
    finishedAt: row.finished_at as Date | null,
    summary: presentSummary(row.summary),
    error: row.error as string | null,
    errorAr: reasonAr('run', row.error as string | null),
  };
}

type StoredSummary = { failedVehicles?: Array<{ reason: string }> } & Record<string, unknown>;

/** The stored summary, each failed vehicle's reason beside it in Arabic. */
function presentSummary(summary: unknown) {
  if (!summary) return null;
  const stored = summary as StoredSummary;
  return {
    ...stored,
    failedVehicles: (stored.failedVehicles ?? []).map((f) => ({
      ...f,
      reasonAr: reasonAr('lookup', f.reason),
    })),
  };
}

const runNotFound = () => new DomainError('run_not_found', 'no such run in this account', { status: 404 });

export async function startManualRun(
  trx: Tx,
  queue: JobQueue,
  accountId: bigint,
  requestedBy: bigint | null,
  settings: RunSettings,
) {
  const run = await startRun(
    trx,
    queue,
    { accountId, kind: 'manual', localNight: null, requestedBy },
    settings,
  );
  if (!run) throw new Error('a manual run always starts or conflicts');
  return presentRun((await findRun(trx, accountId, run.id)) as RunRow);
}

/**
 * Imports an authority export as a run's answer: validates the whole file first (outside any
 * transaction: nothing is written for a refused file), then starts the run and stores the file
 * in one transaction. Answers the run and what was imported.
 */
export async function importRun(
  tenant: <T>(work: (trx: Tx) => Promise<T>) => Promise<T>,
  queue: JobQueue,
  accountId: bigint,
  requestedBy: bigint | null,
  received: ReceivedUpload,
  coversAllPlates: boolean,
  settings: RunSettings,
) {
  const account = await tenant((trx) => findAccount(trx, accountId));
  if (!account) throw new Error(`account ${accountId} vanished`);
  const file = await validateRunImport(received, account.jurisdiction as JurisdictionCode, coversAllPlates);
  return tenant((trx) => startImportedRun(trx, queue, accountId, requestedBy, file, settings));
}

async function startImportedRun(
  trx: Tx,
  queue: JobQueue,
  accountId: bigint,
  requestedBy: bigint | null,
  file: ValidatedImport,
  settings: RunSettings,
) {
  const { run, platesInFleet } = await startImportRun(trx, queue, { accountId, requestedBy }, file, settings);
  return {
    ...presentRun((await findRun(trx, accountId, run.id)) as RunRow),
    import: {
      fileName: file.fileName,
      format: file.format,
      sha256: file.sha256,
      coversAllPlates: file.coversAllPlates,
      rows: file.rows,
      plates: file.plateKeys.length,
      platesInFleet,
    },
  };
}

/** One run; an import run also says which file answered it. */
export async function getRun(trx: Tx, accountId: bigint, runId: bigint) {
  const row = await findRun(trx, accountId, runId);
  if (!row) throw runNotFound();
  const run = presentRun(row as RunRow);
  if (run.kind !== 'import') return run;
  const imported = await findRunImportMeta(trx, accountId, runId);
  return {
    ...run,
    import: imported
      ? {
          fileName: imported.file_name,
          format: imported.format,
          sha256: imported.sha256,
          coversAllPlates: imported.covers_all_plates,
          importedAt: imported.created_at,
        }
      : null,
  };
}

export async function listAccountRuns(
  trx: Tx,
  accountId: bigint,
  options: { limit: number; before?: bigint },
) {
  return (await listRuns(trx, accountId, options)).map((r) => presentRun(r as RunRow));
}

export async function listChanges(
  trx: Tx,
  accountId: bigint,
  runId: bigint,
  filter: { change?: string; vehicleId?: bigint; after?: string; limit: number },
) {
  if (!(await findRun(trx, accountId, runId))) throw runNotFound();
  const rows = await listRunChanges(trx, accountId, runId, filter);
  return {
    changes: rows.map((c) => ({
      ticketNumber: c.ticket_number,
      vehicleId: c.vehicle_id.toString(),
      plateKey: c.plate_key,
      previousVehicleId: c.previous_vehicle_id?.toString() ?? null,
      change: c.change,
      held: c.held,
      previousAmountMinor: c.previous_amount_minor?.toString() ?? null,
      amountMinor: c.amount_minor.toString(),
      preAcquisition: c.pre_acquisition,
    })),
    nextCursor: rows.length === filter.limit ? rows.at(-1)!.ticket_number : null,
  };
}

/**
 * The run per vehicle: each vehicle's lookup (status, attempts, why it failed), what the authority
 * answered for it (violations listed, outstanding and their amount, as answered) and the run's
 * change lines on it totalled per change. Paged by vehicle id with `after`.
 */
export async function listVehicleSummaries(
  trx: Tx,
  accountId: bigint,
  runId: bigint,
  filter: { status?: string; after?: bigint; limit: number },
) {
  if (!(await findRun(trx, accountId, runId))) throw runNotFound();
  const lookups = await listRunVehicles(trx, accountId, runId, filter);
  const totals = await totalRunChangesByVehicle(
    trx,
    accountId,
    runId,
    lookups.map((l) => l.vehicle_id),
  );
  return {
    vehicles: lookups.map((l) => ({
      vehicleId: l.vehicle_id.toString(),
      plateKey: l.plate_key,
      lookup: {
        status: l.status,
        attempts: l.attempts,
        lastError: l.last_error,
        lastErrorAr: reasonAr('lookup', l.last_error),
        answeredAt: l.answered_at,
      },
      answered:
        l.answered_violations === null
          ? null
          : {
              violations: l.answered_violations,
              outstanding: l.answered_outstanding,
              outstandingMinor: l.answered_outstanding_minor?.toString() ?? '0',
            },
      changes: totals
        .filter((t) => t.vehicle_id === l.vehicle_id)
        .map((t) => ({
          change: t.change,
          violations: t.violations,
          amountMinor: t.amount_minor.toString(),
          held: t.held,
        })),
    })),
    nextCursor: lookups.length === filter.limit ? lookups.at(-1)!.vehicle_id.toString() : null,
  };
}
