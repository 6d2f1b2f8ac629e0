import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';

export interface RunImportRow {
  accountId: bigint;
  runId: bigint;
  fileName: string;
  sha256: string;
  format: 'csv' | 'xlsx';
  coversAllPlates: boolean;
  content: Buffer;
}

export async function insertRunImport(trx: Executor, row: RunImportRow): Promise<void> {
  await trx
    .insertInto('run_imports')
    .values({
      account_id: row.accountId,
      run_id: row.runId,
      file_name: row.fileName,
      sha256: row.sha256,
      format: row.format,
      covers_all_plates: row.coversAllPlates,
      content: row.content,
    })
    .execute();
}

/** What a lookup batch needs to know about a run's import (not the file itself). */
export function findRunImportMeta(trx: Executor, accountId: bigint, runId: bigint) {
  return trx
    .selectFrom('run_imports')
    .select(['file_name', 'sha256', 'format', 'covers_all_plates', 'created_at'])
    .where('account_id', '=', accountId)
    .where('run_id', '=', runId)
    .executeTakeFirst();
}

export async function findRunImportContent(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
): Promise<Buffer | undefined> {
  const row = await trx
    .selectFrom('run_imports')
    .select('content')
    .where('account_id', '=', accountId)
    .where('run_id', '=', runId)
    .executeTakeFirst();
  return row?.content;
}

/** How many of these plate keys the run looks up (its snapshot of the active fleet). */
export async function countRunPlates(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  plateKeys: readonly string[],
): Promise<number> {
  if (plateKeys.length === 0) return 0;
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from lookups
    where account_id = ${accountId} and run_id = ${runId} and plate_key = any(${[...plateKeys]}::text[])`.execute(
    trx,
  );
  return rows[0]!.n;
}
