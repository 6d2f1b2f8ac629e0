import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../server/db/database.ts';
import { migrateToLatest, SQL_DIR } from '../../server/db/migrate.ts';
import {
  createEmptyTestDatabase,
  databaseUrl,
  dropTestDatabase,
  TEST_DB_PREFIX,
} from '../support/test-databases.ts';

const { adminUrl, runId } = inject('testDb');
const name = `${TEST_DB_PREFIX}${runId}_${randomBytes(5).toString('hex')}`;
const earlier = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-sql-before-consent-'));
let db: ReturnType<typeof createDatabase> | undefined;

afterAll(async () => {
  await db?.destroy();
  await dropTestDatabase(adminUrl, name);
  fs.rmSync(earlier, { recursive: true, force: true });
});

describe('migration 0016 (invitations are consent)', () => {
  it('keeps the right to set a first password with the invitation that created the person, and only there', async () => {
    for (const file of fs.readdirSync(SQL_DIR).filter((f) => f < '0016')) {
      fs.copyFileSync(path.join(SQL_DIR, file), path.join(earlier, file));
    }
    await createEmptyTestDatabase(adminUrl, name);
    db = createDatabase(databaseUrl(adminUrl, name), 2);
    await migrateToLatest(db, earlier);
    // The state the old code left: a pending first owner (victim) whose email another account
    // (attacker) also added, each with a membership made at once and a password-setting token.
    await sql`
      insert into accounts (kind, legal_name_ar, legal_name_en, registry_number, jurisdiction, currency, time_zone)
      values ('company', 'أ', 'Victim', 'V-1', 'JO', 'JOD', 'Asia/Amman'),
             ('company', 'ب', 'Attacker', 'A-1', 'JO', 'JOD', 'Asia/Amman');
      insert into users (email, status, password_hash) values
        ('victim@example.test', 'invited', null), ('member@example.test', 'active', 'hash');
      insert into memberships (account_id, user_id, role) values (1, 1, 'owner'), (2, 1, 'viewer'), (2, 2, 'owner');
      insert into invitations (account_id, user_id, role, token_hash, expires_at, created_at) values
        (1, 1, 'owner', 'victim-token', now() + interval '7 days', now() - interval '1 hour'),
        (2, 1, 'viewer', 'attacker-token', now() + interval '7 days', now());
    `.execute(db);

    await migrateToLatest(db);

    const invitations = await sql<{ token_hash: string; status: string; sets_password: boolean }>`
      select token_hash, status, sets_password from invitations order by id`.execute(db);
    expect(invitations.rows).toEqual([
      { token_hash: 'victim-token', status: 'pending', sets_password: true },
      { token_hash: 'attacker-token', status: 'pending', sets_password: false },
    ]);
    // Memberships nobody accepted are gone; the pending invitations stand for them.
    const memberships = await sql<{ account_id: string; user_id: string }>`
      select account_id::text, user_id::text from memberships order by 1, 2`.execute(db);
    expect(memberships.rows).toEqual([{ account_id: '2', user_id: '2' }]);
    const users = await sql<{ invited_to_account_id: string | null }>`
      select invited_to_account_id::text from users order by id`.execute(db);
    expect(users.rows).toEqual([{ invited_to_account_id: '1' }, { invited_to_account_id: null }]);
  });
});
