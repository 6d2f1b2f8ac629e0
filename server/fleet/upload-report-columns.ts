/**
 * The columns the errors file adds to the rejected rows (why each was rejected, and where it was).
 * When a fixed errors file is uploaded again the reader drops these columns, so they never become
 * vehicle attributes.
 */
import { foldForMatching } from '../sheets/normalise.ts';

export const REASON_HEADER = 'سبب الرفض / Rejection reason';
export const ORIGINAL_ROW_HEADER = 'الصف الأصلي / Original row';

const reserved = new Set([REASON_HEADER, ORIGINAL_ROW_HEADER].map((header) => foldForMatching(header)));

export function isReportColumn(header: string): boolean {
  return reserved.has(foldForMatching(header));
}
