import { jurisdictions } from '../jurisdictions/profiles.ts';
import { channelCosts } from './due.ts';
import type { LineRow, NumberRow } from './payment-numbers.repo.ts';

/** A payment number (and its lines, when given) as the API answers it. */
export function presentNumber(row: NumberRow, lines?: LineRow[]) {
  const profile = Object.values(jurisdictions).find((j) => j.currency === row.currency)!;
  const due = row.total_minor - row.paid_minor;
  return {
    number: row.number,
    kind: row.kind,
    issuer: row.issuer,
    state: row.state,
    selection: row.selection,
    vehicleId: row.vehicle_id?.toString() ?? null,
    currency: row.currency,
    lineCount: row.line_count,
    totalMinor: row.total_minor.toString(),
    paidMinor: row.paid_minor.toString(),
    dueNowMinor: (due > 0n ? due : 0n).toString(),
    nextDeadlineAt: row.next_deadline_at,
    totalAfterDeadlineMinor: row.total_after_deadline_minor.toString(),
    channels: channelCosts(profile, row.total_minor).map((c) => ({
      channel: c.channel,
      surchargeMinor: c.surchargeMinor.toString(),
      totalMinor: c.totalMinor.toString(),
    })),
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    stateChangedAt: row.state_changed_at,
    runId: row.issued_by_run?.toString() ?? null,
    ...(lines
      ? {
          lines: lines.map((l) => ({
            ticketNumber: l.ticket_number,
            vehicleId: l.vehicle_id.toString(),
            offenceAt: l.offence_at,
            amountMinor: l.amount_minor.toString(),
            nextDeadlineAt: l.next_deadline_at,
            amountAfterDeadlineMinor: l.amount_after_deadline_minor.toString(),
            state: l.state,
            paidMinor: l.paid_minor.toString(),
          })),
        }
      : {}),
  };
}
