import { DateTime } from 'luxon';
import { applyRate } from '../money/money.ts';
import type { EscalationRule } from './profiles.ts';

/**
 * When an unpaid fine escalates under a rule: the start of the local day `afterDays` after the
 * offence's local day (the authority counts days, not hours). Paying before it keeps the fine at
 * its amount; after it, the rule's multiplier applies (rounded down, as the authority does).
 */
export function escalationDeadline(offenceAt: Date, timeZone: string, rule: EscalationRule) {
  return DateTime.fromJSDate(offenceAt, { zone: timeZone })
    .startOf('day')
    .plus({ days: rule.afterDays })
    .toJSDate();
}

export function escalatedAmount(amountMinor: bigint, rule: EscalationRule): bigint {
  return applyRate(amountMinor, rule, 'floor');
}
