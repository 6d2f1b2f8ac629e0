/**
 * The columns the errors file adds to the rejected rows (why each was rejected, and where it was).
 * When a fixed errors file is uploaded again the reader drops these columns, so they never become
 * vehicle attributes.
 */
import { bilingual } from '../i18n/messages.ts';
import { foldForMatching } from '../sheets/normalise.ts';

const header = (key: string) => {
  const words = bilingual(`uploads.${key}`);
  return `${words.ar} / ${words.en}`;
};

export const REASON_HEADER = header('errors_reason_header');
export const ORIGINAL_ROW_HEADER = header('errors_original_row_header');

const reserved = new Set([REASON_HEADER, ORIGINAL_ROW_HEADER].map((header) => foldForMatching(header)));

export function isReportColumn(header: string): boolean {
  return reserved.has(foldForMatching(header));
}
