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

export class UploadError extends Error {
  override readonly name = 'UploadError';
  readonly code: UploadErrorCode;
  readonly location: UploadErrorLocation;

  /** `detail` says what is wrong; the message prefixes where (file, row, column). */
  constructor(
    code: UploadErrorCode,
    location: UploadErrorLocation,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const where = [
      location.fileName,
      location.rowNumber === undefined ? null : `row ${location.rowNumber}`,
      location.column === undefined ? null : `column "${location.column}"`,
    ]
      .filter(Boolean)
      .join(', ');
    super(`${where}: ${detail}`, options);
    this.code = code;
    this.location = location;
  }
}
