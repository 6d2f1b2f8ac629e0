import type { AuthorityViolation, PlateLookup } from '../authority/contract.ts';
import { reasonText } from '../i18n/reasons.ts';

/** A lookup of the batch as the run snapshotted it. */
export interface PendingLookup {
  vehicleId: bigint;
  plateKey: string;
  /** When the vehicle's current period in the fleet began. */
  activeFrom: Date;
  /** Its earlier periods in the fleet (removed, then added again). */
  earlierPeriods: ReadonlyArray<{ from: Date; until: Date }>;
}

/** Whether a fine was incurred while the vehicle was not in the fleet (before it joined, or between periods). */
export function outsideMembership(lookup: PendingLookup, offenceAt: number): boolean {
  if (offenceAt >= lookup.activeFrom.getTime()) return false;
  return !lookup.earlierPeriods.some((p) => offenceAt >= p.from.getTime() && offenceAt < p.until.getTime());
}

/** A lookup's outcome, with what an `ok` answer said about the vehicle (null otherwise). */
export interface LookupOutcome {
  vehicleId: bigint;
  status: 'ok' | 'not_found' | 'failed';
  attempts: number;
  lastError: string | null;
  answered: { violations: number; outstanding: number; outstandingMinor: bigint } | null;
}

/** One raw answer row: one per ticket, kept by the lowest vehicle id that the answer listed it for. */
export interface AnsweredViolation extends AuthorityViolation {
  vehicleId: bigint;
  /** Other vehicles of the batch whose answer listed the same ticket, ascending. */
  otherVehicleIds: bigint[];
  preAcquisition: boolean;
}

const OUTSTANDING = new Set(['unpaid', 'under_objection']);

/**
 * Turns a batch's authority answers into lookup outcomes and raw answer rows. A plate the client
 * gave no answer for failed (nothing is concluded from silence). A ticket listed for several plates
 * of the batch is kept once, by the lowest vehicle id, as the database keeps it across batches.
 */
export function foldBatchAnswers(
  pending: readonly PendingLookup[],
  answers: ReadonlyMap<string, PlateLookup>,
): { outcomes: LookupOutcome[]; violations: AnsweredViolation[] } {
  const byTicket = new Map<string, AnsweredViolation>();
  const outcomes = [...pending]
    .sort((a, b) => (a.vehicleId < b.vehicleId ? -1 : a.vehicleId > b.vehicleId ? 1 : 0))
    .map((lookup): LookupOutcome => {
      const answer: PlateLookup = answers.get(lookup.plateKey) ?? {
        status: 'failed',
        attempts: 0,
        lastError: reasonText('lookup.no_answer'),
      };
      const { vehicleId } = lookup;
      if (answer.status === 'failed') {
        return {
          vehicleId,
          status: 'failed',
          attempts: answer.attempts,
          lastError: answer.lastError,
          answered: null,
        };
      }
      if (answer.status === 'not_found') {
        return { vehicleId, status: 'not_found', attempts: 1, lastError: null, answered: null };
      }
      let outstanding = 0;
      let outstandingMinor = 0n;
      for (const v of answer.violations) {
        if (OUTSTANDING.has(v.status)) {
          outstanding += 1;
          outstandingMinor += v.amountMinor;
        }
        const kept = byTicket.get(v.ticketNumber);
        if (kept) {
          kept.otherVehicleIds.push(vehicleId);
          continue;
        }
        byTicket.set(v.ticketNumber, {
          ...v,
          vehicleId,
          otherVehicleIds: [],
          preAcquisition: outsideMembership(lookup, Date.parse(v.offenceAt)),
        });
      }
      return {
        vehicleId,
        status: 'ok',
        attempts: 1,
        lastError: null,
        answered: { violations: answer.violations.length, outstanding, outstandingMinor },
      };
    });
  return { outcomes, violations: [...byTicket.values()] };
}
