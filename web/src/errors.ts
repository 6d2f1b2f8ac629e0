import { ApiError } from './api.ts';
import type { Translate } from './locale.tsx';

/**
 * An API error in words: the catalogue's message for its code (`error.<code>`), or a generic one
 * naming what happened. Never the raw envelope.
 */
export function errorText(t: Translate, error: unknown, known: (id: string) => boolean): string {
  if (error instanceof ApiError) {
    const id = `error.${error.code}`;
    if (known(id)) {
      const details = (error.details ?? {}) as Record<string, unknown>;
      const values: Record<string, string | number> = {};
      for (const [k, v] of Object.entries(details)) {
        if (typeof v === 'string' || typeof v === 'number') values[k] = v;
      }
      return t(id, values);
    }
    if (error.status >= 500) return t('error.generic_server');
    return t('error.generic', { status: error.status });
  }
  return t('error.generic_client');
}

/**
 * The server's own words for an error, in the page's language, where it sent them in both (a
 * whole file refused: which file, row and column, and why); null otherwise.
 */
export function serverWords(error: unknown, language: 'ar' | 'en'): string | null {
  if (!(error instanceof ApiError) || error.messageAr === null) return null;
  return language === 'ar' ? error.messageAr : error.message;
}

/**
 * A reason the server stored in English and sends beside it in Arabic (`lastErrorAr`,
 * `reasonAr`, `errorAr`: the reasons catalogue's words, or the stored text where none words it),
 * in the page's language.
 */
export function reasonIn(language: 'ar' | 'en', en: string, ar: string | null | undefined): string {
  return language === 'ar' && ar ? ar : en;
}
