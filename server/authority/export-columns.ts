/**
 * The columns of an authority's export, by their canonical (English) names, and the English and
 * Arabic headers and status words people write for them.
 */

import { headerMatcher } from '../sheets/columns.ts';
import { foldForMatching } from '../sheets/normalise.ts';
import type { WireViolation } from './contract.ts';

/** The export's columns by their canonical (English) header names. */
export const exportColumns = [
  'plate_key',
  'ticket_number',
  'offence_at',
  'type_code',
  'description_ar',
  'description_en',
  'location',
  'amount',
  'currency',
  'status',
  'payment_ref',
] as const;
export type ExportColumn = (typeof exportColumns)[number];

/** Every column but the authority's payment reference must be present (its cells may be empty). */
export const requiredExportColumns: readonly ExportColumn[] = exportColumns.filter(
  (c) => c !== 'payment_ref',
);

/**
 * Header names accepted for each column, English and Arabic; compared after folding (case,
 * spaces, underscores, punctuation, Arabic letter variants), so `Ticket No.` and `ticket_no` match.
 */
export const exportColumnSynonyms: Record<ExportColumn, readonly string[]> = {
  plate_key: ['plate_key', 'plate', 'plate number', 'plate no', 'رقم اللوحة', 'اللوحة', 'رقم اللوحه'],
  ticket_number: [
    'ticket_number',
    'ticket',
    'ticket no',
    'violation number',
    'violation no',
    'رقم المخالفة',
    'رقم المخالفه',
    'رقم الضبط',
  ],
  offence_at: [
    'offence_at',
    'offense_at',
    'offence time',
    'offense time',
    'offence date',
    'violation date',
    'تاريخ المخالفة',
    'وقت المخالفة',
    'تاريخ ووقت المخالفة',
  ],
  type_code: [
    'type_code',
    'type',
    'offence code',
    'violation code',
    'violation type',
    'رمز المخالفة',
    'كود المخالفة',
    'نوع المخالفة',
  ],
  description_ar: [
    'description_ar',
    'arabic description',
    'description arabic',
    'وصف المخالفة',
    'الوصف بالعربية',
    'الوصف',
  ],
  description_en: ['description_en', 'english description', 'description english', 'description'],
  location: ['location', 'place', 'الموقع', 'مكان المخالفة', 'المكان'],
  amount: ['amount', 'fine', 'fine amount', 'المبلغ', 'قيمة المخالفة', 'الغرامة', 'قيمة الغرامة'],
  currency: ['currency', 'العملة'],
  status: ['status', 'الحالة', 'حالة المخالفة'],
  payment_ref: [
    'payment_ref',
    'payment reference',
    'authority payment reference',
    'رقم الدفع',
    'رقم السداد',
    'مرجع الدفع',
  ],
};

/** The Arabic header each column is named by in messages (and in the README). */
export const exportColumnTitlesAr: Record<ExportColumn, string> = {
  plate_key: 'رقم اللوحة',
  ticket_number: 'رقم المخالفة',
  offence_at: 'تاريخ المخالفة',
  type_code: 'رمز المخالفة',
  description_ar: 'وصف المخالفة',
  description_en: 'الوصف بالإنجليزية',
  location: 'الموقع',
  amount: 'المبلغ',
  currency: 'العملة',
  status: 'الحالة',
  payment_ref: 'رقم الدفع',
};

/** The column a header names; bilingual headers ("رقم المخالفة / Ticket") match when their parts agree. */
export const matchExportHeader = headerMatcher<ExportColumn>(
  exportColumns.flatMap((column) =>
    [...exportColumnSynonyms[column], exportColumnTitlesAr[column]].map(
      (phrase) => [phrase, column] as [string, ExportColumn],
    ),
  ),
);

const statusSynonyms: Record<WireViolation['status'], readonly string[]> = {
  unpaid: ['unpaid', 'غير مدفوعة', 'غير مدفوع', 'غير مسددة', 'غير مسدد', 'مستحقة'],
  paid: ['paid', 'مدفوعة', 'مدفوع', 'مسددة', 'مسدد'],
  cancelled: ['cancelled', 'canceled', 'ملغاة', 'ملغى', 'ملغية'],
  under_objection: ['under_objection', 'under objection', 'objected', 'قيد الاعتراض', 'معترض عليها'],
};
/** Status words, folded for matching, to the status they name. */
export const statusIndex = new Map<string, WireViolation['status']>();
for (const [status, names] of Object.entries(statusSynonyms)) {
  for (const name of names) statusIndex.set(foldForMatching(name), status as WireViolation['status']);
}
