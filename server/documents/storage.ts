/**
 * Where a document's bytes live, by content hash. PostgreSQL (bytea) is the default; object storage
 * can replace it behind the same two calls. Writing the same bytes twice stores them once.
 */
import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

export interface DocumentStorage {
  /** A name recorded with each document, so bytes can be found after a change of storage. */
  readonly name: string;
  put(trx: Executor, accountId: bigint, sha256: string, bytes: Buffer): Promise<void>;
  /** The bytes, or undefined when the storage has none under this hash. */
  get(trx: Executor, accountId: bigint, sha256: string): Promise<Buffer | undefined>;
}

export const postgresStorage: DocumentStorage = {
  name: 'postgres',
  async put(trx, accountId, sha256, bytes) {
    await sql`
      insert into document_contents (account_id, sha256, content)
      values (${accountId}, ${sha256}, ${bytes})
      on conflict (account_id, sha256) do nothing`.execute(trx);
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
