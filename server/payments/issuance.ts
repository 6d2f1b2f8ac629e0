/**
 * What both ways of issuing payment numbers share (issuance-inline.ts for a small selection,
 * issuance-staged.ts for a big one): the request, how a kind's numbers are recorded, which sets the
 * authority numbers, asking it for them, and the product's own payment orders for the rest.
 */
import { findAccount } from '../accounts/accounts.repo.ts';
import { MAX_TICKETS_PER_NUMBER } from '../authority/contract.ts';
import type { AuthorityIssuer, IssuanceItem } from '../authority/issuance-client.ts';
import type { Database } from '../db/database.ts';
import type { Tx } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { bilingual } from '../i18n/messages.ts';
import { type JurisdictionCode, type JurisdictionProfile, jurisdictions } from '../jurisdictions/profiles.ts';
import { maxValidityEnd } from './due.ts';
import { composePaymentNumber, type PaymentNumberKind, PRODUCT_ISSUER_DIGIT } from './payment-number.ts';
import {
  type IssuedNumber,
  isNumberReused,
  type NumberRow,
  nextPaymentOrderSerials,
  type RecordingMeta,
  type Selection,
} from './payment-numbers.repo.ts';
import { type DueRules, INLINE_STAGING_LINES, type StagedGroup } from './payment-staging.repo.ts';

export interface IssueRequest {
  accountId: bigint;
  kind: PaymentNumberKind;
  selection: Selection;
  now: Date;
  runId?: bigint | null;
  requestedBy?: bigint | null;
  /** Selections up to this many lines are staged inline (default INLINE_STAGING_LINES); 0 stages in tables. */
  inlineLines?: number;
  /** Answer how many numbers are open, not the numbers themselves (the nightly stage). */
  countOnly?: boolean;
}

/** Numbers of several kinds for one selection, issued together (the nightly stage's vehicle and consolidated numbers). */
export interface IssueKindsRequest extends Omit<IssueRequest, 'kind'> {
  kinds: readonly PaymentNumberKind[];
  /** Runs first in the first transaction, under the account's violations lock (the nightly stage's checks). */
  first?: (trx: Tx, profile: JurisdictionProfile) => Promise<void>;
  /**
   * Runs last in the transaction that ends the request, given its outcomes (the nightly stage ends
   * its run there): the one that records the numbers, or the first one when every set already has
   * its open number.
   */
  last?: (trx: Tx, outcomes: Array<IssueOutcome | null>) => Promise<void>;
}

export interface IssueOutcome {
  /** The open numbers of the selection's sets (none with `countOnly`). */
  numbers: NumberRow[];
  /** How many numbers of the selection's sets are open. */
  open: number;
  /** Numbers this call recorded (the rest were already open for the same sets). */
  issued: number;
  /** Sets the authority refused, with its reason; they get no number. */
  refused: Array<{ lines: number; code: string; message: string }>;
  jurisdiction: JurisdictionCode;
}

export async function accountProfile(trx: Tx, accountId: bigint): Promise<JurisdictionProfile> {
  const account = await findAccount(trx, accountId);
  if (!account) throw new DomainError('account_not_found', 'no such account', { status: 404 });
  return jurisdictions[account.jurisdiction as JurisdictionCode];
}

export function dueRules(profile: JurisdictionProfile, now: Date): DueRules {
  return {
    timeZone: profile.timeZone,
    escalation: [...profile.escalation].sort((x, y) => x.afterDays - y.afterDays),
    validUntil: maxValidityEnd(profile, now),
  };
}

/** The open numbers as answered: rows, or only how many. */
export function answered(open: NumberRow[] | number) {
  return typeof open === 'number' ? { numbers: [], open } : { numbers: open, open: open.length };
}

/**
 * Recording, with a number the authority answered twice (one the account already has, for
 * another set) reported as its fault.
 */
export async function reportingReusedNumbers<T>(record: () => Promise<T>): Promise<T> {
  try {
    return await record();
  } catch (error) {
    if (!isNumberReused(error)) throw error;
    throw new DomainError('payments.authority_number_reused', bilingual('payments.authority_number_reused'), {
      status: 502,
      cause: error,
    });
  }
}

/** What the authority (or the product, as payment orders) is asked for, for one kind's sets without a number. */
export interface Pending {
  kind: PaymentNumberKind;
  missing: StagedGroup[];
  ticketsByGroup: Map<string, IssuanceItem['tickets']>;
}

/** One issuing request as both paths use it. */
export type Issuance = ReturnType<typeof issuanceFor>;

export function issuanceFor(db: Database, issuer: AuthorityIssuer, request: IssueKindsRequest) {
  const { accountId, selection, now } = request;
  const limit = request.inlineLines ?? INLINE_STAGING_LINES;
  const meta = (kind: PaymentNumberKind, profile: JurisdictionProfile): RecordingMeta => ({
    accountId,
    kind,
    selection,
    currency: profile.currency,
    now,
    runId: request.runId ?? null,
    requestedBy: request.requestedBy ?? null,
  });
  // The product numbers a set itself where the authority issues no such kind, or where the set has
  // more tickets than one authority number may cover (the contract's limit): such a set is never sent.
  const byAuthority = (kind: PaymentNumberKind, profile: JurisdictionProfile, g: StagedGroup) =>
    (kind !== 'consolidated' || profile.payments.authorityIssuesConsolidated) &&
    g.line_count <= MAX_TICKETS_PER_NUMBER;

  /** The authority's numbers for the sets without one that it numbers (byAuthority). */
  async function ask(profile: JurisdictionProfile, pending: Pending) {
    const issued: IssuedNumber[] = [];
    const refused: IssueOutcome['refused'] = [];
    const { kind } = pending;
    const missing = pending.missing.filter((g) => byAuthority(kind, profile, g));
    if (missing.length === 0) return { issued, refused };
    const keyOf = (g: StagedGroup) => `${accountId}:${kind}:${g.line_hash}:${g.generation}`;
    const outcomes = await issuer.issue(
      profile.code,
      missing.map((g) => ({ key: keyOf(g), kind, tickets: pending.ticketsByGroup.get(g.group_key) ?? [] })),
    );
    for (const g of missing) {
      const outcome = outcomes.get(keyOf(g))!;
      if (outcome.status === 'issued')
        issued.push({
          groupKey: g.group_key,
          number: outcome.number,
          issuer: 'authority',
          authorityExpiresAt: outcome.expiresAt,
        });
      else refused.push({ lines: g.line_count, code: outcome.code, message: outcome.message });
    }
    return { issued, refused };
  }

  /** Payment orders of the product's own for the sets without a number that the authority does not number. */
  async function ownNumbers(trx: Tx, profile: JurisdictionProfile, pending: Pending, issued: IssuedNumber[]) {
    const own = pending.missing.filter((g) => !byAuthority(pending.kind, profile, g));
    if (own.length === 0) return;
    const serials = await nextPaymentOrderSerials(trx, own.length);
    own.forEach((g, i) => {
      issued.push({
        groupKey: g.group_key,
        number: composePaymentNumber(pending.kind, PRODUCT_ISSUER_DIGIT, serials[i]!),
        issuer: 'product',
        authorityExpiresAt: null,
      });
    });
  }

  return { db, request, limit, meta, byAuthority, ask, ownNumbers };
}
