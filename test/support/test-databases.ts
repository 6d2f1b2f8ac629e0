import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import pg from 'pg';
import { APP_ROLE, type LoginPasswords, QUEUE_ROLE } from '../../server/db/logins.ts';

/** Every database the tests create starts with this; nothing else is ever created or dropped. */
export const TEST_DB_PREFIX = 'fleet_test_';

export function assertTestDatabaseName(name: string): void {
  assert.ok(
    name.startsWith(TEST_DB_PREFIX) && /^[a-z0-9_]+$/.test(name),
    `refusing to touch database "${name}": test databases are named ${TEST_DB_PREFIX}*`,
  );
}

/**
 * The logins' passwords for test and bench databases on one server. Roles belong to the whole
 * server and several runs may share one: each derives the same passwords from the server's admin
 * URL, so none rewrites another's.
 */
export function serverLoginPasswords(adminUrl: string): LoginPasswords {
  return {
    app: createHmac('sha256', adminUrl).update(APP_ROLE).digest('base64url'),
    queue: createHmac('sha256', adminUrl).update(QUEUE_ROLE).digest('base64url'),
  };
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function adminClient(adminUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  return client;
}

export async function createTestDatabase(adminUrl: string, template: string, name: string): Promise<void> {
  assertTestDatabaseName(template);
  assertTestDatabaseName(name);
  const client = await adminClient(adminUrl);
  try {
    // Concurrent clones of one template can collide on its lock; a short retry absorbs that.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(
          `create database ${client.escapeIdentifier(name)} template ${client.escapeIdentifier(template)}`,
        );
        return;
      } catch (error) {
        const busy = /being accessed by other users/.test((error as Error).message);
        if (!busy || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(Math.random() * 100)));
      }
    }
  } finally {
    await client.end();
  }
}

export async function dropTestDatabase(adminUrl: string, name: string): Promise<void> {
  assertTestDatabaseName(name);
  const client = await adminClient(adminUrl);
  try {
    await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
  } finally {
    await client.end();
  }
}

export async function dropTestDatabases(adminUrl: string, runId: string): Promise<void> {
  const client = await adminClient(adminUrl);
  try {
    const { rows } = await client.query<{ datname: string }>(
      'select datname from pg_database where datname like $1',
      [`${TEST_DB_PREFIX}${runId}\\_%`],
    );
    for (const { datname } of rows) {
      assertTestDatabaseName(datname);
      await client.query(`drop database if exists ${client.escapeIdentifier(datname)} with (force)`);
    }
  } finally {
    await client.end();
  }
}

/** An empty database (no migrations), for tests of the migrator itself. */
export async function createEmptyTestDatabase(adminUrl: string, name: string): Promise<void> {
  assertTestDatabaseName(name);
  const client = await adminClient(adminUrl);
  try {
    await client.query(`create database ${client.escapeIdentifier(name)} template template0`);
  } finally {
    await client.end();
  }
}
