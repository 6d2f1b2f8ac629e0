import type { Words } from '../errors.ts';
import { type Language, message } from '../i18n/messages.ts';

/** File-level upload failures: the whole file is refused and nothing is applied. */
export type UploadErrorCode =
  | 'upload.too_large'
  | 'upload.zip_bomb'
  | 'upload.unsupported_type'
  | 'upload.encoding'
  | 'upload.empty'
  | 'upload.duplicate_header'
  | 'upload.missing_column'
  | 'upload.too_many_rows'
  | 'upload.cell_too_large'
  | 'upload.corrupt';

export interface UploadErrorLocation {
  fileName: string;
  rowNumber?: number;
  column?: string;
}

/** Where in the file, in one language: `fleet.csv, row 3, column "B"`. */
function where(language: Language, location: UploadErrorLocation): string {
  const parts = [location.fileName];
  // Row numbers as written in the spreadsheet, without grouping.
  if (location.rowNumber !== undefined)
    parts.push(message(language, 'uploads.file_where_row', { row: String(location.rowNumber) }));
  if (location.column !== undefined)
    parts.push(message(language, 'uploads.file_where_column', { column: location.column }));
  return parts.join(message(language, 'uploads.file_where_separator'));
}

/** A whole-file refusal in English (`message`) and Arabic (`messageAr`), each prefixed by where. */
export class UploadError extends Error {
  override readonly name = 'UploadError';
  readonly code: UploadErrorCode;
  readonly location: UploadErrorLocation;
  /** What is wrong, without where: what crosses from a reading thread to rebuild the error. */
  readonly detail: Words;
  readonly messageAr: string;

  constructor(
    code: UploadErrorCode,
    location: UploadErrorLocation,
    detail: Words,
    options?: { cause?: unknown },
  ) {
    super(`${where('en', location)}: ${detail.en}`, options);
    this.code = code;
    this.location = location;
    this.detail = detail;
    this.messageAr = `${where('ar', location)}: ${detail.ar}`;
  }
}
