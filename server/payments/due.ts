/**
 * What to pay by when, from the jurisdiction profile: a line's amount now, the next escalation
 * deadline still ahead of it and the amount after it, a number's expiry, and what each payment
 * channel costs. Pure; integers only. Issuing works the lines' due amounts out in SQL
 * (payment-numbers.repo.ts); `lineDue` states the rule and the database tests hold the SQL to it.
 *
 * Rounding rules: an escalation rounds down to the minor unit (`floor`, as the authority
 * computes it); a channel surcharge rounds up (`ceil`: the payer is never told less than the
 * counter will charge).
 */
import { DateTime } from 'luxon';
import type { JurisdictionProfile } from '../jurisdictions/profiles.ts';
import { applyRate, sumMinor } from '../money/money.ts';

export interface LineDue {
  amountMinor: bigint;
  /** The next escalation deadline still ahead (local midnight starting its day), or null. */
  nextDeadlineAt: Date | null;
  /** The amount from that deadline on (the same amount when none is ahead). */
  amountAfterDeadlineMinor: bigint;
}

/**
 * A rule escalates a fine still unpaid on the local day `afterDays` after the offence; the
 * amount the authority answers already includes every rule whose day has come.
 */
export function lineDue(
  profile: JurisdictionProfile,
  offenceAt: Date,
  amountMinor: bigint,
  now: Date,
): LineDue {
  const offenceDay = DateTime.fromJSDate(offenceAt, { zone: profile.timeZone }).startOf('day');
  let next: { at: Date; rate: { numerator: number; denominator: number } } | undefined;
  for (const rule of profile.escalation) {
    const at = offenceDay.plus({ days: rule.afterDays }).toJSDate();
    if (at > now && (!next || at < next.at)) next = { at, rate: rule };
  }
  return {
    amountMinor,
    nextDeadlineAt: next?.at ?? null,
    amountAfterDeadlineMinor: next ? applyRate(amountMinor, next.rate, 'floor') : amountMinor,
  };
}

export interface NumberDue {
  totalMinor: bigint;
  totalAfterDeadlineMinor: bigint;
  nextDeadlineAt: Date | null;
}

/** A set of lines due together: their totals now and after the earliest of their deadlines. */
export function numberDue(lines: readonly LineDue[]): NumberDue {
  let nextDeadlineAt: Date | null = null;
  for (const line of lines) {
    if (line.nextDeadlineAt && (!nextDeadlineAt || line.nextDeadlineAt < nextDeadlineAt))
      nextDeadlineAt = line.nextDeadlineAt;
  }
  return {
    totalMinor: sumMinor(lines.map((l) => l.amountMinor)),
    totalAfterDeadlineMinor: sumMinor(lines.map((l) => l.amountAfterDeadlineMinor)),
    nextDeadlineAt,
  };
}

/**
 * When a number with no escalation deadline among its lines expires: after the profile's maximum
 * validity. (A number expires at the earliest deadline among its lines when one comes sooner;
 * the staging works that out in SQL by the same rule as `lineDue`.)
 */
export function maxValidityEnd(profile: JurisdictionProfile, issuedAt: Date): Date {
  return DateTime.fromJSDate(issuedAt).plus({ days: profile.payments.maxValidityDays }).toJSDate();
}

/** What paying `amountMinor` costs through each of the profile's channels. */
export function channelCosts(profile: JurisdictionProfile, amountMinor: bigint) {
  return profile.payments.channels.map((c) => {
    const surcharge = applyRate(
      amountMinor,
      { numerator: c.surchargeNumerator, denominator: c.surchargeDenominator },
      'ceil',
    );
    return { channel: c.channel, surchargeMinor: surcharge, totalMinor: amountMinor + surcharge };
  });
}

/**
 * Spreads a payment over a number's lines oldest first: each line takes what it still needs
 * until the money runs out. Answers per line what it received; anything left over is `excess`.
 */
export function allocateOldestFirst<T extends { offenceAt: Date; ticketNumber: string; dueMinor: bigint }>(
  lines: readonly T[],
  paidMinor: bigint,
): { allocations: Array<{ line: T; paidMinor: bigint }>; excessMinor: bigint } {
  const ordered = [...lines].sort(
    (a, b) => a.offenceAt.getTime() - b.offenceAt.getTime() || (a.ticketNumber < b.ticketNumber ? -1 : 1),
  );
  let left = paidMinor;
  const allocations = ordered.map((line) => {
    const take = left < line.dueMinor ? left : line.dueMinor;
    left -= take;
    return { line, paidMinor: take };
  });
  return { allocations, excessMinor: left };
}
