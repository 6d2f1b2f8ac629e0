/** The same words in both languages (see i18n/messages.ts `bilingual`). */
export interface Words {
  en: string;
  ar: string;
}

/**
 * A domain error: a stable machine-readable code, a message for people, optional details. Given
 * `Words`, the English is the message and the Arabic travels with it (`messageAr`, also in the
 * error envelope).
 */
export class DomainError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  readonly messageAr: string | null;
  constructor(
    code: string,
    message: string | Words,
    options: { status?: number; details?: unknown; cause?: unknown } = {},
  ) {
    super(typeof message === 'string' ? message : message.en, { cause: options.cause });
    this.messageAr = typeof message === 'string' ? null : message.ar;
    this.name = 'DomainError';
    this.code = code;
    this.status = options.status ?? 400;
    this.details = options.details ?? null;
  }
}

/**
 * The one not-found shape: code `<thing>_not_found` with status 404, and the thing's key in
 * details where the request named one. The web's error messages are keyed by these codes.
 */
export const notFound = (thing: string, message: string, details?: unknown) =>
  new DomainError(`${thing}_not_found`, message, { status: 404, details });
