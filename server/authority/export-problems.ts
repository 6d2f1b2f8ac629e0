/**
 * A bad row of an authority's export, in both languages as fleet upload rows are (`message` in
 * English, `messageAr` in Arabic, from the exports catalogue), and where it is.
 */
import type { Words } from '../errors.ts';
import { type Language, message, rowWords } from '../i18n/messages.ts';
import { reasonText } from '../i18n/reasons.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import { parsePlate } from '../plates/plates.ts';
import { plateKeySchema } from './contract.ts';
import type { ExportColumn } from './export-columns.ts';

/** One bad row: where it is (the spreadsheet's row number, the file's own header) and what is wrong. */
export interface ExportRowProblem {
  row: number;
  /** The header as written in the file, or null for the whole row. */
  column: string | null;
  /** Spreadsheet column letter, or null for the whole row. */
  columnLetter: string | null;
  field: ExportColumn | null;
  message: string;
  messageAr: string;
}

/** Where and what, in one language: `row 3, column "amount" (H): …`. */
export function describeProblem(problem: ExportRowProblem, language: Language = 'en'): string {
  const words = {
    row: String(problem.row),
    problem: language === 'en' ? problem.message : problem.messageAr,
  };
  return problem.column === null
    ? message(language, 'exports.problem_at_row', words)
    : message(language, 'exports.problem_at_column', {
        ...words,
        column: problem.column,
        letter: problem.columnLetter ?? '',
      });
}

/** A problem of the export as a whole that one row shows: `export row 6, …`, in both languages. */
export function exportProblem(problem: ExportRowProblem): Words {
  return {
    en: message('en', 'exports.in_export', { problem: describeProblem(problem, 'en') }),
    ar: message('ar', 'exports.in_export', { problem: describeProblem(problem, 'ar') }),
  };
}

/**
 * A plate's failed lookup because of its bad row, as the reasons catalogue stores it (the same
 * English as `exportProblem`): the row's problem is itself a reason of the catalogue where the
 * catalogue words it, so readers see both in their language.
 */
export function exportRowReason(problem: ExportRowProblem): string {
  return problem.column === null
    ? reasonText('lookup.export_row', { row: problem.row, reason: problem.message })
    : reasonText('lookup.export_row_column', {
        row: problem.row,
        column: problem.column,
        letter: problem.columnLetter ?? '',
        reason: problem.message,
      });
}

/** A country's name in one language, for sentences that name one (`JO` in English, الأردن in Arabic). */
export const countryIn = (language: Language, code: string): string =>
  language === 'en' ? code : message('ar', `statements.jurisdiction_${code}`);

/** A canonical plate key (`JO:13-20697`) as it is, or a plate as people write it, parsed. */
export function readExportPlate(
  jurisdiction: JurisdictionCode,
  text: string,
): { ok: true; key: string } | { ok: false; message: string; messageAr: string } {
  const prefixed = /^(JO|IQ|EG):/.exec(text);
  if (prefixed) {
    if (prefixed[1] !== jurisdiction) {
      const words = (language: Language) =>
        message(language, 'exports.plate_other_country', {
          plate: text,
          country: countryIn(language, prefixed[1]!),
          jurisdiction: countryIn(language, jurisdiction),
        });
      return { ok: false, message: words('en'), messageAr: words('ar') };
    }
    return plateKeySchema.safeParse(text).success
      ? { ok: true, key: text }
      : { ok: false, ...rowWords('exports.plate_key_too_long') };
  }
  const parsed = parsePlate(jurisdiction, text);
  return parsed.ok
    ? { ok: true, key: parsed.plate.key }
    : { ok: false, message: parsed.message, messageAr: parsed.messageAr };
}
