import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuthorityViolation } from '../../server/authority/contract.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { runLookupBatch, startRun } from '../../server/runs/runs.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { useJobQueue } from '../support/queue.ts';
import { answering } from '../support/runs.ts';

/**
 * The authority can list one ticket for several plates in one night, answered by different lookup
 * batches in any order, some delivered twice. The stored answer must not depend on that order.
 */
const test = useTestDatabase();
const jobs = useJobQueue(test);

const TICKET = 'JO-20260401-0001';
const fine = (plateKey: string, amountMinor: bigint): AuthorityViolation => ({
  ticketNumber: TICKET,
  offenceAt: '2026-04-01T08:00:00+03:00',
  typeCode: 'SPD',
  descriptionAr: 'تجاوز السرعة',
  descriptionEn: `Speeding, as answered for ${plateKey}`,
  location: 'Amman',
  amountMinor,
  currency: 'JOD',
  status: 'unpaid',
  authorityPaymentRef: null,
});

/** An authority that lists the same ticket for every plate, with an amount of its own per plate. */
const listsTheTicketForEveryPlate = answering((key) => [fine(key, BigInt(Number(key.slice(-1)) * 100))]);

describe('a ticket answered for several vehicles in one run', () => {
  it('is kept once, by the lowest vehicle id with its answer, whatever order the batches land in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        async (order, redeliver) => {
          const account = await makeAccount(test.db, 'JO');
          const vehicleIds = await makeVehicles(test.db, account.id, [
            'JO:10-1001',
            'JO:10-1002',
            'JO:10-1003',
          ]);
          const run = await withTenant(test.db, account.id, (trx) =>
            startRun(
              trx,
              jobs.queue,
              { accountId: account.id, kind: 'manual', localNight: null, requestedBy: null },
              {
                batchSize: 1,
                guard: { sharePercent: 50, minCount: 10, confirmNights: 3 },
                stuckAfterMinutes: 360,
              },
            ),
          );
          const batches = redeliver ? [...order, order[0]!] : order;
          for (const batchNo of batches) {
            await runLookupBatch(test.db, jobs.queue, listsTheTicketForEveryPlate, {
              accountId: account.id,
              runId: run!.id,
              batchNo,
            });
          }
          const [stored, progress] = await withTenant(test.db, account.id, async (trx) => [
            await trx
              .selectFrom('lookup_violations')
              .select(['vehicle_id', 'other_vehicle_ids', 'amount_minor', 'description_en'])
              .where('run_id', '=', run!.id)
              .execute(),
            await trx
              .selectFrom('runs')
              .select(['status', 'lookups_done', 'answers_counted'])
              .where('id', '=', run!.id)
              .executeTakeFirstOrThrow(),
          ]);
          expect(stored).toEqual([
            {
              vehicle_id: vehicleIds[0],
              other_vehicle_ids: [vehicleIds[1]!.toString(), vehicleIds[2]!.toString()],
              amount_minor: 100n,
              description_en: 'Speeding, as answered for JO:10-1001',
            },
          ]);
          // The first batch stored the ticket plainly; folding the others in may replace its row, so
          // the run's answer totals are left to the reconciliation to add up.
          expect(progress).toEqual({ status: 'reconciling', lookups_done: 3, answers_counted: false });
        },
      ),
      { seed: 20261201, numRuns: 12 },
    );
  }, 60_000);
});
