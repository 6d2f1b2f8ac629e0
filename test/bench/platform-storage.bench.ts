import { sql } from 'kysely';
import { createAccount } from '../../server/accounts/accounts.service.ts';
import { loadConfig } from '../../server/config.ts';
import type { Database } from '../../server/db/database.ts';
import { asOperator, withTenant } from '../../server/db/tenant.ts';
import { runNightlyMaintenance } from '../../server/maintenance/maintenance.service.ts';
import { applyDiff, diffAnswers } from '../../server/runs/reconcile.repo.ts';
import { lockAccountViolations } from '../../server/violations/violations.repo.ts';
import type { Bench } from './harness.ts';

const VEHICLES = Number(process.env.BENCH_STORAGE_VEHICLES ?? 50_000);
const NIGHTS = Number(process.env.BENCH_STORAGE_NIGHTS ?? 60);
/** Fines per vehicle the authority lists every night. */
const FINES_PER_VEHICLE = 5;
const MB = 1024 * 1024;

/** Maintenance at 03:30 in Amman on night k: the clock is passed in, so 60 nights take minutes. */
const nightAt = (k: number) => new Date(Date.parse('2027-01-01T00:30:00Z') + k * 86_400_000);

/** Bytes of a table with all its partitions and indexes. */
async function tableBytes(db: Database, table: string): Promise<number> {
  const { rows } = await sql<{ bytes: string }>`
    select coalesce((select sum(pg_total_relation_size(relid)) from pg_partition_tree(${table}::regclass)),
                    pg_total_relation_size(${table}::regclass))::text as bytes`.execute(db);
  return Number(rows[0]!.bytes);
}

async function databaseBytes(db: Database): Promise<number> {
  const { rows } = await sql<{
    bytes: string;
  }>`select pg_database_size(current_database())::text as bytes`.execute(db);
  return Number(rows[0]!.bytes);
}

/**
 * One night's rows as a run writes them, generated set-based instead of looked up: the fleet's
 * lookups, the authority's raw answers (every listed fine of every vehicle, as it answers each
 * night), then the real reconciliation (diffAnswers + applyDiff) writes the change lines,
 * violations and versions. Each night about 1% of vehicles get a new fine and 5% see one escalate.
 */
async function simulateNight(db: Database, accountId: bigint, k: number): Promise<bigint> {
  return withTenant(db, accountId, async (trx) => {
    const { rows } = await sql<{ id: bigint }>`
      insert into runs (account_id, kind, status, lookups_total, lookups_done, snapshotted_at, fetched_at)
      values (${accountId}, 'manual', 'reconciling', ${VEHICLES}, ${VEHICLES}, now(), now())
      returning id`.execute(trx);
    const runId = rows[0]!.id;
    await sql`
      insert into lookups (account_id, run_id, vehicle_id, plate_key, vehicle_active_from, batch_no, status,
                           attempts, answered_at, answered_violations, answered_outstanding, answered_outstanding_minor)
      select account_id, ${runId}, id, plate_key, active_from, (row_number() over (order by id) - 1) / 100, 'ok',
             1, now(), ${FINES_PER_VEHICLE}, ${FINES_PER_VEHICLE}, ${FINES_PER_VEHICLE * 5000}
      from vehicles where account_id = ${accountId}`.execute(trx);
    await sql`
      insert into lookup_violations (account_id, run_id, vehicle_id, ticket_number, offence_at, type_code,
                                     description_ar, description_en, location, amount_minor, currency,
                                     authority_status)
      select ${accountId}, ${runId}, v.id, f.ticket, timestamptz '2026-06-01' + (v.id % 97) * interval '1 day',
             'SPD-' || (v.id % 7), 'تجاوز السرعة المقررة على الطريق بأكثر من ٢٠ كم/س',
             'Exceeding the posted speed limit by more than 20 km/h', 'شارع الملكة رانيا، عمان — Queen Rania St, Amman',
             5000 + case when f.escalates then 2500 * ((${k} - f.since) / 20 + 1) else 0 end, 'JOD', 'unpaid'
      from vehicles v
      cross join lateral (
        select 'B' || v.id || '-' || i as ticket, 1 as since, i = 1 and v.id % 20 < 1 as escalates
        from generate_series(1, ${FINES_PER_VEHICLE}) i
        union all
        select 'N' || v.id || '-' || n, n, false from generate_series(1, ${k}) n where v.id % 100 = n % 100
      ) f
      where v.account_id = ${accountId}`.execute(trx);
    await lockAccountViolations(trx, accountId);
    await diffAnswers(trx, accountId, runId);
    await applyDiff(trx, accountId, runId, { sharePercent: 90, minCount: 1000, confirmNights: 2 });
    await sql`
      update runs set status = 'done', reconciled_at = now(), finished_at = now()
      where account_id = ${accountId} and id = ${runId}`.execute(trx);
    return runId;
  });
}

export const platformStorageBenches: Bench[] = [
  {
    name: 'platform.storage',
    description: `${NIGHTS} simulated nights of a ${VEHICLES.toLocaleString('en')}-vehicle account (${FINES_PER_VEHICLE} fines a vehicle; rows generated set-based, reconciled by the real diff), nightly maintenance with the default retention`,
    async run({ db, env, record }) {
      const retention = loadConfig({ ...env }, []).maintenance.retention;
      const { account } = await asOperator(db, (trx) =>
        createAccount(
          trx,
          {
            kind: 'company',
            legalNameAr: 'شركة التخزين',
            legalNameEn: 'Storage Bench Co.',
            registryNumber: `STORAGE-${Date.now()}`,
            jurisdiction: 'JO',
            owner: { email: `storage.${Date.now()}@bench.test` },
          },
          null,
        ),
      );
      const accountId = BigInt(account.id);
      await sql`
        insert into vehicles (account_id, plate_key, plate, plate_display, active_from)
        select ${accountId}, k, jsonb_build_object('key', k), k, '2020-01-01'
        from (select 'JO:' || (10 + g % 80) || '-' || (100000 + g) as k from generate_series(1, ${VEHICLES}) g) p`.execute(
        db,
      );
      const before = await databaseBytes(db);
      let droppedBytes = 0;
      let largestNight = { answers: 0, lookups: 0 };
      const started = Date.now();
      for (let k = 1; k <= NIGHTS; k++) {
        const outcome = await runNightlyMaintenance(db, nightAt(k), 'Asia/Amman', retention);
        for (const p of outcome.partitions ?? []) if (p.outcome === 'dropped') droppedBytes += p.bytes;
        const runId = await simulateNight(db, accountId, k);
        if (k === 1 || k === NIGHTS) {
          // The night's own partitions; nights grow a little as new fines accumulate, so the
          // bound takes the larger of the first and the last.
          const range = runId / 1_000_000n;
          const answers = await tableBytes(db, `lookup_violations_r${range}`);
          const lookups = await tableBytes(db, `lookups_r${range}`);
          largestNight = {
            answers: Math.max(largestNight.answers, answers),
            lookups: Math.max(largestNight.lookups, lookups),
          };
        }
        if (k % 10 === 0 || k === NIGHTS) {
          console.log(
            `  night ${k}: database ${Math.round((await databaseBytes(db)) / MB)} MB, dropped so far ${Math.round(droppedBytes / MB)} MB (${Math.round((Date.now() - started) / 1000)} s)`,
          );
        }
      }
      await sql`vacuum analyze`.execute(db);
      const after = await databaseBytes(db);
      const perNight = {
        answers: await tableBytes(db, 'lookup_violations'),
        lookups: await tableBytes(db, 'lookups'),
      };
      const keptForever = {
        violations: await tableBytes(db, 'violations'),
        versions: await tableBytes(db, 'violation_versions'),
        changes: await tableBytes(db, 'run_changes'),
      };
      // The bound: what the retention lets stay of the per-night tables (nights kept plus tonight's,
      // at the larger of the first and last night's size), plus everything else as it stands (the fleet, violations and
      // their versions, the change lines, which grow with changes, not nights), plus a tenth for
      // the free space PostgreSQL keeps in updated tables.
      const retained =
        Math.min(retention.answersDays + 2, NIGHTS) * largestNight.answers +
        Math.min(retention.lookupsDays + 2, NIGHTS) * largestNight.lookups;
      const bound = Math.round(((after - perNight.answers - perNight.lookups + retained) * 1.1) / MB);
      console.log(
        `  largest night: raw answers ${Math.round(largestNight.answers / MB)} MB, lookups ${Math.round(largestNight.lookups / MB)} MB; kept now: raw answers ${Math.round(perNight.answers / MB)} MB, lookups ${Math.round(perNight.lookups / MB)} MB`,
      );
      console.log(
        `  kept for good: violations ${Math.round(keptForever.violations / MB)} MB, versions ${Math.round(keptForever.versions / MB)} MB, change lines ${Math.round(keptForever.changes / MB)} MB; the fleet and empty schema ${Math.round(before / MB)} MB`,
      );
      console.log(
        `  without retention the database would hold ${Math.round((after + droppedBytes) / MB)} MB (the ${Math.round(droppedBytes / MB)} MB of nights dropped whole, growing ~${Math.round((largestNight.answers + largestNight.lookups) / MB)} MB a night)`,
      );
      record({
        name: 'platform.storage_after_60_nights',
        value: Math.round(after / MB),
        unit: 'MB',
        floor: bound,
        kind: 'time',
      });
    },
  },
];
