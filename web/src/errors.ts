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
