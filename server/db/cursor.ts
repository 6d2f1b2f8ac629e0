/**
 * A big read in pages through a server-side cursor, inside the caller's transaction: the server
 * keeps the position, the client holds one page at a time, so memory stays flat however many
 * rows the query answers (statements of a 250,000-violation run).
 */
import { type RawBuilder, sql } from 'kysely';
import type { Tx } from './tenant.ts';

let cursors = 0;

export async function* cursorPages<Row>(
  trx: Tx,
  query: RawBuilder<Row>,
  pageSize = 2_000,
): AsyncGenerator<Row[]> {
  cursors += 1;
  const name = sql.id(`page_cursor_${cursors}`);
  // Every row will be read: plan for the whole result, not for the first tenth (the cursor default).
  await sql`select set_config('cursor_tuple_fraction', '1', true)`.execute(trx);
  await sql`declare ${name} no scroll cursor for ${query}`.execute(trx);
  try {
    for (;;) {
      const { rows } = await sql<Row>`fetch forward ${sql.lit(pageSize)} from ${name}`.execute(trx);
      if (rows.length === 0) return;
      yield rows;
    }
  } finally {
    await sql`close ${name}`.execute(trx);
  }
}
