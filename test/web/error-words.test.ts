import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { uploadErrorStatus } from '../../server/fleet/fleet.service.ts';
import arWeb from '../../server/i18n/catalog/ar/web.json' with { type: 'json' };
import enWeb from '../../server/i18n/catalog/en/web.json' with { type: 'json' };
import { runImportErrorStatus } from '../../server/runs/run-imports.service.ts';

// Every error code the server can answer with has words in both languages in the web app's
// catalogue (`error.<code>`, what web/src/errors.ts looks up), so a person never sees a generic
// "something went wrong" for a refusal the server explains precisely.
const SERVER = path.resolve(import.meta.dirname, '../../server');

function sources(dir: string): Array<{ file: string; text: string }> {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).flatMap((name) => {
    const file = path.join(dir, name);
    if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file.includes('test-support')) return [];
    return [{ file: path.relative(SERVER, file), text: fs.readFileSync(file, 'utf8') }];
  });
}

const matches = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1]!);

/**
 * Functions that build a DomainError from a code they are given: the literal codes at their call
 * sites are codes the server emits (with the prefix the function adds).
 */
const wrappers: Array<{ call: string; prefix: string }> = [
  { call: 'badRequest', prefix: '' },
  { call: 'refused', prefix: 'clearance.' },
  { call: 'refusedSetting', prefix: 'alerts.' },
  { call: 'new SettlementFileError', prefix: '' },
];

/** Where a DomainError's code is not a literal: each is enumerated below or by a wrapper above. */
const computedCodes = new Set([
  'clearances/clearances.service.ts', // refused(code, …)
  'fleet/upload-receive.ts', // badRequest(code, …)
  'fleet/fleet.service.ts', // an UploadError's code: uploadErrorStatus's keys
  'payments/payments.service.ts', // payments.<signature problem>: signatureMessages's keys
  'payments/settlements.routes.ts', // a SettlementFileError's code
  'runs/run-imports.service.ts', // run_import.<kind>: runImportErrorStatus's keys
]);

function serverCodes(): Set<string> {
  const codes = new Set<string>();
  const literal = `\\s*['\`]([a-z][a-z_.]*[a-z])['\`]`;
  for (const { file, text } of sources(SERVER)) {
    for (const code of matches(text, new RegExp(`new DomainError\\(${literal}`, 'g'))) codes.add(code);
    for (const code of matches(text, new RegExp(`envelope\\(${literal}`, 'g'))) codes.add(code);
    for (const { call, prefix } of wrappers) {
      const pattern = new RegExp(`${call.replace(/[.]/g, '\\.')}\\(${literal}`, 'g');
      for (const code of matches(text, pattern)) codes.add(`${prefix}${code}`);
    }
    const computed = text.match(/new DomainError\(\s*[^\s'`]/g) ?? [];
    if (computed.length > 0)
      expect(computedCodes, `${file} builds a DomainError's code: enumerate its codes here`).toContain(file);
    if (file === 'payments/payments.service.ts') {
      const block = /const signatureMessages = \{([\s\S]*?)\} as const/.exec(text)![1]!;
      for (const key of matches(block, /^\s+([a-z_]+):/gm)) codes.add(`payments.${key}`);
    }
  }
  for (const code of Object.keys(uploadErrorStatus)) codes.add(code);
  for (const kind of Object.keys(runImportErrorStatus)) codes.add(`run_import.${kind}`);
  // express's body parser marks a client fault with a type, which the error handler turns into
  // the code (dots to underscores); the ones a JSON body can meet:
  for (const code of [
    'entity_too_large',
    'entity_parse_failed',
    'encoding_unsupported',
    'charset_unsupported',
    'request_aborted',
    'request_size_invalid',
    'bad_request',
  ])
    codes.add(code);
  return codes;
}

/** Codes the web app makes itself (web/src/api.ts): no server, a foreign answer, a 202. */
const clientCodes = ['network', 'http_error', 'document_rendering'];

describe('error codes in words', () => {
  const codes = [...serverCodes(), ...clientCodes].sort();

  it('finds the codes the server emits', () => {
    // A sample from each way a code is made, so the scan itself cannot silently find nothing.
    for (const code of [
      'invalid_credentials',
      'route_not_found',
      'upload.no_file',
      'upload.too_large',
      'clearance.outstanding',
      'run_import.invalid_row',
      'payments.bad_signature',
      'settlement.too_large',
    ])
      expect(codes).toContain(code);
    expect(codes.length).toBeGreaterThan(60);
  });

  it.each([
    ['en', enWeb as Record<string, string>],
    ['ar', arWeb as Record<string, string>],
  ])('has a message in %s for every code', (_language, catalogue) => {
    const missing = codes.filter((code) => !(`error.${code}` in catalogue));
    expect(missing).toEqual([]);
  });
});
