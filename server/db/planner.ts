import { sql } from 'kysely';
import type { Executor } from './tenant.ts';

/**
 * Runs fleet-sized bulk statements with nested loops priced out. Right after a bulk load the
 * planner's statistics still say the tables are tiny, and a nested loop over a sequential scan of
 * a table that is in fact large is quadratic (minutes for 50,000 rows); hash joins are linear
 * whatever the statistics say. Pricing a path out adds a huge constant to the plan's cost, which
 * on a server built with JIT would make it compile every such statement, so JIT is off meanwhile.
 * The settings are transaction-local and restored afterwards.
 */
export async function withoutNestedLoops<T>(trx: Executor, work: () => Promise<T>): Promise<T> {
  const { rows } = await sql<{ jit: string }>`
    select current_setting('jit') as jit, set_config('jit', 'off', true),
           set_config('enable_nestloop', 'off', true), set_config('work_mem', '64MB', true)`.execute(trx);
  const result = await work();
  await sql`select set_config('enable_nestloop', 'on', true), set_config('jit', ${rows[0]!.jit}, true)`.execute(
    trx,
  );
  return result;
}

/**
 * Runs statements that read one run's (or one account's) rows out of tables keeping every night
 * and every tenant with bitmap scans only. Once a table holds many nights, fresh statistics make a
 * whole-table sequential scan look cheaper than the run's own range of the key, and the nightly
 * read would grow with the history; a bitmap scan reads just that range, in heap order.
 * JIT is off meanwhile, as in withoutNestedLoops (seconds of compiling for a plan that runs in
 * milliseconds). Transaction-local, and restored afterwards.
 */
export async function withBitmapScans<T>(trx: Executor, work: () => Promise<T>): Promise<T> {
  const { rows } = await sql<{ jit: string }>`
    select current_setting('jit') as jit, set_config('jit', 'off', true),
           set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)`.execute(
    trx,
  );
  const result = await work();
  await sql`select set_config('enable_seqscan', 'on', true), set_config('enable_indexscan', 'on', true),
                   set_config('jit', ${rows[0]!.jit}, true)`.execute(trx);
  return result;
}
