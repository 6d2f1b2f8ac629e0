/**
 * Run statements: rendered by the `statements.render` job once a run has finished (the pipeline's
 * last stage, never in a web request), stored as immutable documents, one per format and language.
 * A re-delivered job finds them stored and renders nothing twice.
 */

import { findAccount } from '../accounts/accounts.repo.ts';
import { revokeForLateFines } from '../clearances/clearances.service.ts';
import type { Database } from '../db/database.ts';
import { withoutNestedLoops } from '../db/planner.ts';
import { type Tx, withTenant } from '../db/tenant.ts';
import { type DocumentFormat, type DocumentKey, findDocument } from '../documents/documents.repo.ts';
import { storeRenderedDocument } from '../documents/documents.service.ts';
import { DomainError } from '../errors.ts';
import type { Language } from '../i18n/messages.ts';
import { findRun } from '../runs/runs.repo.ts';
import { loadRunStatement, type PaymentStageOutcome, statementFileName } from './run-statement.ts';
import { writeRunStatementPdf } from './statement-pdf.ts';
import { writeRunStatementXlsx } from './statement-xlsx.ts';

/** Arabic first: it is every jurisdiction's default and the one most likely to be asked for. */
const renderOrder: Array<{ language: Language; format: DocumentFormat }> = [
  { language: 'ar', format: 'pdf' },
  { language: 'ar', format: 'xlsx' },
  { language: 'en', format: 'pdf' },
  { language: 'en', format: 'xlsx' },
];

export const runStatementKey = (runId: bigint, format: DocumentFormat, language: Language): DocumentKey => ({
  kind: 'run_statement',
  subject: `run:${runId}`,
  format,
  language,
});

/** Renders and stores one statement unless it is stored already; false for a run not finished. */
export async function renderRunStatement(
  trx: Tx,
  accountId: bigint,
  runId: bigint,
  format: DocumentFormat,
  language: Language,
  now: Date,
  paymentStage: PaymentStageOutcome,
  signal?: AbortSignal,
): Promise<boolean> {
  const key = runStatementKey(runId, format, language);
  if (await findDocument(trx, accountId, key)) return true;
  // A statement reads the whole run, often seconds after the night wrote it, while the planner's
  // statistics still describe the tables as they were: nested loops over what is in fact the whole
  // run are quadratic (minutes for 10,000 vehicles), hash joins linear whatever the statistics.
  return withoutNestedLoops(trx, async () => {
    const loaded = await loadRunStatement(trx, accountId, runId, now, paymentStage);
    if (!loaded) return false;
    // A statement given up (see JobContext.signal) stops at its next page, its transaction rolled back.
    const statement = signal
      ? {
          ...loaded,
          vehicles: () => untilAborted(loaded.vehicles(), signal),
          violations: () => untilAborted(loaded.violations(), signal),
          changeLines: () => untilAborted(loaded.changeLines(), signal),
        }
      : loaded;
    // Written into storage as it is rendered: a big fleet's statement is never held whole.
    await storeRenderedDocument(
      trx,
      accountId,
      key,
      statementFileName(statement.header, language, format),
      (output) =>
        format === 'xlsx'
          ? writeRunStatementXlsx(statement, language, output)
          : writeRunStatementPdf(statement, language, output),
    );
    return true;
  });
}

/**
 * The run's last stage, started by the payments stage when it ends (whatever its outcome), so the
 * statements show the run's payment numbers: certificates a late-recorded fine disproves are
 * revoked, then each statement is rendered in its own transaction, so a crash keeps those already
 * stored. A job without the payments stage's outcome shows the numbers open when it renders.
 */
export async function renderRunStatements(
  db: Database,
  job: { accountId: bigint; runId: bigint; payments?: PaymentStageOutcome | undefined },
  now: Date,
  signal?: AbortSignal,
): Promise<{ revoked: number; rendered: number }> {
  const { accountId, runId } = job;
  const paymentStage = job.payments ?? { status: 'issued', refused: 0 };
  const revoked = await withTenant(db, accountId, (trx) => revokeForLateFines(trx, accountId, runId));
  let rendered = 0;
  for (const { language, format } of renderOrder) {
    signal?.throwIfAborted();
    const done = await withTenant(db, accountId, (trx) =>
      renderRunStatement(trx, accountId, runId, format, language, now, paymentStage, signal),
    );
    if (done) rendered += 1;
  }
  return { revoked, rendered };
}

/**
 * A run's statement for download: the stored document, or where to wait for it (a finished run
 * whose statements are still being rendered), or a clear refusal.
 */
export async function findRunStatement(
  trx: Tx,
  accountId: bigint,
  runId: bigint,
  format: DocumentFormat,
  language: Language,
) {
  const document = await findDocument(trx, accountId, runStatementKey(runId, format, language));
  if (document) return { document };
  const run = await findRun(trx, accountId, runId);
  if (!run) throw new DomainError('run_not_found', 'no such run in this account', { status: 404 });
  if (run.status === 'failed') {
    throw new DomainError('run_failed', 'the run failed; it has no statement', { status: 409 });
  }
  return { pending: { runId: run.id.toString(), status: run.status } };
}

export async function accountTimeZone(trx: Tx, accountId: bigint): Promise<string> {
  const account = await findAccount(trx, accountId);
  if (!account) throw new DomainError('account_not_found', 'no such account', { status: 404 });
  return account.time_zone;
}

async function* untilAborted<Page>(pages: AsyncGenerator<Page>, signal: AbortSignal): AsyncGenerator<Page> {
  for await (const page of pages) {
    signal.throwIfAborted();
    yield page;
  }
}
