import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withBitmapScans, withoutNestedLoops } from '../../server/db/planner.ts';
import { useTestDatabase } from '../support/database.ts';

const test = useTestDatabase();

const settings = (trx: Parameters<typeof withoutNestedLoops>[0]) =>
  sql<{ jit: string; nestloop: string; seqscan: string; indexscan: string }>`
    select current_setting('jit') as jit, current_setting('enable_nestloop') as nestloop,
           current_setting('enable_seqscan') as seqscan, current_setting('enable_indexscan') as indexscan`
    .execute(trx)
    .then((r) => r.rows[0]!);

describe('bulk statement planner settings', () => {
  it('price out nested loops and plain scans with JIT off, and restore everything afterwards', async () => {
    await test.db.transaction().execute(async (trx) => {
      await sql`select set_config('jit', 'on', true)`.execute(trx);
      const inside = await withoutNestedLoops(trx, () => withBitmapScans(trx, () => settings(trx)));
      expect(inside).toEqual({ jit: 'off', nestloop: 'off', seqscan: 'off', indexscan: 'off' });
      expect(await settings(trx)).toEqual({ jit: 'on', nestloop: 'on', seqscan: 'on', indexscan: 'on' });
    });
  });
});
