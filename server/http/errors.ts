import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { DomainError, type Words } from '../errors.ts';
import { issueDetails } from '../i18n/issues.ts';
import { catalogueWords } from '../i18n/messages.ts';
import type { Logger } from '../logger.ts';

/**
 * `requestId` is the request's id in the logs (and its `x-request-id` header), to quote when
 * reporting it. `messageAr` is the message in Arabic: the error's own words where the server words
 * it in both languages (whole-file refusals of uploaded files, among others, `wordsFrom: 'error'`),
 * otherwise the catalogue's sentence for the code (`wordsFrom: 'catalogue'`, the sentence the web
 * app shows), so no refusal reaches a client in English only. An `invalid_request`'s details
 * list each problem with its field path, zod's English and its Arabic (../i18n/issues.ts).
 */
export interface ErrorEnvelope {
  error: {
    code: string;
    message: string;
    messageAr?: string;
    wordsFrom?: 'error' | 'catalogue';
    details: unknown;
    requestId?: string;
  };
}

export function envelope(
  code: string,
  message: string | Words,
  details: unknown = null,
  request?: { id: unknown },
): ErrorEnvelope {
  const arabic = typeof message === 'string' ? catalogueWords('ar', code, details) : message.ar;
  const words = {
    message: typeof message === 'string' ? message : message.en,
    ...(arabic === null
      ? {}
      : {
          messageAr: arabic,
          wordsFrom: typeof message === 'string' ? ('catalogue' as const) : ('error' as const),
        }),
  };
  return { error: { code, ...words, details, ...(request ? { requestId: String(request.id) } : {}) } };
}

export const notFoundRoute: RequestHandler = (req, res) => {
  res
    .status(404)
    .json(
      envelope('route_not_found', `no route for ${req.method} ${req.originalUrl.split('?')[0]}`, null, req),
    );
};

/** The one place errors become HTTP answers: `{ error: { code, message, details } }`. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    if (error instanceof DomainError) {
      const retryAfter = (error.details as { retryAfterSeconds?: number } | null)?.retryAfterSeconds;
      if (retryAfter !== undefined) res.set('retry-after', String(retryAfter));
      const message = error.messageAr === null ? error.message : { en: error.message, ar: error.messageAr };
      res.status(error.status).json(envelope(error.code, message, error.details, req));
      return;
    }
    if (error instanceof z.ZodError) {
      res
        .status(400)
        .json(envelope('invalid_request', 'the request is not valid', issueDetails(error.issues), req));
      return;
    }
    // body-parser and friends mark client faults with a 4xx status and a type.
    const status = typeof error?.status === 'number' ? error.status : 500;
    if (status >= 400 && status < 500) {
      const code = typeof error.type === 'string' ? error.type.replaceAll('.', '_') : 'bad_request';
      res.status(status).json(envelope(code, error.message ?? 'bad request', null, req));
      return;
    }
    // The request's own logger carries its id; requests that did not pass the request log use the app's.
    (req.log ?? log).error(
      { err: error, method: req.method, url: req.originalUrl.split('?')[0] },
      'request failed',
    );
    res
      .status(500)
      .json(envelope('internal_error', 'something went wrong on our side; it has been logged', null, req));
  };
}
