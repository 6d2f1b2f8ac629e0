import { sql } from 'kysely';
import type { Tx } from '../db/tenant.ts';

export interface StartedNightlyRun {
  account_id: bigint;
  run_id: bigint;
  status: 'waiting' | 'fetching' | 'reconciling';
  vehicles: number;
  batches: number;
}

/**
 * Creates tonight's scheduled run of each account (each behind its own tenant, in one round trip:
 * sql/0080) and snapshots the fleets of those that start; answers the runs created.
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
