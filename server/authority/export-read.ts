/** Reading an authority's export off the event loop (see ../sheets/off-thread.ts). */
import { bilingual } from '../i18n/messages.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import { ownBuffer, runOffThread } from '../sheets/off-thread.ts';
import {
  type AuthorityExport,
  AuthorityExportError,
  type AuthorityExportErrorKind,
  defaultExportLimits,
  type ExportLimits,
} from './file-provider.ts';

/** The heap of a thread reading an export: the largest accepted file, as read rows and violations. */
const EXPORT_THREAD_HEAP_MB = 1024;

export interface ExportReadRequest {
  jurisdiction: JurisdictionCode;
  bytes: Uint8Array;
  limits: ExportLimits;
}

export type ExportReadMessage =
  | { type: 'read'; export: AuthorityExport }
  | {
      type: 'refused';
      kind: AuthorityExportErrorKind;
      message: string;
      messageAr: string | null;
      row: number | undefined;
      column: string | undefined;
    };

/**
 * `readAuthorityExport` in a reading thread (export-read.task.ts), so a large export never blocks
 * the event loop. The bytes are copied to the thread unless `handOver`, when the caller gives them up.
 */
export async function readAuthorityExportOffThread(
  jurisdiction: JurisdictionCode,
  bytes: Uint8Array,
  limits: ExportLimits = defaultExportLimits,
  handOver = false,
): Promise<AuthorityExport> {
  const request: ExportReadRequest = { jurisdiction, bytes, limits };
  try {
    for await (const message of runOffThread<ExportReadMessage>(
      new URL('./export-read.task.ts', import.meta.url),
      request,
      { heapMb: EXPORT_THREAD_HEAP_MB, isLast: () => true, transfer: handOver ? ownBuffer(bytes) : [] },
    )) {
      if (message.type === 'read') return message.export;
      const words =
        message.messageAr === null ? message.message : { en: message.message, ar: message.messageAr };
      throw new AuthorityExportError(message.kind, words, {
        ...(message.row === undefined ? {} : { row: message.row }),
        ...(message.column === undefined ? {} : { column: message.column }),
      });
    }
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WORKER_OUT_OF_MEMORY') throw error;
    throw new AuthorityExportError('too_large', bilingual('exports.needs_memory'));
  }
  throw new Error('the export reader ended without an answer');
}
