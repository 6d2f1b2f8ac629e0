/**
 * Where a document's bytes live, by content hash. PostgreSQL (bytea) is the default; object storage
 * can replace it behind the same calls. Writing the same bytes twice stores them once.
 */
import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

/** A document's bytes written part by part as they are rendered, before their hash is known. */
export interface StagedDocument {
  append(part: Buffer): Promise<void>;
  /** Stores the parts, in order, as the document with this hash. */
  store(sha256: string): Promise<void>;
}

export interface DocumentStorage {
  /** A name recorded with each document, so bytes can be found after a change of storage. */
  readonly name: string;
  put(trx: Executor, accountId: bigint, sha256: string, bytes: Buffer): Promise<void>;
  /** Starts a document written part by part inside the caller's transaction. */
  stage(trx: Executor, accountId: bigint): Promise<StagedDocument>;
  /** The bytes, or undefined when the storage has none under this hash. */
  get(trx: Executor, accountId: bigint, sha256: string): Promise<Buffer | undefined>;
}

let staged = 0;

export const postgresStorage: DocumentStorage = {
  name: 'postgres',
  async put(trx, accountId, sha256, bytes) {
    await sql`
      insert into document_contents (account_id, sha256, content)
      values (${accountId}, ${sha256}, ${bytes})
      on conflict (account_id, sha256) do nothing`.execute(trx);
  },
  // Parts wait in a temporary table of the transaction; the server puts them together, so the
  // rendering process never holds the whole document.
  async stage(trx, accountId) {
    staged += 1;
    const parts = sql.id(`document_parts_${staged}`);
    await sql`create temporary table ${parts} (seq int primary key, part bytea not null) on commit drop`.execute(
      trx,
    );
    let seq = 0;
    return {
      async append(part) {
        seq += 1;
        await sql`insert into ${parts} (seq, part) values (${seq}, ${part})`.execute(trx);
      },
      async store(sha256) {
        await sql`
          insert into document_contents (account_id, sha256, content)
          select ${accountId}, ${sha256}, coalesce(string_agg(part, ''::bytea order by seq), ''::bytea)
          from ${parts}
          on conflict (account_id, sha256) do nothing`.execute(trx);
        await sql`drop table ${parts}`.execute(trx);
      },
    };
  },
  async get(trx, accountId, sha256) {
    const row = await trx
      .selectFrom('document_contents')
      .select('content')
      .where('account_id', '=', accountId)
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    return row?.content;
  },
};
