import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { createDatabase, type Database } from '../../server/db/database.ts';
import { migrateToLatest, SQL_DIR } from '../../server/db/migrate.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { runNightlyMaintenance } from '../../server/maintenance/maintenance.service.ts';
import { insertSuspectException } from '../../server/runs/reconcile.repo.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeVehicles } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';
import {
  createEmptyTestDatabase,
  databaseUrl,
  dropTestDatabase,
  TEST_DB_PREFIX,
} from '../support/test-databases.ts';

const test = useTestDatabase();
let simulator: AuthoritySimulator;
beforeAll(async () => {
  simulator = await startAuthoritySimulator({
    seed: 'retention-test',
    world: { startDate: '2026-06-01', dailyViolationRate: 0.08, notFoundRate: 0 },
  });
  process.env.TEST_RETENTION_AUTHORITY_URL = simulator.url;
});
afterAll(async () => {
  await simulator?.close();
});
const app = useProduct(test, {
  get AUTHORITY_URL() {
    return process.env.TEST_RETENTION_AUTHORITY_URL!;
  },
  AUTHORITY_RATE_LIMIT: '200',
  AUTHORITY_BATCH_SIZE: '10',
  AUTHORITY_TIMEOUT_MS: '2000',
} as Record<string, string>);

const { adminUrl, runId: testRunId } = inject('testDb');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

// Short retentions so a handful of nights shows every rule; the defaults are days to months.
const retention = {
  answersDays: 2,
  lookupsDays: 3,
  importFilesDays: 3,
  runChangesDays: 4,
  jobsDays: 1,
  uploadRowsDays: 3,
  throttledSignInsDays: 3,
};
const NIGHTS = 8;
/** Maintenance at 03:30 in Amman on night k (time frozen: the clock is passed in). */
const nightAt = (k: number) => new Date(Date.parse('2026-11-01T00:30:00Z') + k * 86_400_000);
/** A table's rows of night j are still kept at night k when the range closed (night j + 1) is within retention. */
const keptAt = (k: number, j: number, days: number) => k - (j + 1) <= days;

let account: AccountFixture;
let client: ApiClient;
const plates = Array.from({ length: 30 }, (_, i) => `JO:${10 + (i % 30)}-${30000 + i}`);

async function runToEnd(): Promise<bigint> {
  const started = await client.post<{ id: string }>('/runs');
  expect(started.status).toBe(202);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const run = await client.get<{ status: string }>(`/runs/${started.body.id}`);
    if (['done', 'partial'].includes(run.body.status)) return BigInt(started.body.id);
    if (run.body.status === 'failed' || Date.now() > deadline)
      throw new Error(`run ${started.body.id}: ${run.body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function statementSha(runId: bigint): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const response = await fetch(`${app.product.url}/api/v1/runs/${runId}/statement.xlsx?lang=en`, {
      headers: { cookie: client.cookie!, 'x-account-id': client.accountId! },
    });
    if (response.status === 200)
      return createHash('sha256')
        .update(Buffer.from(await response.arrayBuffer()))
        .digest('hex');
    expect(response.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const { rows } = await sql<{ state: string; output: unknown }>`
    select state, output from pgboss.job where name = 'statements.render'`.execute(test.ownerDb);
  throw new Error(`run ${runId}: statement not rendered: ${JSON.stringify(rows)}`);
}

async function jobsDone(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pgboss.job where state in ('created', 'retry', 'active')
        and name in ('lookup.batch', 'run.reconcile', 'payments.issue', 'statements.render')`.execute(
      test.ownerDb,
    );
    if (rows[0]!.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('jobs still pending');
}

const rowsOf = async (db: Database, table: string, runId: bigint) => {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from ${sql.table(table)} where account_id = ${account.id} and run_id = ${runId}`.execute(
    db,
  );
  return rows[0]!.n;
};

beforeAll(async () => {
  account = await makeAccount(test.db, 'JO');
  await makeVehicles(test.db, account.id, plates);
  client = new ApiClient(app.product.url!);
  await client.signIn(account.users.owner.email);
  client.accountId = account.id.toString();
});

describe('per-night retention', () => {
  it('drops each table’s nights whole past its retention, and never what a kept document needs', async () => {
    const runs: bigint[] = [];
    const shas: string[] = [];
    const versionsByRun = new Map<bigint, number>();
    for (let k = 1; k <= NIGHTS; k++) {
      // Maintenance runs when the night's work is over: a partition still being read would be
      // left for the next night (asserted below never to happen here).
      await jobsDone();
      const outcome = await runNightlyMaintenance(test.db, nightAt(k), 'Asia/Amman', retention);
      expect((outcome.partitions ?? []).filter((p) => p.outcome.includes('busy'))).toEqual([]);
      expect(outcome.ran).toBe(true);
      // Rerunnable: the same night again changes nothing.
      expect((await runNightlyMaintenance(test.db, nightAt(k), 'Asia/Amman', retention)).ran).toBe(false);
      for (const dropped of (outcome.partitions ?? []).filter((p) => p.outcome === 'dropped')) {
        expect(dropped.closedAt.getTime()).toBeLessThan(nightAt(k).getTime());
      }

      await fetch(`${simulator.url}/admin/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advanceDays: 1 }),
      });
      const runId = await runToEnd();
      // Each night's runs take ids from that night's range.
      expect(runId / 1_000_000n).toBe(
        runs.length === 0 ? runId / 1_000_000n : runs.at(-1)! / 1_000_000n + 1n,
      );
      runs.push(runId);
      // The statements of nights 1 and 2 are read back at the end, after their nights are dropped.
      if (k <= 2) shas.push(await statementSha(runId));
      if (k === 1) {
        // A suspected mass settlement of night 1: its held change lines must stay readable.
        await withTenant(test.db, account.id, (trx) =>
          insertSuspectException(trx, account.id, runId, { held: 0 }),
        );
      }

      for (let j = 1; j <= k; j++) {
        const run = runs[j - 1]!;
        const answers = await rowsOf(test.ownerDb, 'lookup_violations', run);
        const lookups = await rowsOf(test.ownerDb, 'lookups', run);
        const changes = await rowsOf(test.ownerDb, 'run_changes', run);
        if (j === k) {
          expect(lookups).toBe(plates.length);
          expect(answers).toBeGreaterThan(0);
        }
        if (!keptAt(k, j, retention.answersDays)) expect(answers).toBe(0);
        if (keptAt(k, j, retention.lookupsDays)) expect(lookups).toBe(plates.length);
        else expect(lookups).toBe(0);
        if (j === 1) expect(changes).toBeGreaterThan(0);
        else if (!keptAt(k, j, retention.runChangesDays)) expect(changes).toBe(0);
      }
      // Violations and their versions are always kept: every version written stays.
      const { rows: versions } = await sql<{ run_id: bigint; n: number }>`
        select run_id, count(*)::int as n from violation_versions where account_id = ${account.id}
        group by run_id`.execute(test.ownerDb);
      for (const v of versions) {
        if (versionsByRun.has(v.run_id)) expect(v.n).toBe(versionsByRun.get(v.run_id));
        versionsByRun.set(v.run_id, v.n);
      }
      expect(versionsByRun.size).toBeGreaterThan(0);
    }

    // Night 2's answers, lookups and change lines are all gone by now …
    expect(keptAt(NIGHTS, 2, retention.runChangesDays)).toBe(false);
    expect(await rowsOf(test.ownerDb, 'run_changes', runs[1]!)).toBe(0);
    // … and its statement still downloads, byte for byte as on its night.
    for (let j = 0; j < shas.length; j++) expect(await statementSha(runs[j]!)).toBe(shas[j]);
    // Night 1's change lines stayed past their retention for the suspected settlement.
    expect(await rowsOf(test.ownerDb, 'run_changes', runs[0]!)).toBeGreaterThan(0);
    const { rows: kept } = await sql<{ details: { kept: Array<{ partition: string; why: string }> } }>`
      select details from maintenance_runs where local_date = ${'2026-11-09'}`.execute(test.ownerDb);
    expect(kept[0]!.details.kept).toContainEqual({
      partition: `run_changes_r${runs[0]! / 1_000_000n}`,
      why: 'kept: a suspected mass settlement reads its held change lines',
    });
    // The run and its violations' current state are readable after their nights are dropped.
    const old = await client.get<{ id: string; status: string }>(`/runs/${runs[0]}`);
    expect(old.body).toMatchObject({ id: runs[0]!.toString(), status: 'done' });
    const current = await client.get<{ violations: unknown[] }>('/violations?limit=1000');
    const { rows: all } = await sql<{ n: number }>`
      select count(*)::int as n from violations where account_id = ${account.id}`.execute(test.ownerDb);
    expect(current.body.violations).toHaveLength(all[0]!.n);
  }, 240_000);
});

describe('a run still in progress', () => {
  it('keeps its night past the retention, until it ends', async () => {
    const tonight = await runNightlyMaintenance(test.db, nightAt(20), 'Asia/Amman', retention);
    expect(tonight.ran).toBe(true);
    const { rows } = await sql<{ id: bigint }>`
      insert into runs (account_id, kind, status) values (${account.id}, 'manual', 'fetching') returning id`.execute(
      test.ownerDb,
    );
    const runId = rows[0]!.id;
    await sql`
      insert into lookups (account_id, run_id, vehicle_id, plate_key, vehicle_active_from, batch_no)
      select account_id, ${runId}, id, plate_key, active_from, 0 from vehicles where account_id = ${account.id}`.execute(
      test.ownerDb,
    );
    await runNightlyMaintenance(test.db, nightAt(21), 'Asia/Amman', retention);
    const late = await runNightlyMaintenance(test.db, nightAt(40), 'Asia/Amman', retention);
    const partition = `lookups_r${runId / 1_000_000n}`;
    expect(late.partitions).toContainEqual(
      expect.objectContaining({
        partitionName: partition,
        outcome: 'kept: a run in it is still in progress',
      }),
    );
    expect(await rowsOf(test.ownerDb, 'lookups', runId)).toBe(plates.length);
    await sql`update runs set status = 'failed', error = 'ended' where account_id = ${account.id} and id = ${runId}`.execute(
      test.ownerDb,
    );
    // A partition another session holds a lock on (autovacuum, on a busy machine) is kept and
    // tried again the next night, as the maintenance answers.
    let outcome: string | undefined;
    for (let night = 41; night < 45; night++) {
      const ended = await runNightlyMaintenance(test.db, nightAt(night), 'Asia/Amman', retention);
      outcome = ended.partitions?.find((p) => p.partitionName === partition)?.outcome;
      if (outcome !== 'kept: busy, tried again next night') break;
    }
    expect(outcome).toBe('dropped');
    expect(await rowsOf(test.ownerDb, 'lookups', runId)).toBe(0);
  });
});

describe('the migration to partitioned tables', () => {
  it('keeps every row of the tables it partitions', async () => {
    const name = `${TEST_DB_PREFIX}${testRunId}_${randomBytes(5).toString('hex')}`;
    await createEmptyTestDatabase(adminUrl, name);
    const db = createDatabase(databaseUrl(adminUrl, name), 4);
    cleanups.push(async () => {
      await db.destroy();
      await dropTestDatabase(adminUrl, name);
    });
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-sql-'));
    const all = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-sql-'));
    for (const file of fs.readdirSync(SQL_DIR)) {
      if (file < '0050') fs.copyFileSync(path.join(SQL_DIR, file), path.join(before, file));
      fs.copyFileSync(path.join(SQL_DIR, file), path.join(all, file));
    }
    await migrateToLatest(db, before);
    const owner = await makeAccount(db, 'JO');
    const [vehicleId] = await makeVehicles(db, owner.id, ['JO:10-40000']);
    await sql`insert into runs (account_id, kind, status) values (${owner.id}, 'manual', 'done')`.execute(db);
    const { rows: runRows } = await sql<{
      id: bigint;
    }>`select id from runs where account_id = ${owner.id}`.execute(db);
    const runId = runRows[0]!.id;
    await sql`
      insert into lookups (account_id, run_id, vehicle_id, plate_key, vehicle_active_from, batch_no, status)
      values (${owner.id}, ${runId}, ${vehicleId!}, 'JO:10-40000', now(), 0, 'ok')`.execute(db);
    await sql`
      insert into lookup_violations (account_id, run_id, vehicle_id, ticket_number, offence_at, type_code,
                                     description_ar, description_en, location, amount_minor, currency, authority_status)
      select ${owner.id}, ${runId}, ${vehicleId!}, 'T-' || g, now(), 'SPD', 'سرعة', 'Speeding', 'Amman', 1000 * g, 'JOD', 'unpaid'
      from generate_series(1, 25) g`.execute(db);
    await sql`
      insert into run_changes (account_id, run_id, ticket_number, vehicle_id, change, amount_minor)
      select ${owner.id}, ${runId}, 'T-' || g, ${vehicleId!}, 'new', 1000 * g from generate_series(1, 25) g`.execute(
      db,
    );
    await sql`
      insert into run_imports (account_id, run_id, file_name, sha256, format, content)
      values (${owner.id}, ${runId}, 'export.csv', ${'a'.repeat(64)}, 'csv', ${Buffer.from('plate\nJO:10-40000\n')})`.execute(
      db,
    );
    const snapshot = async () => {
      const { rows } = await sql<{ t: string; rows: string }>`
        select 'lookups' as t, json_agg(x order by x.vehicle_id)::text as rows from lookups x
        union all select 'lookup_violations', json_agg(x order by x.ticket_number)::text from lookup_violations x
        union all select 'run_changes', json_agg(x order by x.ticket_number)::text from run_changes x
        union all select 'run_imports', json_agg(x order by x.run_id)::text from run_imports x`.execute(db);
      return rows;
    };
    const was = await snapshot();
    await migrateToLatest(db, all);
    expect(await snapshot()).toEqual(was);
    const { rows: kinds } = await sql<{ relname: string; relkind: string }>`
      select relname, relkind::text from pg_class
      where relname in ('lookups', 'lookup_violations', 'run_changes', 'run_imports') order by relname`.execute(
      db,
    );
    expect(kinds.map((k) => k.relkind)).toEqual(['p', 'p', 'p', 'p']);
    fs.rmSync(before, { recursive: true, force: true });
    fs.rmSync(all, { recursive: true, force: true });
  });
});
