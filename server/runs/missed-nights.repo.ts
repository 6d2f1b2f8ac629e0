import { sql } from 'kysely';
import type { Database } from '../db/database.ts';

/**
 * Active accounts whose nightly run fell due today in their own zone, at least `graceSeconds`
 * before `at`, and was never started (the scheduler lost it); across every account.
 */
export async function missedNightlyRuns(db: Database, at: Date, graceSeconds: number): Promise<bigint[]> {
  const { rows } = await sql<{ account_id: bigint }>`
    select account_id from missed_nightly_runs(${at}, make_interval(secs => ${graceSeconds}))`.execute(db);
  return rows.map((r) => r.account_id);
}
