/** A domain error: a stable machine-readable code, a message for people, optional details. */
export class DomainError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  constructor(
    code: string,
    message: string,
    options: { status?: number; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
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
