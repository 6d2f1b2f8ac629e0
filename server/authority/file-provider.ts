import Papa from 'papaparse';
import { type JurisdictionCode, jurisdictions } from '../jurisdictions/profiles.ts';
import { readAnswer } from './answer.ts';
import type { AuthorityProvider, PlateLookup, WireViolation } from './contract.ts';

/**
 * An authority's bulk export (CSV) as an authority provider. Every row goes through the same
 * contract checks as a gateway answer. Coverage rule: a plate with rows is `ok` with those rows;
 * a plate without rows is `ok` with no violations only if the export declares it covers that
 * plate (`coveredPlates`, e.g. from the export's manifest); any other plate is `failed`, because
 * absence from a file proves nothing. The file cannot say a plate is unknown, so it never
 * answers `not_found`.
 *
 * Columns (header names, any order, case-insensitive): plate_key, ticket_number, offence_at
 * (ISO 8601 with offset), type_code, description_ar, description_en, location, amount (major
 * units as printed, e.g. 45.000 or 45), currency, status, payment_ref (may be empty).
 */
export const exportColumns = [
  'plate_key',
  'ticket_number',
  'offence_at',
  'type_code',
  'description_ar',
  'description_en',
  'location',
  'amount',
  'currency',
  'status',
  'payment_ref',
] as const;

export class AuthorityExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthorityExportError';
  }
}

export interface FileProviderOptions {
  jurisdiction: JurisdictionCode;
  csv: string;
  /** Plates the export declares it covers completely. */
  coveredPlates?: Iterable<string>;
}

/** "45.000" → 45000n for 3 minor units; exact, so never through a float. */
export function majorToMinor(text: string, minorUnits: number): bigint | undefined {
  const match = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(text.trim());
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > minorUnits) return undefined;
  return BigInt(match[1]! + fraction.padEnd(minorUnits, '0'));
}

export function createFileAuthorityProvider(options: FileProviderOptions): AuthorityProvider {
  const { jurisdiction } = options;
  const profile = jurisdictions[jurisdiction];
  const parsed = Papa.parse<Record<string, string>>(options.csv.replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: 'greedy',
    transformHeader: (h) => h.trim().toLowerCase(),
  });
  const firstError = parsed.errors[0];
  if (firstError) {
    throw new AuthorityExportError(
      `export is not readable CSV: row ${(firstError.row ?? 0) + 2}: ${firstError.message}`,
    );
  }
  const missing = exportColumns.filter((c) => !parsed.meta.fields?.includes(c));
  if (missing.length > 0) throw new AuthorityExportError(`export lacks column(s): ${missing.join(', ')}`);

  const rowsByPlate = new Map<string, WireViolation[]>();
  const problems = new Map<string, string>();
  parsed.data.forEach((row, index) => {
    const line = index + 2; // header is line 1
    const plateKey = (row.plate_key ?? '').trim();
    if (!plateKey) throw new AuthorityExportError(`line ${line}: plate_key is empty`);
    const amountText = (row.amount ?? '').trim();
    const amount = majorToMinor(amountText, profile.minorUnits);
    if (amount === undefined) {
      problems.set(
        plateKey,
        `export line ${line}: amount ${JSON.stringify(amountText)} is not a ${profile.currency} amount with at most ${profile.minorUnits} decimals`,
      );
      return;
    }
    const violation = {
      ticketNumber: (row.ticket_number ?? '').trim(),
      offenceAt: (row.offence_at ?? '').trim(),
      typeCode: (row.type_code ?? '').trim(),
      descriptionAr: (row.description_ar ?? '').trim(),
      descriptionEn: (row.description_en ?? '').trim(),
      location: (row.location ?? '').trim(),
      amountMinor: amount.toString(),
      currency: (row.currency ?? '').trim(),
      status: (row.status ?? '').trim(),
      authorityPaymentRef: (row.payment_ref ?? '').trim() || null,
    } as WireViolation; // checked against the contract by readAnswer below
    rowsByPlate.set(plateKey, [...(rowsByPlate.get(plateKey) ?? []), violation]);
  });
  const covered = new Set(options.coveredPlates ?? []);

  return {
    async queryPlates(plateKeys) {
      const unique = [...new Set(plateKeys)];
      const answerable = unique.filter((p) => !problems.has(p) && (rowsByPlate.has(p) || covered.has(p)));
      const reading = readAnswer(jurisdiction, answerable, {
        jurisdiction,
        asOf: new Date().toISOString(),
        results: answerable.map((plateKey) => ({
          plateKey,
          status: 'ok',
          violations: rowsByPlate.get(plateKey) ?? [],
        })),
      });
      if (!reading.ok) throw new AuthorityExportError(reading.problem);
      const lookups = new Map<string, PlateLookup>();
      for (const plateKey of unique) {
        const outcome = reading.plates.get(plateKey);
        if (outcome?.kind === 'ok') lookups.set(plateKey, { status: 'ok', violations: outcome.violations });
        else {
          const lastError =
            problems.get(plateKey) ??
            (outcome?.kind === 'retry' ? `export: ${outcome.problem}` : 'plate not covered by the export');
          lookups.set(plateKey, { status: 'failed', attempts: 1, lastError });
        }
      }
      return lookups;
    },
  };
}
