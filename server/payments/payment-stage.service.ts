import { findAccount } from '../accounts/accounts.repo.ts';
import type { AuthorityIssuer } from '../authority/issuance-client.ts';
import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { type JurisdictionCode, jurisdictions } from '../jurisdictions/profiles.ts';
import { lockAccountViolations } from '../runs/runs.repo.ts';
import { issuePaymentNumbers } from './payment-numbers.service.ts';
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
 */
export async function issueAfterRun(
  db: Database,
  issuer: AuthorityIssuer,
  job: { accountId: bigint; runId: bigint },
  now: Date,
): Promise<PaymentStageSummary> {
  const { accountId, runId } = job;
  const checked = await withTenant(db, accountId, async (trx) => {
    const account = await findAccount(trx, accountId);
    const profile = jurisdictions[account!.jurisdiction as JurisdictionCode];
    await lockAccountViolations(trx, accountId);
    const confirmedLines = await confirmSettledLines(trx, accountId);
    const paidStillOutstanding = await flagPaidStillOutstanding(
      trx,
      accountId,
      runId,
      now,
      profile.payments.paidStillOutstandingDays,
    );
    const settledWithoutPayment = await flagSettledWithoutPayment(trx, accountId, runId);
    return { confirmedLines, paidStillOutstanding, settledWithoutPayment };
  });
  const issue = async (kind: 'vehicle' | 'consolidated') => {
    try {
      const outcome = await issuePaymentNumbers(db, issuer, {
        accountId,
        kind,
        selection: { scope: 'account' },
        now,
        runId,
      });
      return { issued: outcome.issued, open: outcome.numbers.length, refused: outcome.refused.length };
    } catch (error) {
      if (error instanceof DomainError && error.code === 'payments.nothing_payable')
        return { issued: 0, open: 0, refused: 0 };
      throw error;
    }
  };
  const vehicleNumbers = await issue('vehicle');
  const consolidated = await issue('consolidated');
  return { ...checked, vehicleNumbers, consolidated };
}
