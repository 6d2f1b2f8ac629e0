import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Tx } from '../db/tenant.ts';

/** A run just snapshotted: `fetching` with its batches to look up, or `reconciling` with nothing to. */
export interface RunSnapshot {
  status: 'fetching' | 'reconciling';
  vehicles: number;
  batches: number;
}

export interface StartedNightlyRun {
  account_id: bigint;
  run_id: bigint;
  status: 'waiting' | 'fetching' | 'reconciling';
  vehicles: number;
  batches: number;
}

/**
 * Snapshots the account's active fleet into the run's lookups and records the run's size (a run
 * with nothing to look up goes on to reconciling): sql/0140, the one snapshot every start takes.
 */
export async function snapshotRunFleet(
  trx: Tx,
  accountId: bigint,
  runId: bigint,
  batchSize: number,
): Promise<RunSnapshot> {
  const { rows } = await sql<RunSnapshot>`
    select status, vehicles, batches from snapshot_run_fleet(${accountId}, ${runId}, ${batchSize})`.execute(
    trx,
  );
  return rows[0]!;
}

/**
 * Creates tonight's scheduled run of each account (each behind its own tenant, in one round trip:
 * sql/0080, sql/0140) and snapshots the fleets of those that start; answers the runs created.
 */
export async function startNightlyRunRows(
  trx: Tx,
  accountIds: bigint[],
  at: Date,
  batchSize: number,
): Promise<StartedNightlyRun[]> {
  const { rows } = await sql<StartedNightlyRun>`
    select account_id, run_id, status, vehicles, batches
    from start_nightly_runs(${accountIds.map(String)}::bigint[], ${at}, ${batchSize})`.execute(trx);
  return rows;
}

/**
 * Active accounts whose nightly time fell due in (at - lookbackSeconds, at] in their own zone and
 * whose run for that night does not exist yet, with the instant each fell due (sql/0140).
 */
export async function dueNightlyRuns(
  db: Database,
  at: Date,
  lookbackSeconds: number,
): Promise<Array<{ account_id: bigint; due_at: Date }>> {
  const { rows } = await sql<{ account_id: bigint; due_at: Date }>`
    select account_id, due_at
    from due_nightly_runs(${at}, make_interval(secs => ${lookbackSeconds}))`.execute(db);
  return rows;
}
