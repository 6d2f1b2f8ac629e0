import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { revokeForLateFines } from '../../server/clearances/clearances.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { plansWithoutStatistics, wholeSetLoops } from '../support/fresh-plans.ts';

const test = useTestDatabase();

/** Vehicles, each with a valid clearance and a fine tonight's run brought in from before it. */
const VEHICLES = 2000;

describe('certificates revoked for late fines, right after the night wrote its changes', () => {
  it('are found without a nested loop over the run or the certificates, statistics or none', async () => {
    const account = await makeAccount(test.db);
    const vehicleIds = await makeVehicles(
      test.db,
      account.id,
      Array.from({ length: VEHICLES }, (_, i) => `JO:10-${200000 + i}`),
    );
    const vehicles = vehicleIds.map(String);
    const { rows } = await sql<{ id: bigint }>`
      insert into runs (account_id, kind, status) values (${account.id}, 'manual', 'rendering') returning id`.execute(
      test.ownerDb,
    );
    const runId = rows[0]!.id;
    await sql`
      insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                              description_en, location, amount_minor, currency, authority_status, version,
                              first_seen_run, last_changed_run)
      select ${account.id}, 'T-' || v, v, 'outstanding', '2026-05-01', 'SPD', 'سرعة', 'Speeding', 'X', 20000, 'JOD',
             'unpaid', 1, ${runId}, ${runId}
      from unnest(${vehicles}::bigint[]) as v`.execute(test.ownerDb);
    await sql`
      insert into run_changes (account_id, run_id, ticket_number, vehicle_id, change, amount_minor)
      select ${account.id}, ${runId}, 'T-' || v, v, 'new', 20000 from unnest(${vehicles}::bigint[]) as v`.execute(
      test.ownerDb,
    );
    await sql`
      insert into clearances (account_id, vehicle_id, plate_display, as_of, as_of_run_id, code_hash)
      select ${account.id}, v, 'P' || v, '2026-06-01', ${runId}, encode(sha256(v::text::bytea), 'hex')
      from unnest(${vehicles}::bigint[]) as v`.execute(test.ownerDb);

    let revoked = 0;
    const statements = await plansWithoutStatistics(test.url, account.id, async (trx) => {
      revoked = await revokeForLateFines(trx, account.id, runId);
    });

    expect(revoked).toBe(VEHICLES);
    const revoking = statements.filter((s) => /update clearances/.test(s.query));
    expect(revoking).toHaveLength(1);
    expect(wholeSetLoops(revoking[0]!.plan)).toEqual([]);
  });
});
