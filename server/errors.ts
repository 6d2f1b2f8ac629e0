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

export const notFound = (what: string, details?: unknown) =>
  new DomainError('not_found', `${what} not found`, { status: 404, details });
