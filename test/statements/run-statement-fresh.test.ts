import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { renderRunStatement } from '../../server/statements/statements.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { plansWithoutStatistics, wholeSetLoops } from '../support/fresh-plans.ts';

const test = useTestDatabase();

/** A first night's fleet: each vehicle looked up, with two new fines. */
const VEHICLES = 1500;

describe("a run's statement, right after the night wrote the run", () => {
  it('is read without a nested loop over the run, statistics or none', async () => {
    const account = await makeAccount(test.db);
    const vehicleIds = await makeVehicles(
      test.db,
      account.id,
      Array.from({ length: VEHICLES }, (_, i) => `JO:10-${300000 + i}`),
    );
    const vehicles = vehicleIds.map(String);
    const { rows } = await sql<{ id: bigint }>`
      insert into runs (account_id, kind, status, lookups_total, lookups_done, finished_at, summary)
      values (${account.id}, 'manual', 'done', ${VEHICLES}, ${VEHICLES}, now(),
              jsonb_build_object('changes', jsonb_build_array(jsonb_build_object(
                'change', 'new', 'violations', ${2 * VEHICLES}::int, 'amountMinor', ${String(2 * VEHICLES * 20000)}::text))))
      returning id`.execute(test.ownerDb);
    const runId = rows[0]!.id;
    await sql`
      insert into lookups (account_id, run_id, vehicle_id, plate_key, vehicle_active_from, batch_no, status, attempts,
                           answered_at)
      select ${account.id}, ${runId}, v, 'JO:' || v, '2020-01-01', 0, 'ok', 1, now()
      from unnest(${vehicles}::bigint[]) as v`.execute(test.ownerDb);
    await sql`
      with fines as (
        select v, 'T-' || v || '-' || n as ticket from unnest(${vehicles}::bigint[]) as v, generate_series(1, 2) n
      ), violations as (
        insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                                description_en, location, amount_minor, currency, authority_status, version,
                                first_seen_run, last_changed_run)
        select ${account.id}, ticket, v, 'outstanding', '2026-05-01', 'SPD', 'سرعة', 'Speeding', 'X', 20000, 'JOD',
               'unpaid', 1, ${runId}, ${runId}
        from fines
      ), versions as (
        insert into violation_versions (account_id, ticket_number, version, run_id, vehicle_id, state, amount_minor,
                                        authority_status, change)
        select ${account.id}, ticket, 1, ${runId}, v, 'outstanding', 20000, 'unpaid', 'new' from fines
      )
      insert into run_changes (account_id, run_id, ticket_number, vehicle_id, change, amount_minor)
      select ${account.id}, ${runId}, ticket, v, 'new', 20000 from fines`.execute(test.ownerDb);

    let rendered = false;
    const statements = await plansWithoutStatistics(test.url, account.id, async (trx) => {
      rendered = await renderRunStatement(trx, account.id, runId, 'xlsx', 'en', new Date(), {
        status: 'unavailable',
        reason: 'not issued in this test',
      });
    });

    expect(rendered).toBe(true);
    const loops = statements.flatMap((s) => wholeSetLoops(s.plan).map((loop) => `${loop}\n  in ${s.query}`));
    expect(loops).toEqual([]);
  });
});
