/**
 * Issued documents: stored once with their SHA-256, served byte-identical on every download, each
 * download audited. Features render; this module keeps and serves what they rendered.
 */
import { createHash } from 'node:crypto';
import { appendAudit } from '../audit/audit.repo.ts';
import type { Tx } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { type DocumentKey, findDocument, insertDocument } from './documents.repo.ts';
import { type DocumentStorage, postgresStorage } from './storage.ts';

export const contentTypes = {
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;

export type StoredDocument = NonNullable<Awaited<ReturnType<typeof findDocument>>>;

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Stores a rendered document under its key. When the key already has a document (the same run
 * rendered twice), the first one stands and is answered; the new bytes are not stored.
 */
export async function storeDocument(
  trx: Tx,
  accountId: bigint,
  key: DocumentKey,
  rendered: { fileName: string; bytes: Buffer },
  storage: DocumentStorage = postgresStorage,
): Promise<{ created: boolean; document: StoredDocument }> {
  const existing = await findDocument(trx, accountId, key);
  if (existing) return { created: false, document: existing };
  const sha256 = sha256Hex(rendered.bytes);
  const result = await insertDocument(trx, accountId, {
    ...key,
    fileName: rendered.fileName,
    contentType: contentTypes[key.format],
    sha256,
    byteSize: rendered.bytes.length,
    storage: storage.name,
  });
  if (result.created) await storage.put(trx, accountId, sha256, rendered.bytes);
  return result;
}

export interface Download {
  document: StoredDocument;
  bytes: Buffer;
}

/**
 * A stored document's bytes, checked against its recorded hash (a mismatch is a fault, never
 * served), with the download appended to the audit log in the same transaction.
 */
export async function downloadDocument(
  trx: Tx,
  accountId: bigint,
  document: StoredDocument,
  actor: { userId: bigint | null; tokenId: bigint | null; ip: string | null },
  storage: DocumentStorage = postgresStorage,
): Promise<Download> {
  const bytes = await storage.get(trx, accountId, document.sha256);
  if (!bytes || sha256Hex(bytes) !== document.sha256) {
    throw new DomainError('document_unreadable', `document ${document.id} is missing or damaged in storage`, {
      status: 500,
    });
  }
  await appendAudit(trx, {
    accountId,
    actorUserId: actor.userId,
    actorTokenId: actor.tokenId,
    ip: actor.ip,
    action: 'document.downloaded',
    target: `document:${document.id}`,
    details: { kind: document.kind, subject: document.subject, sha256: document.sha256 },
  });
  return { document, bytes };
}

/** RFC 6266 Content-Disposition: an ASCII fallback and the exact UTF-8 name. */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
