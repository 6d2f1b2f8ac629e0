import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../../server/db/tenant.ts';
import type { AnsweredViolation } from '../../server/runs/answers.ts';
import { insertAnsweredViolations } from '../../server/runs/runs.repo.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount } from '../support/factories.ts';

/**
 * The authority can list one ticket for several plates in one night, answered by different lookup
 * batches in any order (and re-delivered). The stored answer must not depend on that order.
 */
const test = useTestDatabase();

const answer = (vehicleId: bigint, amountMinor: bigint): AnsweredViolation => ({
  vehicleId,
  otherVehicleIds: [],
  ticketNumber: 'JO-20260401-0001',
  offenceAt: '2026-04-01T08:00:00+03:00',
  typeCode: 'SPD',
  descriptionAr: 'تجاوز السرعة',
  descriptionEn: `Speeding, as answered for vehicle ${vehicleId}`,
  location: 'Amman',
  amountMinor,
  currency: 'JOD',
  status: 'unpaid',
  authorityPaymentRef: null,
  preAcquisition: false,
});

describe('a ticket answered for several vehicles in one run', () => {
  it('is kept once, by the lowest vehicle id with its answer, whatever order the batches land in', async () => {
    const account = await makeAccount(test.db, 'JO');
    let runId = 0n;
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([30n, 10n, 20n], { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        async (order, redeliver) => {
          runId += 1n;
          const batches = redeliver ? [...order, order[0]!] : order;
          for (const vehicleId of batches) {
            await withTenant(test.db, account.id, (trx) =>
              insertAnsweredViolations(trx, account.id, runId, [answer(vehicleId, vehicleId * 100n)]),
            );
          }
          const rows = await withTenant(test.db, account.id, (trx) =>
            trx
              .selectFrom('lookup_violations')
              .select(['vehicle_id', 'other_vehicle_ids', 'amount_minor', 'description_en'])
              .where('run_id', '=', runId)
              .execute(),
          );
          expect(rows).toEqual([
            {
              vehicle_id: 10n,
              other_vehicle_ids: ['20', '30'],
              amount_minor: 1000n,
              description_en: 'Speeding, as answered for vehicle 10',
            },
          ]);
        },
      ),
      { seed: 20261201, numRuns: 12 },
    );
  });
});
