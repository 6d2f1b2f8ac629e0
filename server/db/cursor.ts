/**
 * A big read in pages through a server-side cursor, inside the caller's transaction: the server
 * keeps the position, the client holds one page at a time, so memory stays flat however many
 * rows the query answers (statements of a 250,000-violation run).
 */
import { type RawBuilder, sql } from 'kysely';
import type { Tx } from './tenant.ts';

let cursors = 0;

/**
 * The query's rows a page at a time. `expectedRows`, when the caller has counted them in the same
 * transaction, lets a result of at most a page be read in one round trip instead of a cursor's
 * four (declare, fetch, the empty fetch, close): the rows are all answered whatever the count.
 */
export async function* cursorPages<Row>(
  trx: Tx,
  query: RawBuilder<Row>,
  options: { pageSize?: number; expectedRows?: number } = {},
): AsyncGenerator<Row[]> {
  const pageSize = options.pageSize ?? 2_000;
  if (options.expectedRows !== undefined && options.expectedRows <= pageSize) {
    const { rows } = await query.execute(trx);
    if (rows.length > 0) yield rows;
    return;
  }
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
