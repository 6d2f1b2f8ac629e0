import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { createDatabase, type Database } from '../../server/db/database.ts';
import { APP_ROLE, type LoginPasswords, loginUrl, QUEUE_ROLE } from '../../server/db/logins.ts';
import { createTestDatabase, databaseUrl, dropTestDatabase, TEST_DB_PREFIX } from './test-databases.ts';

/** What the product seals payment-network secrets with in tests (SECRETS_KEY). */
export const TEST_SECRETS_KEY = randomBytes(32).toString('base64');

export interface TestDatabase {
  /** Kysely on this file's own database as the application's login, behind row-level security. */
  db: Database;
  /** The same database as its owner (superuser): for fixtures and catalogue checks only. */
  ownerDb: Database;
  /** Owner URL (what DATABASE_URL would be). */
  url: string;
  /** The application's login (fleet_app) on this database. */
  appUrl: string;
  /** The job queue's login (fleet_queue) on this database. */
  queueUrl: string;
  /** The settings that start the product on this database: DATABASE_URL and the logins' passwords. */
  env: {
    DATABASE_URL: string;
    APP_DATABASE_PASSWORD: string;
    QUEUE_DATABASE_PASSWORD: string;
    SECRETS_KEY: string;
  };
  logins: LoginPasswords;
  name: string;
}

/**
 * Gives the calling test file its own database, cloned from the migrated template, and drops it
 * afterwards. Call at the top level of a test file.
 */
export function useTestDatabase(): TestDatabase {
  const { adminUrl, template, runId, logins } = inject('testDb');
  const name = `${TEST_DB_PREFIX}${runId}_${randomBytes(5).toString('hex')}`;
  const url = databaseUrl(adminUrl, name);
  const handle = {
    name,
    url,
    appUrl: loginUrl(url, APP_ROLE, logins.app),
    queueUrl: loginUrl(url, QUEUE_ROLE, logins.queue),
    env: {
      DATABASE_URL: url,
      APP_DATABASE_PASSWORD: logins.app,
      QUEUE_DATABASE_PASSWORD: logins.queue,
      SECRETS_KEY: TEST_SECRETS_KEY,
    },
    logins,
  } as TestDatabase;
  beforeAll(async () => {
    await createTestDatabase(adminUrl, template, name);
    handle.db = createDatabase(handle.appUrl, 5, 'fleet-fines-test');
    handle.ownerDb = createDatabase(handle.url, 2, 'fleet-fines-test-owner');
  });
  afterAll(async () => {
    await handle.db?.destroy();
    await handle.ownerDb?.destroy();
    await dropTestDatabase(adminUrl, name);
  });
  return handle;
}
