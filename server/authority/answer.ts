import { z } from 'zod';
import { reasonText } from '../i18n/reasons.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import {
  type AuthorityViolation,
  plateResultSchema,
  toAuthorityViolations,
  violationsQueryEnvelopeSchema,
} from './contract.ts';

/**
 * Reads one gateway answer against what was asked. The envelope must be right or the whole answer
 * is refused; after that each plate stands alone: a plate whose entry breaks the contract, is
 * missing, or carries an authority error is `retry` — never an empty `ok`.
 */
export type PlateOutcome =
  | { kind: 'ok'; violations: AuthorityViolation[] }
  | { kind: 'not_found' }
  | { kind: 'retry'; problem: string };

export type AnswerReading = { ok: true; plates: Map<string, PlateOutcome> } | { ok: false; problem: string };

const keyed = z.object({ plateKey: z.string() });

export function readAnswer(
  jurisdiction: JurisdictionCode,
  requested: readonly string[],
  body: unknown,
): AnswerReading {
  const envelope = violationsQueryEnvelopeSchema.safeParse(body);
  if (!envelope.success)
    return {
      ok: false,
      problem: reasonText('lookup.answer_breaks_contract', { detail: summarize(envelope.error) }),
    };
  if (envelope.data.jurisdiction !== jurisdiction) {
    return {
      ok: false,
      problem: reasonText('lookup.answer_other_jurisdiction', {
        answered: envelope.data.jurisdiction,
        asked: jurisdiction,
      }),
    };
  }
  const wanted = new Set(requested);
  const entries = new Map<string, unknown>();
  for (const entry of envelope.data.results) {
    const key = keyed.safeParse(entry);
    if (!key.success) return { ok: false, problem: reasonText('lookup.answer_without_plate_key') };
    const plateKey = key.data.plateKey;
    // A plate we did not ask for, or one answered twice, means answers may be crossed: trust none.
    if (!wanted.has(plateKey))
      return { ok: false, problem: reasonText('lookup.answer_plate_not_asked', { plate: plateKey }) };
    if (entries.has(plateKey))
      return { ok: false, problem: reasonText('lookup.answer_plate_twice', { plate: plateKey }) };
    entries.set(plateKey, entry);
  }
  const plates = new Map<string, PlateOutcome>();
  for (const plateKey of requested) {
    const entry = entries.get(plateKey);
    plates.set(
      plateKey,
      entry === undefined
        ? { kind: 'retry', problem: reasonText('lookup.missing_from_partial') }
        : readPlate(jurisdiction, entry, new Date(envelope.data.asOf)),
    );
  }
  return { ok: true, plates };
}

function readPlate(jurisdiction: JurisdictionCode, entry: unknown, asOf: Date): PlateOutcome {
  const parsed = plateResultSchema.safeParse(entry);
  if (!parsed.success)
    return {
      kind: 'retry',
      problem: reasonText('lookup.plate_breaks_contract', { detail: summarize(parsed.error) }),
    };
  const result = parsed.data;
  switch (result.status) {
    case 'not_found':
      return { kind: 'not_found' };
    case 'error':
      return {
        kind: 'retry',
        problem: reasonText('lookup.authority_error', { code: result.code, detail: result.message }),
      };
    case 'ok': {
      const checked = toAuthorityViolations(jurisdiction, result.violations, asOf);
      return checked.ok
        ? { kind: 'ok', violations: checked.violations }
        : { kind: 'retry', problem: checked.problem };
    }
  }
}

function summarize(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
