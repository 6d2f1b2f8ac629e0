import { z } from 'zod';
import { id, minorUnits, nextCursor, timestamp } from '../http/answers.ts';

const tally = z.object({ violations: z.number().int(), amountMinor: minorUnits });
/** Violations and amounts of one kind of change, with how many of them are held. */
const changeTally = z.object({
  change: z.string(),
  violations: z.number().int(),
  amountMinor: minorUnits,
  held: z.number().int(),
});

/** What a run concluded, written when it reconciles (null before). */
const runSummary = z.object({
  changes: z.array(changeTally),
  outstanding: tally,
  outsideFleet: tally,
  reconcileMs: z.number(),
  failedVehicles: z.array(
    z.object({
      vehicleId: id,
      plateKey: z.string(),
      reason: z.string().describe('why its lookup failed, as stored (English)'),
      reasonAr: z
        .string()
        .describe('the reason in Arabic, from the catalogue (as stored where none words it)'),
      attempts: z.number().int(),
    }),
  ),
  heldSettlements: z.number().int(),
  suspicionsClosed: z.array(
    z.object({
      exceptionId: id,
      resolution: z.string(),
      settled: z.number().int(),
      keptOutstanding: z.number().int(),
    }),
  ),
});

export const runAnswer = z.object({
  id,
  kind: z.enum(['scheduled', 'manual', 'import']),
  localNight: z.string().nullable().describe('the night (YYYY-MM-DD) of a nightly run'),
  status: z.enum(['fetching', 'reconciling', 'issuing', 'rendering', 'done', 'partial', 'failed']),
  progress: z.object({
    fetching: z.object({ done: z.number().int(), total: z.number().int(), failed: z.number().int() }),
    reconciling: z.object({ done: z.number().int(), total: z.number().int() }),
  }),
  createdAt: timestamp,
  snapshottedAt: timestamp.nullable(),
  fetchedAt: timestamp.nullable(),
  reconciledAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  summary: runSummary.nullable(),
  error: z.string().nullable().describe('why the run failed, as stored (English)'),
  errorAr: z
    .string()
    .nullable()
    .describe('the reason in Arabic, from the catalogue (as stored where none words it)'),
});

const importFacts = {
  fileName: z.string(),
  format: z.enum(['csv', 'xlsx']),
  sha256: z.string(),
  coversAllPlates: z.boolean(),
};

/** One run; an imported run says which file answered it. */
export const runDetailAnswer = runAnswer.extend({
  import: z.object({ ...importFacts, importedAt: timestamp }).optional(),
});

export const abortedRunAnswer = runDetailAnswer.extend({ abortedFrom: z.string() });

export const importedRunAnswer = runAnswer.extend({
  import: z.object({
    ...importFacts,
    rows: z.number().int(),
    plates: z.number().int(),
    platesInFleet: z.number().int(),
  }),
});

export const runsAnswer = z.object({ runs: z.array(runAnswer) });

export const dashboardAnswer = z.object({
  currency: z.string(),
  timeZone: z.string(),
  outstanding: tally,
  outsideFleet: tally,
  lastRun: runAnswer.nullable(),
  activeRun: runAnswer.nullable(),
  nextScheduledRun: timestamp,
  deadlines: z.array(
    z.object({
      ticketNumber: z.string(),
      vehicleId: id,
      plateKey: z.string(),
      offenceAt: timestamp,
      escalatesAt: timestamp,
      amountMinor: minorUnits,
      escalatedAmountMinor: minorUnits,
      savesMinor: minorUnits,
    }),
  ),
  openExceptions: z.number().int(),
  history: z.array(
    z.object({
      runId: id,
      kind: z.string(),
      localNight: z.string().nullable(),
      finishedAt: timestamp.nullable(),
      violations: z.number().int(),
      amountMinor: minorUnits,
    }),
  ),
});

export const runChangesAnswer = z.object({
  changes: z.array(
    z.object({
      ticketNumber: z.string(),
      vehicleId: id,
      plateKey: z.string(),
      previousVehicleId: id.nullable(),
      change: z.string(),
      held: z.boolean(),
      previousAmountMinor: minorUnits.nullable(),
      amountMinor: minorUnits,
      preAcquisition: z.boolean(),
    }),
  ),
  nextCursor,
});

export const runVehiclesAnswer = z.object({
  vehicles: z.array(
    z.object({
      vehicleId: id,
      plateKey: z.string(),
      lookup: z.object({
        status: z.enum(['pending', 'ok', 'not_found', 'failed']),
        attempts: z.number().int(),
        lastError: z.string().nullable().describe('why the lookup failed, as stored (English)'),
        lastErrorAr: z
          .string()
          .nullable()
          .describe('the reason in Arabic, from the catalogue (as stored where none words it)'),
        answeredAt: timestamp.nullable(),
      }),
      answered: z
        .object({ violations: z.number().int(), outstanding: z.number().int(), outstandingMinor: minorUnits })
        .nullable(),
      changes: z.array(changeTally),
    }),
  ),
  nextCursor,
});
