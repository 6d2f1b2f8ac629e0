/**
 * Runs answered from an authority's bulk export instead of the gateway. An import is validated in
 * full before its run starts (a file with any bad row starts nothing), stored with the run, and
 * read back by the run's lookup batches through the file provider, so the same contract checks,
 * raw answers, reconciliation and mass-disappearance guard apply. Both times the file is read in
 * a reading thread, off the event loop.
 *
 * Coverage: an export says nothing about plates it does not mention, so they fail (their
 * violations are stale, never settled) — unless the importer declares the file the authority's
 * complete answer for every plate of the fleet (`coversAllPlates`), when they are answered with
 * no violations.
 */

import type { AuthorityProvider, PlateLookup } from '../authority/contract.ts';
import { describeProblem } from '../authority/export-problems.ts';
import { readAuthorityExportOffThread } from '../authority/export-read.ts';
import {
  type AuthorityExport,
  AuthorityExportError,
  type AuthorityExportErrorKind,
  createFileAuthorityProvider,
  defaultExportLimits,
  type ExportLimits,
} from '../authority/file-provider.ts';
import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import { DomainError, type Words } from '../errors.ts';
import type { ReceivedUpload } from '../fleet/upload-receive.ts';
import { bilingual, type Language, message } from '../i18n/messages.ts';
import { reasonText } from '../i18n/reasons.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import { findRunImportContent } from './run-imports.repo.ts';

export const runImportLimits: ExportLimits = defaultExportLimits;

/** Row problems listed in a refusal's details (the count says how many there are in all). */
export const REFUSAL_PROBLEM_LIMIT = 100;

/** Whole-file refusals: the status says what kind of problem, the code (`run_import.<kind>`) which. */
export const runImportErrorStatus: Record<AuthorityExportErrorKind, number> = {
  too_large: 413,
  too_many_rows: 413,
  unsupported_type: 415,
  zip_bomb: 422,
  corrupt: 422,
  encoding: 422,
  empty: 422,
  missing_column: 422,
  duplicate_header: 422,
  cell_too_large: 422,
  invalid_row: 422,
};

export interface ValidatedImport {
  fileName: string;
  sha256: string;
  format: AuthorityExport['format'];
  content: Buffer;
  coversAllPlates: boolean;
  /** Violation rows in the file. */
  rows: number;
  /** Distinct plates the file mentions. */
  plateKeys: string[];
}

const refusal = (
  kind: AuthorityExportErrorKind,
  message: Words,
  details: Record<string, unknown>,
  cause?: unknown,
) => new DomainError(`run_import.${kind}`, message, { status: runImportErrorStatus[kind], details, cause });

/** Reads and checks a whole export; any problem refuses it with a 4xx naming the row and column. */
export async function validateRunImport(
  received: ReceivedUpload,
  jurisdiction: JurisdictionCode,
  coversAllPlates: boolean,
  limits: ExportLimits = runImportLimits,
): Promise<ValidatedImport> {
  const { fileName } = received;
  if (received.bytes === null || received.sha256 === null) {
    throw refusal(
      'too_large',
      bilingual('exports.import_too_large', { fileName, max: String(limits.maxBytes) }),
      {
        fileName,
      },
    );
  }
  let parsed: AuthorityExport;
  try {
    parsed = await readAuthorityExportOffThread(jurisdiction, received.bytes, limits);
  } catch (error) {
    if (!(error instanceof AuthorityExportError)) throw error;
    // Whole-file refusals are worded in both languages (exportRefusal, findHeader).
    throw refusal(
      error.kind,
      { en: `${fileName}: ${error.message}`, ar: `${fileName}: ${error.messageAr ?? error.message}` },
      { fileName, row: error.row ?? null, column: error.column ?? null },
      error,
    );
  }
  const first = parsed.problems[0];
  if (first) {
    const more = parsed.problems.length - 1;
    const words = (language: Language) =>
      message(language, 'exports.import_refused', {
        fileName,
        problem: describeProblem(first, language),
        more,
      });
    throw refusal(
      'invalid_row',
      { en: words('en'), ar: words('ar') },
      {
        fileName,
        row: first.row,
        column: first.column,
        problemCount: parsed.problems.length,
        problems: parsed.problems.slice(0, REFUSAL_PROBLEM_LIMIT),
      },
    );
  }
  return {
    fileName,
    sha256: received.sha256,
    format: parsed.format,
    content: received.bytes,
    coversAllPlates,
    rows: parsed.rows,
    plateKeys: [...parsed.byPlate.keys()],
  };
}

/* ---------------------------------------------- the provider of an import run */

/** Parsed exports of recent import runs in this process: every batch of a run reads the same file. */
const providers = new Map<string, Promise<AuthorityProvider>>();
const MAX_CACHED_PROVIDERS = 4;

/** Answers every plate `failed`: a stored export that can no longer be read settles nothing. */
function failingProvider(reason: string): AuthorityProvider {
  return {
    async queryPlates(plateKeys) {
      return new Map<string, PlateLookup>(
        plateKeys.map((plateKey) => [plateKey, { status: 'failed', attempts: 1, lastError: reason }]),
      );
    },
  };
}

async function buildProvider(
  db: Database,
  accountId: bigint,
  runId: bigint,
  jurisdiction: JurisdictionCode,
  coversAllPlates: boolean,
): Promise<AuthorityProvider> {
  const content = await withTenant(db, accountId, (trx) => findRunImportContent(trx, accountId, runId));
  if (!content) return failingProvider(reasonText('lookup.no_imported_export'));
  try {
    const parsed = await readAuthorityExportOffThread(jurisdiction, content, runImportLimits);
    return createFileAuthorityProvider({
      jurisdiction,
      parsed,
      ...(coversAllPlates ? { coveredPlates: 'all' as const } : {}),
    });
  } catch (error) {
    if (!(error instanceof AuthorityExportError)) throw error;
    return failingProvider(reasonText('lookup.export_unreadable', { detail: error.message }));
  }
}

/** The authority that answers an import run: the file provider over the run's stored export. */
export function importedAuthority(
  db: Database,
  run: { accountId: bigint; runId: bigint; jurisdiction: JurisdictionCode },
  meta: { sha256: string; covers_all_plates: boolean },
): Promise<AuthorityProvider> {
  const key = `${run.accountId}:${run.runId}:${meta.sha256}`;
  let provider = providers.get(key);
  if (!provider) {
    provider = buildProvider(db, run.accountId, run.runId, run.jurisdiction, meta.covers_all_plates);
    // A database error is retried by the next batch, not remembered.
    provider.catch(() => providers.delete(key));
    providers.set(key, provider);
    while (providers.size > MAX_CACHED_PROVIDERS) providers.delete(providers.keys().next().value!);
  }
  return provider;
}
