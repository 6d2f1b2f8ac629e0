import { recordStageExceptions } from '../alerts/run-events.service.ts';
import type { AuthorityIssuer } from '../authority/issuance-client.ts';
import type { Database } from '../db/database.ts';
import { type Tx, withTenant } from '../db/tenant.ts';
import type { JurisdictionProfile } from '../jurisdictions/profiles.ts';
import type { JobQueue } from '../queue.ts';
import { recordRunEnded } from '../runs/run-metrics.service.ts';
import { wakeWaitingRun } from '../runs/runs.service.ts';
import type { IssueOutcome } from './issuance.ts';
import { issueNumbers } from './payment-numbers.service.ts';
import { finishIssuingRun } from './payment-stage.repo.ts';
import { paymentJobs } from './payments.jobs.ts';
import { confirmSettledLines, flagPaidStillOutstanding, flagSettledWithoutPayment } from './payments.repo.ts';

export interface PaymentStageSummary {
  confirmedLines: number;
  paidStillOutstanding: number;
  settledWithoutPayment: number;
  vehicleNumbers: { issued: number; open: number; refused: number };
  consolidated: { issued: number; open: number; refused: number };
}

/**
 * The pipeline stage after reconciliation: lines paid through us that the run saw settled are
 * confirmed; paid lines still outstanding after the profile's days, and settlements with no
 * payment of ours, become exceptions; then every vehicle with payable lines gets its number and
 * the account its consolidated one (numbers whose lines changed are superseded on the way).
 * Rerunnable: a second delivery confirms and flags nothing new and finds every number open.
 * `next` starts the pipeline's next stage (the run's statements) once the numbers are recorded.
 */
export async function issueAfterRun(
  db: Database,
  issuer: AuthorityIssuer,
  job: { accountId: bigint; runId: bigint },
  now: Date,
  next?: (trx: Tx, summary: PaymentStageSummary) => Promise<void>,
): Promise<PaymentStageSummary> {
  const { accountId, runId } = job;
  let checked = { confirmedLines: 0, paidStillOutstanding: 0, settledWithoutPayment: 0 };
  // The checks run in the issuing's first transaction, under its lock on the account's violations.
  const checks = async (trx: Tx, profile: JurisdictionProfile) => {
    const confirmedLines = await confirmSettledLines(trx, accountId);
    const paidStillOutstanding = await flagPaidStillOutstanding(
      trx,
      accountId,
      runId,
      now,
      profile.payments.paidStillOutstandingDays,
    );
    const settledWithoutPayment = await flagSettledWithoutPayment(trx, accountId, runId);
    // The night's alerts are written at reconciliation; the exceptions opened here join them.
    if (paidStillOutstanding + settledWithoutPayment > 0) await recordStageExceptions(trx, accountId, runId);
    checked = { confirmedLines, paidStillOutstanding, settledWithoutPayment };
  };
  const summaryOf = (outcomes: Array<IssueOutcome | null>): PaymentStageSummary => {
    const [vehicleNumbers, consolidated] = outcomes.map((outcome) =>
      outcome
        ? { issued: outcome.issued, open: outcome.open, refused: outcome.refused.length }
        : { issued: 0, open: 0, refused: 0 },
    ) as [PaymentStageSummary['vehicleNumbers'], PaymentStageSummary['consolidated']];
    return { ...checked, vehicleNumbers, consolidated };
  };
  // `next` runs in the transaction that ends the issuing (no transaction of its own).
  const outcomes = await issueNumbers(db, issuer, {
    accountId,
    kinds: ['vehicle', 'consolidated'],
    selection: { scope: 'account' },
    now,
    runId,
    countOnly: true,
    first: checks,
    last: next ? (trx, issued) => next(trx, summaryOf(issued)) : undefined,
  });
  return summaryOf(outcomes);
}

/**
 * The run's payment stage as the `payments.issue` job runs it: the run shows `issuing` from the
 * end of reconciliation (markRunIssuing, in that transaction) until here. It ends in the
 * transaction that records the stage's outcome, wakes a run waiting behind it and starts the next
 * stage (`next`), so the next stage always sees a finished run. It ends after a failed attempt
 * too (the job retries the issuing; the run does not wait for it), so no run stays `issuing`.
 */
export async function runPaymentStage(
  db: Database,
  queue: JobQueue,
  issuer: AuthorityIssuer | undefined,
  job: { accountId: bigint; runId: bigint },
  now: Date,
  next?: (trx: Tx, summary: PaymentStageSummary) => Promise<void>,
): Promise<PaymentStageSummary> {
  const endStage = async (trx: Tx) => {
    const ending = await finishIssuingRun(trx, job.accountId, job.runId);
    if (ending) await wakeWaitingRun(trx, queue, job.accountId);
    return ending;
  };
  // Set once the transaction that ended the stage has committed.
  let ended = false;
  let endedHere = false;
  try {
    if (!issuer) throw new Error('payments.issue needs the authority issuance client in the job context');
    let ending = false;
    const summary = await issueAfterRun(db, issuer, job, now, async (trx, done) => {
      ending = await endStage(trx);
      if (next) await next(trx, done);
    });
    ended = true;
    endedHere = ending;
    return summary;
  } finally {
    if (!ended) endedHere = await withTenant(db, job.accountId, endStage);
    if (endedHere) await recordRunEnded(db, job);
  }
}

/**
 * A payment stage lost past the stuck limit (its job dead-lettered, or its worker killed with no
 * retry left): the run ends as a failed attempt ends it, the run waiting behind it wakes, and the
 * stage is sent again, so the night's numbers are still issued and its statements show them (the
 * stage is rerunnable and finds the run ended). Answers whether the run was still issuing.
 */
export async function resumeLostPaymentStage(
  trx: Tx,
  queue: JobQueue,
  accountId: bigint,
  runId: bigint,
): Promise<boolean> {
  if (!(await finishIssuingRun(trx, accountId, runId))) return false;
  await wakeWaitingRun(trx, queue, accountId);
  await queue.send(trx, paymentJobs.issue, [{ accountId: accountId.toString(), runId: runId.toString() }]);
  return true;
}
