import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Bench } from './harness.ts';
import { time } from './harness.ts';

const COPY_ROWS = 200_000;
const DIFF_ROWS = 250_000;

/** Rows shaped like violations: account, plate, ticket, amount in minor units, status. */
function* violationRows(count: number, seed: number): Generator<string> {
  for (let i = 0; i < count; i++) {
    const amount = 20_000 + ((i * 7919 + seed) % 130_000);
    yield `1\tJO:${10 + (i % 80)}-${100000 + i}\tT${i}\t${amount}\tunpaid\n`;
  }
}

/** Many rows per write: one stream write per row would measure the stream, not COPY. */
function* inChunks(lines: Iterable<string>, size = 2000): Generator<string> {
  let chunk: string[] = [];
  for (const line of lines) {
    chunk.push(line);
    if (chunk.length === size) {
      yield chunk.join('');
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk.join('');
}

async function copyRows(url: string, table: string, count: number, seed: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const stream = client.query(
      copyFrom(`copy ${table} (account_id, plate_key, ticket, amount_minor, status) from stdin`),
    );
    await pipeline(Readable.from(inChunks(violationRows(count, seed))), stream);
  } finally {
    await client.end();
  }
}

export const floorBenches: Bench[] = [
  {
    name: 'floor.copy',
    description: `raw COPY of ${COPY_ROWS.toLocaleString('en')} violation-shaped rows`,
    async run({ db, url, record }) {
      await sql`create unlogged table bench_copy (account_id bigint, plate_key text, ticket text, amount_minor bigint, status text)`.execute(
        db,
      );
      const { ms } = await time(() => copyRows(url, 'bench_copy', COPY_ROWS, 1));
      const rate = Math.round((COPY_ROWS / ms) * 1000);
      record({ name: 'floor.copy', value: rate, unit: 'rows/s', floor: rate, kind: 'rate' });

      // The same rows as 1,000-row multi-row INSERTs, against the COPY floor.
      await sql`truncate bench_copy`.execute(db);
      const rows = [...violationRows(COPY_ROWS, 1)].map((line) => line.trimEnd().split('\t'));
      const inserted = await time(async () => {
        for (let i = 0; i < rows.length; i += 1000) {
          const chunk = rows.slice(i, i + 1000);
          await sql`insert into bench_copy (account_id, plate_key, ticket, amount_minor, status) values ${sql.join(
            chunk.map((r) => sql`(${r[0]}::bigint, ${r[1]}, ${r[2]}, ${r[3]}::bigint, ${r[4]})`),
          )}`.execute(db);
        }
      });
      const insertRate = Math.round((COPY_ROWS / inserted.ms) * 1000);
      record({ name: 'insert.multirow', value: insertRate, unit: 'rows/s', floor: rate, kind: 'rate' });
      await sql`drop table bench_copy`.execute(db);
    },
  },
  {
    name: 'floor.diff',
    description: `raw SQL FULL OUTER JOIN diff of two ${DIFF_ROWS.toLocaleString('en')}-row snapshots, ~10% changed`,
    async run({ db, url, record }) {
      for (const table of ['bench_before', 'bench_after']) {
        await sql`create unlogged table ${sql.table(table)} (account_id bigint, plate_key text, ticket text, amount_minor bigint, status text)`.execute(
          db,
        );
      }
      await copyRows(url, 'bench_before', DIFF_ROWS, 1);
      await copyRows(url, 'bench_after', DIFF_ROWS, 1);
      // Tonight: ~5% escalated, ~3% settled (gone), ~2% new.
      await sql`update bench_after set amount_minor = amount_minor * 2 where ticket like '%0' and (substr(ticket, 2)::int % 2) = 0`.execute(
        db,
      );
      await sql`delete from bench_after where (substr(ticket, 2)::int % 33) = 1`.execute(db);
      await sql`insert into bench_after select account_id, plate_key, 'N' || substr(ticket, 2), amount_minor, status from bench_after where (substr(ticket, 2)::int % 50) = 3`.execute(
        db,
      );
      for (const table of ['bench_before', 'bench_after']) {
        await sql`create index on ${sql.table(table)} (account_id, ticket)`.execute(db);
        await sql`analyze ${sql.table(table)}`.execute(db);
      }
      const { ms, value } = await time(() =>
        sql<{ change: string; n: string }>`
          select case
                   when b.ticket is null then 'new'
                   when a.ticket is null then 'settled'
                   when a.amount_minor > b.amount_minor then 'escalated'
                   when a.amount_minor < b.amount_minor then 'reduced'
                   else 'unchanged' end as change,
                 count(*) as n
          from bench_before b
          full outer join bench_after a on a.account_id = b.account_id and a.ticket = b.ticket
          group by 1`.execute(db),
      );
      const changed = value.rows
        .filter((r) => r.change !== 'unchanged')
        .reduce((sum, r) => sum + Number(r.n), 0);
      if (changed === 0) throw new Error('floor.diff found no changes: the benchmark data is wrong');
      record({ name: 'floor.diff', value: Math.round(ms), unit: 'ms', floor: Math.round(ms), kind: 'time' });
      await sql`drop table bench_before, bench_after`.execute(db);
    },
  },
];
