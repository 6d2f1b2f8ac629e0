import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { createDatabase, type Database } from '../../server/db/database.ts';
import { appRoleUrl } from '../../server/db/tenant.ts';
import { createTestDatabase, databaseUrl, dropTestDatabase, TEST_DB_PREFIX } from './test-databases.ts';

export interface TestDatabase {
  /** Kysely on this file's own database as the application role, behind row-level security. */
  db: Database;
  /** The same database as its owner (superuser): for fixtures and catalogue checks only. */
  ownerDb: Database;
  /** Owner URL (what DATABASE_URL would be). */
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
    handle.db = createDatabase(appRoleUrl(handle.url), 5, 'fleet-fines-test');
    handle.ownerDb = createDatabase(handle.url, 2, 'fleet-fines-test-owner');
  });
  afterAll(async () => {
    await handle.db?.destroy();
    await handle.ownerDb?.destroy();
    await dropTestDatabase(adminUrl, name);
  });
  return handle;
}
