/**
 * A run statement's content, independent of its format: the header, the summary (with every
 * figure that could make a total short — held settlements, vehicles whose lookup failed) and its
 * three tables, read page by page through cursors inside the caller's transaction.
 */
import { z } from 'zod';
import { cursorPages } from '../db/cursor.ts';
import type { Tx } from '../db/tenant.ts';
import type { Language } from '../i18n/messages.ts';
import { type JurisdictionCode, type JurisdictionProfile, jurisdictions } from '../jurisdictions/profiles.ts';
import { applyRate, type Currency, currencies } from '../money/money.ts';
import { lineDue, numberDue } from '../payments/due.ts';
import { zoneOffsetMs } from './format.ts';
import {
  type ChangeLineRow,
  changeLinesQuery,
  countVehicleLines,
  type FailedLookupRow,
  failedLookupVehicles,
  findStatementRun,
  longestTexts,
  type OutstandingTotals,
  openConsolidatedNumber,
  openVehicleNumbersQuery,
  outstandingLinesQuery,
  type PaymentNumberRow,
  totalChangeLines,
  totalOpenVehicleNumbers,
  totalOutstandingAsOf,
  type VehicleLineRow,
  type ViolationLineRow,
  vehicleLinesQuery,
} from './statements.repo.ts';

export const changeOrder = [
  'new',
  'escalated',
  'reduced',
  'settled',
  'cancelled',
  'reappeared',
  'moved',
  'stale',
  'unchanged',
] as const;

export interface StatementHeader {
  account: {
    nameAr: string;
    nameEn: string;
    kind: string;
    registryNumber: string;
    jurisdiction: JurisdictionCode;
    timeZone: string;
  };
  currency: Currency;
  run: { id: bigint; kind: string; status: string; createdAt: Date; finishedAt: Date };
  /** The gateway, or the imported export file that answered the run. */
  source: { kind: 'gateway' } | { kind: 'file'; fileName: string };
  generatedAt: Date;
}

export interface ChangeTotal {
  change: string;
  violations: number;
  amountMinor: bigint;
  held: number;
}

/**
 * How the run's payments stage ended, as its job tells the statements job: numbers issued (some
 * sets may have been refused by the authority), or none to show, and why.
 */
export type PaymentStageOutcome =
  | { status: 'issued'; refused: number }
  | { status: 'unavailable'; reason: string };

/** A vehicle line with what is due now and after its next deadline (server/payments/due.ts). */
export interface StatementVehicleRow extends VehicleLineRow {
  due_now_minor: bigint;
  due_after_deadline_minor: bigint;
  next_deadline_at: Date | null;
}

export interface StatementPayments {
  outcome: PaymentStageOutcome;
  /** The account's open consolidated number, when the stage issued one. */
  consolidated: PaymentNumberRow | undefined;
  /** The open vehicle numbers together: how many, their lines, due now and after their deadlines. */
  vehicleNumbers: { numbers: number; lines: number; total_minor: bigint; after_deadline_minor: bigint };
  numbers(): AsyncGenerator<PaymentNumberRow[]>;
}

/** What a payment number asks for now: its total less what was already paid into it. */
export const numberDueNow = (n: { total_minor: bigint; paid_minor: bigint }) =>
  n.total_minor > n.paid_minor ? n.total_minor - n.paid_minor : 0n;

export interface RunStatement {
  header: StatementHeader;
  payments: StatementPayments;
  outstanding: OutstandingTotals;
  vehiclesLookedUp: number;
  /** Per change since the previous run; `unchanged` is counted only (it has no lines). */
  changes: ChangeTotal[];
  failed: FailedLookupRow[];
  counts: { vehicles: number; violations: number; changes: number };
  widths: Awaited<ReturnType<typeof longestTexts>>;
  vehicles(): AsyncGenerator<StatementVehicleRow[]>;
  violations(): AsyncGenerator<ViolationLineRow[]>;
  changeLines(): AsyncGenerator<ChangeLineRow[]>;
}

const summaryChanges = z.object({
  changes: z.array(
    z.object({ change: z.string(), violations: z.number().int(), amountMinor: z.coerce.bigint() }),
  ),
});

/** A finished run's statement content; undefined for a run that is not finished (or not there). */
export async function loadRunStatement(
  trx: Tx,
  accountId: bigint,
  runId: bigint,
  generatedAt: Date,
  paymentStage: PaymentStageOutcome,
): Promise<RunStatement | undefined> {
  const run = await findStatementRun(trx, accountId, runId);
  if (!run?.finished_at || !['done', 'partial'].includes(run.status)) return undefined;
  const profile = jurisdictions[run.jurisdiction as JurisdictionCode];
  const asOf = run.finished_at;
  const [outstanding, lineTotals, failed, vehicleCount, widths] = [
    await totalOutstandingAsOf(trx, accountId, runId),
    await totalChangeLines(trx, accountId, runId),
    await failedLookupVehicles(trx, accountId, runId),
    await countVehicleLines(trx, accountId, runId),
    await longestTexts(trx, accountId),
  ];
  const issued = paymentStage.status === 'issued';
  const vehicleNumbers = issued
    ? await totalOpenVehicleNumbers(trx, accountId)
    : { numbers: 0, lines: 0, total_minor: 0n, after_deadline_minor: 0n };
  const changeCount = lineTotals.reduce((sum, t) => sum + t.violations, 0);
  // Each table's rows are counted above: a small run's tables are read without cursors.
  const payments: StatementPayments = {
    outcome: paymentStage,
    consolidated: issued ? await openConsolidatedNumber(trx, accountId) : undefined,
    vehicleNumbers,
    numbers: issued
      ? () => cursorPages(trx, openVehicleNumbersQuery(accountId), { expectedRows: vehicleNumbers.numbers })
      : async function* () {},
  };
  const unchanged = summaryChanges.parse(run.summary).changes.find((c) => c.change === 'unchanged');
  const changes = changeOrder.flatMap((change): ChangeTotal[] => {
    if (change === 'unchanged') {
      return unchanged
        ? [{ change, violations: unchanged.violations, amountMinor: unchanged.amountMinor, held: 0 }]
        : [];
    }
    const total = lineTotals.find((t) => t.change === change);
    return total
      ? [{ change, violations: total.violations, amountMinor: total.amount_minor, held: total.held }]
      : [];
  });
  return {
    header: {
      account: {
        nameAr: run.legal_name_ar,
        nameEn: run.legal_name_en,
        kind: run.account_kind,
        registryNumber: run.registry_number,
        jurisdiction: profile.code,
        timeZone: run.time_zone,
      },
      currency: currencies[run.currency as Currency['code']],
      run: {
        id: run.run_id,
        kind: run.run_kind,
        status: run.status,
        createdAt: run.created_at,
        finishedAt: asOf,
      },
      source: run.import_file_name ? { kind: 'file', fileName: run.import_file_name } : { kind: 'gateway' },
      generatedAt,
    },
    payments,
    outstanding,
    vehiclesLookedUp: run.lookups_total,
    changes,
    failed,
    counts: {
      vehicles: vehicleCount,
      violations: outstanding.violations,
      changes: changeCount,
    },
    widths,
    vehicles: async function* () {
      const deadlines = new Map<number, Date | null>();
      const query = vehicleLinesQuery(accountId, runId);
      for await (const page of cursorPages(trx, query, { expectedRows: vehicleCount })) {
        yield page.map((v) => withDue(profile, v, asOf, issued, deadlines));
      }
    },
    violations: async function* () {
      const query = outstandingLinesQuery(accountId, runId);
      for await (const page of cursorPages(trx, query, { expectedRows: outstanding.violations })) {
        yield issued ? page : page.map((v) => ({ ...v, payment_number: null }));
      }
    },
    changeLines: () => cursorPages(trx, changeLinesQuery(accountId, runId), { expectedRows: changeCount }),
  };
}

const DAY_MS = 86_400_000;

/**
 * A vehicle's due amounts as of the run, line by line by the payments module's rules. A line
 * offended more than the longest escalation (plus a day for its local day's start and a zone's
 * clock change) before the run has no deadline ahead, which is what lineDue answers for it: such
 * lines, most of a fleet's, skip its time-zone arithmetic. lineDue's deadline depends on the
 * offence's local day only, so with a profile's single rule it is asked once per local day
 * (`deadlines`, for one statement) and the rule's rate applied to each line.
 */
function withDue(
  profile: JurisdictionProfile,
  vehicle: VehicleLineRow,
  asOf: Date,
  numbersShown: boolean,
  deadlines: Map<number, Date | null>,
): StatementVehicleRow {
  const offences = vehicle.line_offences ?? [];
  const amounts = vehicle.line_amounts ?? [];
  const longest = Math.max(0, ...profile.escalation.map((rule) => rule.afterDays));
  const surelyPast = asOf.getTime() - (longest + 2) * DAY_MS;
  const onlyRule = profile.escalation.length === 1 ? profile.escalation[0]! : undefined;
  const due = numberDue(
    offences.map((at, i) => {
      const amount = BigInt(amounts[i]!);
      if (at < surelyPast)
        return { amountMinor: amount, nextDeadlineAt: null, amountAfterDeadlineMinor: amount };
      if (!onlyRule) return lineDue(profile, new Date(at), amount, asOf);
      const day = Math.floor((at + zoneOffsetMs(profile.timeZone, at)) / DAY_MS);
      let next = deadlines.get(day);
      if (next === undefined) {
        next = lineDue(profile, new Date(at), 0n, asOf).nextDeadlineAt;
        deadlines.set(day, next);
      }
      return {
        amountMinor: amount,
        nextDeadlineAt: next,
        amountAfterDeadlineMinor: next ? applyRate(amount, onlyRule, 'floor') : amount,
      };
    }),
  );
  return {
    ...vehicle,
    payment_number: numbersShown ? vehicle.payment_number : null,
    due_now_minor: due.totalMinor,
    due_after_deadline_minor: due.totalAfterDeadlineMinor,
    next_deadline_at: due.nextDeadlineAt,
  };
}

/** `fleet-statement_<registry>_<local run date>_<lang>.<ext>`: says account, run date and language. */
export function statementFileName(
  header: StatementHeader,
  language: Language,
  extension: 'xlsx' | 'pdf',
): string {
  const date = localDate(header.run.createdAt, header.account.timeZone);
  const registry = header.account.registryNumber.replace(/[^\p{L}\p{N}-]+/gu, '-');
  return `fleet-statement_${registry}_${date}_run-${header.run.id}_${language}.${extension}`;
}

function localDate(at: Date, zone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}
