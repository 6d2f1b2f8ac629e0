import type { Executor } from '../db/tenant.ts';

export type DocumentKind = 'run_statement' | 'vehicle_statement' | 'clearance_certificate';
export type DocumentFormat = 'xlsx' | 'pdf';
export type DocumentLanguage = 'ar' | 'en' | 'ar+en';

export interface DocumentKey {
  kind: DocumentKind;
  subject: string;
  format: DocumentFormat;
  language: DocumentLanguage;
}

export const documentColumns = [
  'id',
  'kind',
  'subject',
  'format',
  'language',
  'file_name',
  'content_type',
  'sha256',
  'byte_size',
  'storage',
  'created_at',
] as const;

export function findDocument(trx: Executor, accountId: bigint, key: DocumentKey) {
  return trx
    .selectFrom('documents')
    .select(documentColumns)
    .where('account_id', '=', accountId)
    .where('kind', '=', key.kind)
    .where('subject', '=', key.subject)
    .where('format', '=', key.format)
    .where('language', '=', key.language)
    .executeTakeFirst();
}

/** Records a document; when one with the same key exists (a re-delivered render) it stays and is answered. */
export async function insertDocument(
  trx: Executor,
  accountId: bigint,
  document: DocumentKey & {
    fileName: string;
    contentType: string;
    sha256: string;
    byteSize: number;
    storage: string;
  },
) {
  const inserted = await trx
    .insertInto('documents')
    .values({
      account_id: accountId,
      kind: document.kind,
      subject: document.subject,
      format: document.format,
      language: document.language,
      file_name: document.fileName,
      content_type: document.contentType,
      sha256: document.sha256,
      byte_size: BigInt(document.byteSize),
      storage: document.storage,
    })
    .onConflict((oc) => oc.columns(['account_id', 'kind', 'subject', 'format', 'language']).doNothing())
    .returning(documentColumns)
    .executeTakeFirst();
  return {
    created: inserted !== undefined,
    document: inserted ?? (await findDocument(trx, accountId, document))!,
  };
}
