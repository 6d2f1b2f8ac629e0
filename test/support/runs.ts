import type { AuthorityViolation, PlateLookup } from '../../server/authority/contract.ts';
import type { AuthorityDirectory, RunSettings } from '../../server/runs/runs.service.ts';

/** Run settings for a test: `batchSize` plates a batch, the guard at 50% of at least 10, the sweep at 30 minutes. */
export const testRunSettings = (batchSize: number): RunSettings => ({
  batchSize,
  guard: { sharePercent: 50, minCount: 10, confirmNights: 3 },
  stuckAfterMinutes: 30,
});

/** An authority answering each plate `ok` with the fines `answer` gives it. */
export const answering = (answer: (plateKey: string) => AuthorityViolation[]): AuthorityDirectory => ({
  forJurisdiction: () => ({
    queryPlates: async (plateKeys) =>
      new Map(
        plateKeys.map((key): [string, PlateLookup] => [key, { status: 'ok', violations: answer(key) }]),
      ),
  }),
});
