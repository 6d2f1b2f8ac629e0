/**
 * Issued documents: stored once with their SHA-256, served byte-identical on every download, each
 * download audited. Features render; this module keeps and serves what they rendered.
 */
import { createHash } from 'node:crypto';
import { appendAudit } from '../audit/audit.repo.ts';
import type { Tx } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { type DocumentKey, findDocument, insertDocument } from './documents.repo.ts';
import { type DocumentStorage, postgresStorage, type StagedDocument } from './storage.ts';

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

/** Where a document being rendered writes its bytes, in order. */
export interface DocumentOutput {
  push(chunk: Buffer): void;
  /** Sends what has been pushed on to storage once it makes a part (a renderer calls it between pages of rows). */
  drain(): Promise<void>;
}

/** The size of the parts a rendered document is stored in. */
const PART_BYTES = 1 << 20;

/**
 * A document's bytes on their way to storage, hashed as they come. Renderers push many small
 * chunks, each possibly a view of a larger buffer (Node's 8 KB pool, zlib's output): they are
 * copied into parts of about a megabyte, so no chunk's buffer is held past its part. A document
 * smaller than a part is stored in one write when it ends; a bigger one is staged part by part.
 */
class DocumentSink implements DocumentOutput {
  private readonly hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private staged: StagedDocument | undefined;
  byteSize = 0;
  private readonly stage: () => Promise<StagedDocument>;

  constructor(stage: () => Promise<StagedDocument>) {
    this.stage = stage;
  }

  push(chunk: Buffer): void {
    this.hash.update(chunk);
    this.byteSize += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  async drain(): Promise<void> {
    if (this.pendingBytes < PART_BYTES) return;
    this.staged ??= await this.stage();
    await this.staged.append(this.takePending());
  }

  private takePending(): Buffer {
    const part = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return part;
  }

  /** The document's hash, once every chunk has been pushed. */
  sha256(): string {
    return this.hash.digest('hex');
  }

  /** Stores the whole document under its hash: what is staged and what is still pending. */
  async store(storage: DocumentStorage, trx: Tx, accountId: bigint, sha256: string): Promise<void> {
    if (!this.staged) {
      await storage.put(trx, accountId, sha256, this.takePending());
      return;
    }
    if (this.pendingBytes > 0) await this.staged.append(this.takePending());
    await this.staged.store(sha256);
  }
}

/**
 * Renders a document straight into storage under its key, a part at a time. The caller has found
 * no document under the key; should one be stored meanwhile (a re-delivered job), it stands and
 * is answered. The bytes stored, their hash and size are those `storeDocument` would record for
 * the same rendering held whole.
 */
export async function storeRenderedDocument(
  trx: Tx,
  accountId: bigint,
  key: DocumentKey,
  fileName: string,
  render: (output: DocumentOutput) => Promise<void>,
  storage: DocumentStorage = postgresStorage,
): Promise<{ created: boolean; document: StoredDocument }> {
  const sink = new DocumentSink(() => storage.stage(trx, accountId));
  await render(sink);
  const sha256 = sink.sha256();
  const result = await insertDocument(trx, accountId, {
    ...key,
    fileName,
    contentType: contentTypes[key.format],
    sha256,
    byteSize: sink.byteSize,
    storage: storage.name,
  });
  if (result.created) await sink.store(storage, trx, accountId, sha256);
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
