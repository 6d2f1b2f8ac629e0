import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withBitmapScans, withoutNestedLoops, withParallelQuery } from '../../server/db/planner.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';

const test = useTestDatabase();

const settings = (trx: Parameters<typeof withoutNestedLoops>[0]) =>
  sql<{ jit: string; nestloop: string; seqscan: string; indexscan: string; setup: string }>`
    select current_setting('jit') as jit, current_setting('enable_nestloop') as nestloop,
           current_setting('enable_seqscan') as seqscan, current_setting('enable_indexscan') as indexscan,
           current_setting('parallel_setup_cost') as setup`
    .execute(trx)
    .then((r) => r.rows[0]!);

describe('bulk statement planner settings', () => {
  it('price out nested loops and plain scans, price in parallel workers, with JIT off, and restore everything afterwards', async () => {
    await test.db.transaction().execute(async (trx) => {
      await sql`select set_config('jit', 'on', true)`.execute(trx);
      const inside = await withoutNestedLoops(trx, () =>
        withBitmapScans(trx, () => withParallelQuery(trx, () => settings(trx))),
      );
      expect(inside).toEqual({ jit: 'off', nestloop: 'off', seqscan: 'off', indexscan: 'off', setup: '0' });
      expect(await settings(trx)).toEqual({
        jit: 'on',
        nestloop: 'on',
        seqscan: 'on',
        indexscan: 'on',
        setup: '1000',
      });
    });
  });

  it('let a tenant read run in a parallel worker, where row-level security still holds', async () => {
    const accounts = [await makeAccount(test.db), await makeAccount(test.db)];
    for (const account of accounts) {
      const plates = Array.from({ length: 2000 }, (_, n) => `JO:${account.id}-${n}`);
      await makeVehicles(test.db, account.id, plates);
    }
    const ids = accounts.map((a) => a.id.toString());
    // Read by a parallel scan of the whole table, workers' costs waived as for the reconciliation's diff.
    const { plan, seen } = await withTenant(test.db, accounts[0]!.id, (trx) =>
      withParallelQuery(trx, async () => {
        await sql`select set_config('enable_indexscan', 'off', true), set_config('enable_indexonlyscan', 'off', true),
                         set_config('enable_bitmapscan', 'off', true)`.execute(trx);
        // Asked for both accounts' vehicles: the policy, checked in the workers, shows only the tenant's.
        const both = sql`select count(*)::int as seen from vehicles where account_id = any (${ids}::bigint[])`;
        const explained = await sql<{ 'QUERY PLAN': unknown }>`explain (format json) ${both}`.execute(trx);
        const counted = await sql<{ seen: number }>`${both}`.execute(trx);
        return { plan: JSON.stringify(explained.rows[0]!['QUERY PLAN']), seen: counted.rows[0]!.seen };
      }),
    );
    expect(plan).toMatch(/"Workers Planned":\s*[1-9]/);
    expect(seen).toBe(2000);
  });
});
