/** Reads an authority's export in a reading thread (see ../sheets/off-thread.ts). */
import type { SheetTask } from '../sheets/off-thread.ts';
import type { ExportReadMessage, ExportReadRequest } from './export-read.ts';
import { AuthorityExportError, readAuthorityExport } from './file-provider.ts';

export const run: SheetTask<ExportReadRequest, ExportReadMessage> = async (request, post) => {
  try {
    post({
      type: 'read',
      export: await readAuthorityExport(request.jurisdiction, request.bytes, request.limits),
    });
  } catch (error) {
    if (!(error instanceof AuthorityExportError)) throw error;
    post({
      type: 'refused',
      kind: error.kind,
      message: error.message,
      messageAr: error.messageAr,
      row: error.row,
      column: error.column,
    });
  }
};
