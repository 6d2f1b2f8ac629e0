/**
 * Plans as the planner makes them right after a night's bulk writes, before autovacuum has
 * analyzed anything: statistics deleted and row counts unknown, in a transaction that is rolled
 * back. Each statement's plan is taken from auto_explain, so a service's statements are checked
 * as the service runs them (with its planner settings), without timing anything.
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { DB } from '../../server/db/schema.ts';
import type { Tx } from '../../server/db/tenant.ts';

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  'Join Filter'?: string;
  'Parent Relationship'?: string;
  Plans?: PlanNode[];
}

export interface ExplainedStatement {
  query: string;
  plan: PlanNode;
}

/**
 * Runs `work` as the account (on the owner's login, which may drop statistics and load
 * auto_explain) with the tables' statistics gone, and answers the plan of every statement it ran.
 */
export async function plansWithoutStatistics(
  ownerUrl: string,
  accountId: bigint,
  work: (trx: Tx) => Promise<unknown>,
): Promise<ExplainedStatement[]> {
  const explained: ExplainedStatement[] = [];
  const pool = new pg.Pool({ connectionString: ownerUrl, max: 1 });
  pool.on('connect', (client) => {
    client.on('notice', (notice) => {
      const found = /plan:\s*(\{[\s\S]*\})\s*$/.exec(notice.message ?? '');
      if (!found) return;
      const logged = JSON.parse(found[1]!) as { 'Query Text': string; Plan: PlanNode };
      explained.push({ query: logged['Query Text'], plan: logged.Plan });
    });
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const rolledBack = new Error('rolled back');
  try {
    await db.transaction().execute(async (trx) => {
      await sql`delete from pg_statistic
                where starelid in (select oid from pg_class where relnamespace = 'public'::regnamespace)`.execute(
        trx,
      );
      await sql`update pg_class set reltuples = -1, relpages = 0
                where relnamespace = 'public'::regnamespace and relkind in ('r', 'p', 'i')`.execute(trx);
      await sql`load 'auto_explain'`.execute(trx);
      await sql`select set_config('auto_explain.log_min_duration', '0', true),
                       set_config('auto_explain.log_format', 'json', true),
                       set_config('auto_explain.log_level', 'notice', true),
                       set_config('app.account_id', ${accountId.toString()}, true)`.execute(trx);
      await work(trx);
      throw rolledBack;
    });
  } catch (error) {
    if (error !== rolledBack) throw error;
  } finally {
    await db.destroy();
  }
  return explained;
}

/**
 * The nested loops that read a whole set once per outer row: a sequential scan on the inner
 * side, or an equality join checked as a filter on every pair (the inner side not looked up by
 * the outer row's key). Index nested loops, one lookup per outer row, are not listed.
 */
export function wholeSetLoops(plan: PlanNode): string[] {
  const found: string[] = [];
  const walk = (node: PlanNode) => {
    const [outer, inner] = node.Plans ?? [];
    if (node['Node Type'] === 'Nested Loop' && outer && inner) {
      const seqScans = scansOf(inner).filter((s) => s['Node Type'] === 'Seq Scan');
      const pairFilter = /\w+\.\w+ = \w+\.\w+/.test(node['Join Filter'] ?? '');
      if (seqScans.length > 0 || pairFilter) {
        found.push(
          `Nested Loop over ${scansOf(inner)
            .map((s) => `${s['Node Type']} on ${s['Relation Name']}`)
            .join(', ')}${pairFilter ? ` with Join Filter ${node['Join Filter']}` : ''}`,
        );
      }
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan);
  return found;
}

function scansOf(node: PlanNode): PlanNode[] {
  const own = node['Relation Name'] ? [node] : [];
  return [...own, ...(node.Plans ?? []).flatMap(scansOf)];
}
