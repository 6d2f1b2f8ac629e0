import { describe, expect, it } from 'vitest';
import type { AuthorityViolation } from '../../server/authority/contract.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { runLookupBatch, startRun } from '../../server/runs/runs.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { useJobQueue } from '../support/queue.ts';
import { answering } from '../support/runs.ts';

/**
 * A batch sends each of its descriptive texts once and its rows refer to them by position: every
 * stored answer must still carry exactly the texts the authority gave for it.
 */
const test = useTestDatabase();
const jobs = useJobQueue(test);

const DESCRIPTIONS = [
  { typeCode: 'SPD', descriptionAr: 'تجاوز السرعة المقررة', descriptionEn: 'Speeding' },
  { typeCode: 'PRK', descriptionAr: 'وقوف في مكان ممنوع', descriptionEn: 'Parking where forbidden' },
  // The same English text as another type, and an Arabic text equal to a location below.
  { typeCode: 'BLT', descriptionAr: 'عمان', descriptionEn: 'Speeding' },
];
const LOCATIONS = ['عمان', 'Zarqa, "Army St." {north}', 'Irbid\\University St.', 'Aqaba'];

/** Three fines per plate, their texts picked so that some repeat within the batch and some do not. */
function finesFor(plateIndex: number): AuthorityViolation[] {
  return [0, 1, 2].map((i) => {
    const description = DESCRIPTIONS[(plateIndex + i) % DESCRIPTIONS.length]!;
    return {
      ticketNumber: `JO-20260401-${plateIndex}${i}`,
      offenceAt: '2026-04-01T08:00:00+03:00',
      ...description,
      location: LOCATIONS[(plateIndex * 3 + i) % LOCATIONS.length]!,
      amountMinor: BigInt(1000 * (plateIndex + 1) + i),
      currency: 'JOD',
      status: 'unpaid',
      authorityPaymentRef: null,
    };
  });
}

const plates = ['JO:10-2001', 'JO:10-2002', 'JO:10-2003', 'JO:10-2004'];
const authority = answering((key) => finesFor(plates.indexOf(key)));

describe('a lookup batch stores its answers', () => {
  it('with each answer’s own descriptions and location, repeated texts sent once', async () => {
    const account = await makeAccount(test.db, 'JO');
    const vehicleIds = await makeVehicles(test.db, account.id, plates);
    const run = await withTenant(test.db, account.id, (trx) =>
      startRun(
        trx,
        jobs.queue,
        { accountId: account.id, kind: 'manual', localNight: null, requestedBy: null },
        {
          batchSize: 100,
          guard: { sharePercent: 50, minCount: 10, confirmNights: 3 },
          stuckAfterMinutes: 360,
        },
      ),
    );
    await runLookupBatch(test.db, jobs.queue, authority, {
      accountId: account.id,
      runId: run!.id,
      batchNo: 0,
    });

    const stored = await withTenant(test.db, account.id, (trx) =>
      trx
        .selectFrom('lookup_violations')
        .select([
          'ticket_number',
          'vehicle_id',
          'type_code',
          'description_ar',
          'description_en',
          'location',
          'amount_minor',
        ])
        .where('run_id', '=', run!.id)
        .orderBy('ticket_number')
        .execute(),
    );
    const expected = plates.flatMap((_, p) =>
      finesFor(p).map((f) => ({
        ticket_number: f.ticketNumber,
        vehicle_id: vehicleIds[p],
        type_code: f.typeCode,
        description_ar: f.descriptionAr,
        description_en: f.descriptionEn,
        location: f.location,
        amount_minor: f.amountMinor,
      })),
    );
    expect(stored).toEqual(expected.sort((a, b) => a.ticket_number.localeCompare(b.ticket_number)));
  });
});
