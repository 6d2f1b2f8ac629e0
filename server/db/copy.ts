/**
 * Bulk loading with COPY … FROM STDIN inside a Kysely transaction. Kysely does not hand out its
 * pg client, so every pooled client is registered by its server process id when it connects; a
 * transaction asks its backend pid and writes the COPY stream to that client. Tables under
 * row-level security refuse COPY, so callers COPY into a temporary table and move the rows with
 * one INSERT … SELECT. The text format itself is in copy-text.ts.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Kysely, sql } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DB } from './schema.ts';

/** tenant.ts's Executor, spelled out: tenant.ts depends on database.ts, which loads this file. */
type Executor = Kysely<DB>;

const clientsByPid = new Map<number, pg.PoolClient[]>();

const pidOf = (client: pg.PoolClient) => (client as unknown as { processID: number }).processID;

/** Makes a pool's clients reachable by `copyInto`. */
export function registerCopyClients(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const pid = pidOf(client);
    clientsByPid.set(pid, [...(clientsByPid.get(pid) ?? []), client]);
  });
  pool.on('remove', (client) => {
    const pid = pidOf(client);
    const left = (clientsByPid.get(pid) ?? []).filter((other) => other !== client);
    if (left.length === 0) clientsByPid.delete(pid);
    else clientsByPid.set(pid, left);
  });
}

/**
 * Streams `chunks` (whole COPY text lines, as strings or UTF-8 bytes) into `statement` (`copy … from stdin`) on the
 * transaction's own connection.
 */
export async function copyInto(
  trx: Executor,
  statement: string,
  chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
): Promise<void> {
  await pipeline(
    Readable.from(chunks, { objectMode: false }),
    (await clientOf(trx)).query(copyFrom(statement)),
  );
}

const clientsByTransaction = new WeakMap<Executor, pg.PoolClient>();

async function clientOf(trx: Executor): Promise<pg.PoolClient> {
  assert.ok(
    trx.isTransaction,
    'COPY needs a transaction: it must run on the connection that will use the rows',
  );
  const known = clientsByTransaction.get(trx);
  if (known) return known;
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
  const candidates = clientsByPid.get(rows[0]!.pid) ?? [];
  assert.equal(
    candidates.length,
    1,
    `COPY: ${candidates.length === 0 ? 'no registered client' : 'several clients'} for backend ${rows[0]!.pid} (was the pool made by createPool?)`,
  );
  clientsByTransaction.set(trx, candidates[0]!);
  return candidates[0]!;
}
