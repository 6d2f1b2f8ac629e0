import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../server/db/database.ts';
import { migrateToLatest, SQL_DIR, SqlFileMigrationProvider } from '../../server/db/migrate.ts';
import { generateSchemaTypes } from '../../server/db/typegen.ts';
import { useTestDatabase } from '../support/database.ts';
import {
  assertTestDatabaseName,
  createEmptyTestDatabase,
  databaseUrl,
  dropTestDatabase,
  TEST_DB_PREFIX,
} from '../support/test-databases.ts';

const { adminUrl, runId } = inject('testDb');
const migrated = useTestDatabase();

async function emptyDatabase() {
  const name = `${TEST_DB_PREFIX}${runId}_${randomBytes(5).toString('hex')}`;
  await createEmptyTestDatabase(adminUrl, name);
  const db = createDatabase(databaseUrl(adminUrl, name), 10);
  cleanups.push(async () => {
    await db.destroy();
    await dropTestDatabase(adminUrl, name);
  });
  return db;
}
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

describe('migrations', () => {
  it('are numbered .sql files applied in order', async () => {
    const names = Object.keys(await new SqlFileMigrationProvider().getMigrations());
    expect(names.length).toBeGreaterThan(0);
    expect(names).toEqual([...names].sort());
    expect(fs.readdirSync(SQL_DIR).every((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))).toBe(true);
  });

  it('apply each migration once, even when several processes start at the same time', async () => {
    const db = await emptyDatabase();
    const outcomes = await Promise.all([migrateToLatest(db), migrateToLatest(db), migrateToLatest(db)]);
    const all = Object.keys(await new SqlFileMigrationProvider().getMigrations());
    expect(outcomes.flatMap((o) => o.applied).sort()).toEqual(all);
    expect((await migrateToLatest(db)).applied).toEqual([]);
  });

  it('refuse a new migration numbered into a gap below one already applied, saying how to fix it', async () => {
    const db = await emptyDatabase();
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-sql-'));
    fs.writeFileSync(path.join(folder, '0001_one.sql'), 'create table one (id int primary key);');
    fs.writeFileSync(path.join(folder, '0003_three.sql'), 'create table three (id int primary key);');
    expect((await migrateToLatest(db, folder)).applied).toEqual(['0001_one', '0003_three']);
    fs.writeFileSync(path.join(folder, '0002_two.sql'), 'create table two (id int primary key);');
    await expect(migrateToLatest(db, folder)).rejects.toThrow(
      'sql/0002_two.sql sorts before 0003_three, which this database has already applied: new migrations must sort after every applied one. Renumber it above 0003.',
    );
  });

  it('stop at a broken migration, name it, and apply nothing of that start', async () => {
    const db = await emptyDatabase();
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-sql-'));
    fs.writeFileSync(path.join(folder, '0001_good.sql'), 'create table good (id int primary key);');
    fs.writeFileSync(path.join(folder, '0002_bad.sql'), 'create table bad (id int primary key); select 1/0;');
    await expect(migrateToLatest(db, folder)).rejects.toThrow(/migration 0002_bad failed: division by zero/);
    const tables = await sql<{
      n: string;
    }>`select table_name as n from information_schema.tables where table_schema = 'public' and table_name in ('good', 'bad')`.execute(
      db,
    );
    // Pending migrations share one transaction: a failed start leaves the schema as it was.
    expect(tables.rows).toEqual([]);
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('refuse misnamed files', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-sql-'));
    fs.writeFileSync(path.join(folder, 'init.sql'), 'select 1;');
    await expect(new SqlFileMigrationProvider(folder).getMigrations()).rejects.toThrow(/NNNN_snake_case/);
    fs.rmSync(folder, { recursive: true, force: true });
  });
});

describe('table types', () => {
  it('match the migrated schema (run `npm run db:types` after a migration)', async () => {
    const committed = fs.readFileSync(path.resolve(import.meta.dirname, '../../server/db/schema.ts'), 'utf8');
    const generated = await generateSchemaTypes(migrated.ownerDb);
    const normalise = (text: string) => text.replace(/\s+/g, ' ').replace(/,\s*}/g, ' }').trim();
    expect(normalise(committed)).toBe(normalise(generated));
  });
});

describe('the test harness', () => {
  it('refuses to touch a database whose name does not mark it as a test one', () => {
    expect(() => assertTestDatabaseName('fleet')).toThrow(/refusing to touch database "fleet"/);
    expect(() => assertTestDatabaseName('postgres')).toThrow(/refusing/);
    expect(() => assertTestDatabaseName(`${TEST_DB_PREFIX}x; drop database fleet`)).toThrow(/refusing/);
  });

  it('gives each test file its own database cloned from the migrated template', async () => {
    expect(migrated.name.startsWith(`${TEST_DB_PREFIX}${runId}_`)).toBe(true);
    const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(migrated.db);
    expect(rows[0]!.db).toBe(migrated.name);
    const queue = await sql<{
      n: number;
    }>`select count(*)::int as n from information_schema.schemata where schema_name = 'pgboss'`.execute(
      migrated.ownerDb,
    );
    expect(queue.rows[0]!.n).toBe(1);
  });
});
