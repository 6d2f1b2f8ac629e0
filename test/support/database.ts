import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { createDatabase, type Database } from '../../server/db/database.ts';
import { createTestDatabase, databaseUrl, dropTestDatabase, TEST_DB_PREFIX } from './test-databases.ts';

export interface TestDatabase {
  /** Kysely on this file's own database (set once beforeAll has run). */
  db: Database;
  url: string;
  name: string;
}

/**
 * Gives the calling test file its own database, cloned from the migrated template, and drops it
 * afterwards. Call at the top level of a test file.
 */
export function useTestDatabase(): TestDatabase {
  const { adminUrl, template, runId } = inject('testDb');
  const name = `${TEST_DB_PREFIX}${runId}_${randomBytes(5).toString('hex')}`;
  const handle = { name, url: databaseUrl(adminUrl, name) } as TestDatabase;
  beforeAll(async () => {
    await createTestDatabase(adminUrl, template, name);
    handle.db = createDatabase(handle.url, 5, 'fleet-fines-test');
  });
  afterAll(async () => {
    await handle.db?.destroy();
    await dropTestDatabase(adminUrl, name);
  });
  return handle;
}
