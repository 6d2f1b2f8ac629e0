import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { installQueueSchema } from '../../jobs/boss.ts';
import { createDatabase } from '../../server/db/database.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../server/db/embedded.ts';
import { type LoginPasswords, loginUrl, QUEUE_ROLE, setLoginPasswords } from '../../server/db/logins.ts';
import {
  adminClient,
  databaseUrl,
  dropTestDatabases,
  serverLoginPasswords,
  TEST_DB_PREFIX,
} from './test-databases.ts';

/**
 * One PostgreSQL for the whole run (embedded in a temporary folder, or DATABASE_URL), one
 * migrated template database (our migrations and pg-boss's schema), cloned per test file.
 */
export default async function setup(project: TestProject) {
  let embedded: EmbeddedPostgres | undefined;
  let tempDir: string | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-test-pg-'));
    fs.chmodSync(tempDir, 0o755); // the embedded server runs as `postgres` when we are root
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(tempDir, 'pg'),
      database: 'postgres',
      // Throwaway data: durability buys nothing here and costs seconds.
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
    });
    adminUrl = embedded.adminUrl;
  }
  const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`.slice(-10);
  const template = `${TEST_DB_PREFIX}${runId}_template`;

  const admin = await adminClient(adminUrl);
  try {
    await admin.query(`create database ${admin.escapeIdentifier(template)}`);
  } finally {
    await admin.end();
  }
  const templateUrl = databaseUrl(adminUrl, template);
  const db = createDatabase(templateUrl, 2);
  try {
    const { migrateToLatest } = await import('../../server/db/migrate.ts');
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  const logins = serverLoginPasswords(adminUrl);
  await setLoginPasswords(templateUrl, logins);
  await installQueueSchema(loginUrl(templateUrl, QUEUE_ROLE, logins.queue));

  project.provide('testDb', { adminUrl, template, runId, logins });

  return async () => {
    await dropTestDatabases(adminUrl, runId);
    await embedded?.stop();
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    testDb: { adminUrl: string; template: string; runId: string; logins: LoginPasswords };
  }
}
