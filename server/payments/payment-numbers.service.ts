import type { AuthorityIssuer } from '../authority/issuance-client.ts';
import type { Database } from '../db/database.ts';
import { DomainError } from '../errors.ts';
import { bilingual } from '../i18n/messages.ts';
import { type IssueKindsRequest, type IssueOutcome, type IssueRequest, issuanceFor } from './issuance.ts';
import { issueInline } from './issuance-inline.ts';
import type { PaymentNumberKind } from './payment-number.ts';
import type { Selection } from './payment-numbers.repo.ts';

function nothingPayable(kind: PaymentNumberKind, selection: Selection) {
  return new DomainError('payments.nothing_payable', bilingual('payments.nothing_payable'), {
    status: 422,
    details: { kind, selection },
  });
}

/**
 * Payment numbers for a selection: one per vehicle, per violation, or one for all of it, each an
 * exact frozen set of the payable lines (issueNumbers). Throws `payments.nothing_payable` when
 * the selection has no payable line.
 */
export async function issuePaymentNumbers(
  db: Database,
  issuer: AuthorityIssuer,
  request: IssueRequest,
): Promise<IssueOutcome> {
  const { kind, ...rest } = request;
  const [outcome] = await issueNumbers(db, issuer, { ...rest, kinds: [kind] });
  if (!outcome) throw nothingPayable(kind, request.selection);
  return outcome;
}

/**
 * Payment numbers of each kind for a selection, each an exact frozen set of the payable lines;
 * null for a kind with nothing payable. The sets are staged with what each line is due worked
 * out in SQL; a set that already has an open number answers it; the others are issued by the
 * authority in batched calls made outside any transaction (idempotent per set: the key names the
 * account, kind, line set and how many numbers that set had before), or by the product as payment
 * orders where the authority issues no such kind or the set has more tickets than one authority
 * number may cover (MAX_TICKETS_PER_NUMBER). Recording, under the account's lock, drops the
 * sets that changed meanwhile and skips those that have an open number by then (the
 * one-open-number constraint stands behind it), so fifty requests at once, a retried job, or an
 * answer lost mid-call all end with one open number per set. An authority that cannot be reached
 * throws and records nothing; one that answers a number the account already has throws
 * `payments.authority_number_reused` and records nothing.
 *
 * Either way every kind is staged in one transaction and recorded in one more: a small selection
 * (up to `inlineLines` lines) inline, a bigger one in session tables, so staging and recording
 * share one connection.
 */
export function issueNumbers(
  db: Database,
  issuer: AuthorityIssuer,
  request: IssueKindsRequest,
): Promise<Array<IssueOutcome | null>> {
  return issueInline(issuanceFor(db, issuer, request));
}
