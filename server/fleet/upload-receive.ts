/**
 * Receives a multipart/form-data upload: one file in the field `file` plus small form fields.
 * The file is hashed as it streams and kept in memory only up to the size limit; past it the
 * rest is discarded, so an oversized file costs bandwidth, never memory.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import busboy from 'busboy';
import type { Request } from 'express';
import { DomainError } from '../errors.ts';

export interface ReceivedUpload {
  fileName: string;
  /** The file's bytes, or null when it was larger than the limit. */
  bytes: Buffer | null;
  /** Bytes received (for a too-large file, at least limit + 1). */
  size: number;
  /** SHA-256 (hex) of the whole file, or null when it was too large to keep. */
  sha256: string | null;
  fields: Record<string, string>;
}

const FILE_FIELD = 'file';
const MAX_FIELDS = 10;
const MAX_FIELD_BYTES = 1024;

/** A file name fit to store and show: no folders, no control characters, at most 255 characters. */
export function cleanFileName(raw: string | undefined): string {
  const base = path.posix.basename(path.win32.basename(raw ?? ''));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const cleaned = base.replace(/[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  return [...cleaned].slice(0, 255).join('') || 'upload';
}

const badRequest = (code: string, message: string, status = 400) =>
  new DomainError(code, message, { status });

export function receiveUpload(
  req: Request,
  maxBytes: number,
  /** What else the form carries, for the not-multipart message. */
  options: { formHint?: string } = {},
): Promise<ReceivedUpload> {
  if (!req.is('multipart/form-data')) {
    return Promise.reject(
      badRequest(
        'upload.not_multipart',
        `send the file as multipart/form-data in the field "${FILE_FIELD}" (${options.formHint ?? 'with the form field "mode"'})`,
        415,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: {
          fileSize: maxBytes,
          files: 1,
          fields: MAX_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          parts: MAX_FIELDS + 1,
        },
      });
    } catch (error) {
      reject(
        badRequest('upload.bad_multipart', `the multipart request is malformed: ${(error as Error).message}`),
      );
      return;
    }
    const fields: Record<string, string> = {};
    let file: ReceivedUpload | undefined;
    let fileDone: Promise<void> = Promise.resolve();
    let failure: DomainError | undefined;
    const fail = (error: DomainError) => {
      failure ??= error;
    };

    parser.on('field', (name, value, info) => {
      if (info.valueTruncated)
        fail(badRequest('upload.bad_multipart', `the form field "${name}" is too long`));
      else fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== FILE_FIELD || file) {
        fail(
          badRequest(
            'upload.unexpected_file',
            `send exactly one file, in the field "${FILE_FIELD}" (got a file in "${name}")`,
          ),
        );
        stream.resume();
        return;
      }
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      const received: ReceivedUpload = {
        fileName: cleanFileName(info.filename),
        bytes: null,
        size: 0,
        sha256: null,
        fields,
      };
      file = received;
      fileDone = new Promise<void>((done) => {
        stream.on('data', (chunk: Buffer) => {
          received.size += chunk.length;
          hash.update(chunk);
          chunks.push(chunk);
        });
        stream.on('limit', () => {
          // Past the limit: keep nothing, and say so. Busboy discards the rest of the file.
          chunks.length = 0;
          received.size = maxBytes + 1;
        });
        // A form that ends mid-file destroys the file stream too; the parser's error answers it.
        stream.on('error', () => done());
        stream.on('close', () => {
          if (!stream.truncated) {
            received.bytes = Buffer.concat(chunks);
            received.sha256 = hash.digest('hex');
          }
          done();
        });
      });
    });
    parser.on('filesLimit', () =>
      fail(badRequest('upload.unexpected_file', `send exactly one file, in the field "${FILE_FIELD}"`)),
    );
    parser.on('fieldsLimit', () => fail(badRequest('upload.bad_multipart', 'the form has too many fields')));
    parser.on('partsLimit', () => fail(badRequest('upload.bad_multipart', 'the form has too many parts')));
    parser.on('error', (error: Error) => {
      req.unpipe(parser);
      req.resume();
      reject(badRequest('upload.bad_multipart', `the multipart request is malformed: ${error.message}`));
    });
    parser.on('close', () => {
      void fileDone.then(() => {
        if (failure) reject(failure);
        else if (!file)
          reject(badRequest('upload.no_file', `the request has no file in the field "${FILE_FIELD}"`));
        else resolve(file);
      });
    });
    req.on('aborted', () => reject(badRequest('upload.aborted', 'the upload was interrupted')));
    req.pipe(parser);
  });
}
