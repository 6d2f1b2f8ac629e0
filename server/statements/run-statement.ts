/**
 * A run statement's content, independent of its format: the header, the summary (with every
 * figure that could make a total short — held settlements, vehicles whose lookup failed) and its
 * three tables, read page by page through cursors inside the caller's transaction.
 */
import { z } from 'zod';
import { cursorPages } from '../db/cursor.ts';
import type { Tx } from '../db/tenant.ts';
import type { Language } from '../i18n/messages.ts';
import { type JurisdictionCode, jurisdictions } from '../jurisdictions/profiles.ts';
import { type Currency, currencies } from '../money/money.ts';
import {
  type ChangeLineRow,
  changeLinesQuery,
  countVehicleLines,
  type FailedLookupRow,
  failedLookupVehicles,
  findStatementRun,
  longestTexts,
  type OutstandingTotals,
  outstandingLinesQuery,
  totalChangeLines,
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

export interface RunStatement {
  header: StatementHeader;
  outstanding: OutstandingTotals;
  vehiclesLookedUp: number;
  /** Per change since the previous run; `unchanged` is counted only (it has no lines). */
  changes: ChangeTotal[];
  failed: FailedLookupRow[];
  counts: { vehicles: number; violations: number; changes: number };
  widths: Awaited<ReturnType<typeof longestTexts>>;
  vehicles(): AsyncGenerator<VehicleLineRow[]>;
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
): Promise<RunStatement | undefined> {
  const run = await findStatementRun(trx, accountId, runId);
  if (!run?.finished_at || !['done', 'partial'].includes(run.status)) return undefined;
  const profile = jurisdictions[run.jurisdiction as JurisdictionCode];
  if (profile.escalation.length !== 1) {
    throw new Error(
      `${profile.code}: statements work out one escalation rule, the profile has ${profile.escalation.length}`,
    );
  }
  const rule = profile.escalation[0]!;
  const asOf = run.finished_at;
  const [outstanding, lineTotals, failed, vehicleCount, widths] = [
    await totalOutstandingAsOf(trx, accountId, runId),
    await totalChangeLines(trx, accountId, runId),
    await failedLookupVehicles(trx, accountId, runId),
    await countVehicleLines(trx, accountId, runId, asOf, rule),
    await longestTexts(trx, accountId),
  ];
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
    outstanding,
    vehiclesLookedUp: run.lookups_total,
    changes,
    failed,
    counts: {
      vehicles: vehicleCount,
      violations: outstanding.violations,
      changes: lineTotals.reduce((sum, t) => sum + t.violations, 0),
    },
    widths,
    vehicles: () => cursorPages(trx, vehicleLinesQuery(accountId, runId, asOf, rule)),
    violations: () => cursorPages(trx, outstandingLinesQuery(accountId, runId)),
    changeLines: () => cursorPages(trx, changeLinesQuery(accountId, runId)),
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
