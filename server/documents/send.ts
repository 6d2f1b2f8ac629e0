import type { Response } from 'express';
import { contentDisposition, type Download } from './documents.service.ts';

/** Sends a stored document as it was stored: its bytes, type, name and hash (as the ETag). */
export function sendDocument(res: Response, download: Download): void {
  const { document, bytes } = download;
  res
    .status(200)
    .set({
      'content-type': document.content_type,
      'content-disposition': contentDisposition(document.file_name),
      'content-length': String(bytes.length),
      etag: `"${document.sha256}"`,
      'x-content-sha256': document.sha256,
      'cache-control': 'private, no-store',
    })
    .end(bytes);
}
