import { sql } from 'kysely';
import type { Executor } from './tenant.ts';

/**
 * Runs `work` with planner settings changed for the transaction, and puts back what they were.
 * Pricing a path out adds a huge constant to a plan's cost, which on a server built with JIT would
 * make it compile every such statement (seconds, for a plan that runs in milliseconds), so JIT is
 * always off meanwhile.
 */
async function withPlannerSettings<T>(
  trx: Executor,
  settings: Record<string, string>,
  work: () => Promise<T>,
): Promise<T> {
  const changed = { jit: 'off', ...settings };
  const names = Object.keys(changed);
  const { rows } = await sql<{ name: string; previous: string }>`
    select s.name, current_setting(s.name) as previous, set_config(s.name, s.value, true)
    from unnest(${names}::text[], ${Object.values(changed)}::text[]) as s(name, value)`.execute(trx);
  const result = await work();
  await sql`
    select set_config(s.name, s.value, true)
    from unnest(${rows.map((r) => r.name)}::text[], ${rows.map((r) => r.previous)}::text[]) as s(name, value)`.execute(
    trx,
  );
  return result;
}

/**
 * Runs fleet-sized bulk statements with nested loops priced out. Right after a bulk load the
 * planner's statistics still say the tables are tiny, and a nested loop over a sequential scan of
 * a table that is in fact large is quadratic (minutes for 50,000 rows); hash joins are linear
 * whatever the statistics say.
 */
export function withoutNestedLoops<T>(trx: Executor, work: () => Promise<T>): Promise<T> {
  return withPlannerSettings(trx, { enable_nestloop: 'off', work_mem: '64MB' }, work);
}

/**
 * Runs statements that read one run's (or one account's) rows out of tables keeping every night
 * and every tenant with bitmap scans only. Once a table holds many nights, fresh statistics make a
 * whole-table sequential scan look cheaper than the run's own range of the key, and the nightly
 * read would grow with the history; a bitmap scan reads just that range, in heap order.
 */
export function withBitmapScans<T>(trx: Executor, work: () => Promise<T>): Promise<T> {
  return withPlannerSettings(trx, { enable_seqscan: 'off', enable_indexscan: 'off' }, work);
}

/**
 * Runs statements that may use parallel workers even when the planner's statistics still say the
 * tables are tiny (right after a night's bulk writes): the workers' start-up and hand-over are not
 * priced, so any scan big enough to split is split. Only statements that write nothing of ours
 * (a select, or filling a new table) can run in parallel at all.
 */
export function withParallelQuery<T>(trx: Executor, work: () => Promise<T>): Promise<T> {
  return withPlannerSettings(
    trx,
    { parallel_setup_cost: '0', parallel_tuple_cost: '0', min_parallel_table_scan_size: '0' },
    work,
  );
}
