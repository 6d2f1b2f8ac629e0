import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

/** Run id ranges made ready beyond tonight's, so runs never meet a missing partition. */
const RANGES_AHEAD = 2;

/**
 * Starts a new night of per-night partitions: runs created from now take their ids from a fresh
 * range (sql/0050). Rerunnable: with no run in the current range yet, nothing moves.
 */
export async function openRunNight(db: Executor, at: Date): Promise<{ lo: bigint; hi: bigint }> {
  const { rows } = await sql<{ lo: string; hi: string }>`
    select lo::text, hi::text from open_run_night(${RANGES_AHEAD}::int, ${at})`.execute(db);
  return { lo: BigInt(rows[0]!.lo), hi: BigInt(rows[0]!.hi) };
}

export interface PartitionOutcome {
  tableName: string;
  partitionName: string;
  /** The run ids it holds: from `lo` (inclusive) to `hi` (exclusive). */
  lo: bigint;
  hi: bigint;
  closedAt: Date;
  bytes: number;
  /** `dropped`, or why it was kept past its table's retention. */
  outcome: string;
}

/** Drops the partitions past their table's retention at `at` that no kept document needs (sql/0050). */
export async function dropExpiredNightPartitions(
  db: Executor,
  retainDays: Record<
    'lookups' | 'lookup_batches' | 'lookup_violations' | 'run_changes' | 'run_imports',
    number
  >,
  at: Date,
): Promise<PartitionOutcome[]> {
  const { rows } = await sql<{
    table_name: string;
    partition_name: string;
    lo: string;
    hi: string;
    closed_at: Date;
    bytes: string;
    outcome: string;
  }>`
    select table_name, partition_name, lo::text, hi::text, closed_at, bytes::text, outcome
    from drop_expired_night_partitions(${JSON.stringify(retainDays)}::jsonb, ${at})`.execute(db);
  return rows.map((r) => ({
    tableName: r.table_name,
    partitionName: r.partition_name,
    lo: BigInt(r.lo),
    hi: BigInt(r.hi),
    closedAt: r.closed_at,
    bytes: Number(r.bytes),
    outcome: r.outcome,
  }));
}

/** Deletes the staged rows of uploads applied or refused before `before` (sql/0081); answers how many. */
export async function pruneDecidedUploadRows(db: Executor, before: Date): Promise<number> {
  const { rows } = await sql<{ deleted: string }>`
    select prune_decided_upload_rows(${before})::text as deleted`.execute(db);
  return Number(rows[0]!.deleted);
}

/** Deletes the platform audit log's throttled sign-ins from before `before` (sql/0081); answers how many. */
export async function pruneThrottledSignIns(db: Executor, before: Date): Promise<number> {
  const { rows } = await sql<{ deleted: string }>`
    select prune_throttled_sign_ins(${before})::text as deleted`.execute(db);
  return Number(rows[0]!.deleted);
}
