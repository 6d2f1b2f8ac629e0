/**
 * Columns of a sheet: their spreadsheet letters, and matching the headers people write to the
 * fields a reader knows. Matching ignores case, spacing, punctuation, diacritics and letter
 * variants (see foldForMatching).
 */
import { foldForMatching } from './normalise.ts';

/**
 * A header matcher over phrases → field. Bilingual headers such as "رقم اللوحة / Plate number" or
 * "Plate (رقم اللوحة)" match when their parts agree; anything else is null (an unknown column).
 */
export function headerMatcher<F>(
  phrases: Iterable<[phrase: string, field: F]>,
): (header: string) => F | null {
  const index = new Map<string, F>();
  for (const [phrase, field] of phrases) index.set(foldForMatching(phrase), field);
  return (header) => {
    const whole = index.get(foldForMatching(header));
    if (whole !== undefined) return whole;
    const parts = header
      .split(/[/|()\n\\]+/)
      .map((part) => foldForMatching(part))
      .filter((part) => part !== '');
    if (parts.length < 2) return null;
    const fields = new Set(parts.map((part) => index.get(part) ?? null));
    const [only] = fields;
    return fields.size === 1 && only !== undefined && only !== null ? only : null;
  };
}

/** Spreadsheet column letter for a zero-based index: 0 → A, 26 → AA. */
export function columnLetter(index: number): string {
  let letter = '';
  for (let rest = index + 1; rest > 0; rest = Math.floor((rest - 1) / 26)) {
    letter = String.fromCharCode(65 + ((rest - 1) % 26)) + letter;
  }
  return letter;
}
