import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { createDatabase, type Database } from '../../server/db/database.ts';
import { loginUrl } from '../../server/db/logins.ts';
import { assertWalledLogin, withTenant } from '../../server/db/tenant.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';

const test = useTestDatabase();
let a: AccountFixture;
let b: AccountFixture;
let owner: string;
// Roles belong to the whole server, which other test runs may share: these names are this file's own.
const suffix = randomBytes(5).toString('hex');
const extraRoles: string[] = [];
const extraDbs: Database[] = [];

/** A login made for one test, dropped after the file. */
async function makeLogin(attributes: string, memberOf?: string): Promise<Database> {
  const role = `fleet_test_login_${suffix}_${extraRoles.length}`;
  const password = randomBytes(12).toString('hex');
  await sql
    .raw(
      `create role ${role} login ${attributes} password '${password}'${memberOf ? ` in role ${memberOf}` : ''}`,
    )
    .execute(test.ownerDb);
  extraRoles.push(role);
  const db = createDatabase(loginUrl(test.url, role, password), 1);
  extraDbs.push(db);
  return db;
}

beforeAll(async () => {
  a = await makeAccount(test.db, 'JO');
  b = await makeAccount(test.db, 'IQ');
  const { rows } = await sql<{ owner: string }>`select current_user as owner`.execute(test.ownerDb);
  owner = rows[0]!.owner;
});

afterAll(async () => {
  await Promise.all(extraDbs.map((db) => db.destroy()));
  for (const role of extraRoles) await sql.raw(`drop role if exists ${role}`).execute(test.ownerDb);
});

const visibleAccounts = async (trx: Parameters<Parameters<typeof withTenant>[2]>[0]) =>
  (await trx.selectFrom('accounts').select('id').execute()).map((r) => r.id);

describe("the application's own login", () => {
  it('logs in as fleet_app itself, not as the owner switched to it', async () => {
    const { rows } = await sql<{ session: string; current: string }>`
      select session_user::text as session, current_user::text as current`.execute(test.db);
    expect(rows[0]).toEqual({ session: 'fleet_app', current: 'fleet_app' });
  });

  it('stays walled after SET LOCAL ROLE NONE and RESET ROLE', async () => {
    for (const giveBack of ['set local role none', 'reset role']) {
      const seen = await withTenant(test.db, a.id, async (trx) => {
        await sql.raw(giveBack).execute(trx);
        const { rows } = await sql<{ role: string }>`select current_user::text as role`.execute(trx);
        return { role: rows[0]!.role, accounts: await visibleAccounts(trx) };
      });
      expect(seen, giveBack).toEqual({ role: 'fleet_app', accounts: [a.id] });
    }
  });

  it('refuses SET ROLE and SET SESSION AUTHORIZATION to the owner', async () => {
    for (const become of [`set local role ${owner}`, `set session authorization ${owner}`]) {
      await expect(
        withTenant(test.db, a.id, async (trx) => {
          await sql.raw(become).execute(trx);
          return visibleAccounts(trx);
        }),
        become,
      ).rejects.toThrow(/permission denied/);
    }
    // Nor may it turn the wall off for itself.
    await expect(
      withTenant(test.db, a.id, (trx) => sql`alter table accounts no force row level security`.execute(trx)),
    ).rejects.toThrow(/must be owner/);
    const still = await withTenant(test.db, b.id, visibleAccounts);
    expect(still).toEqual([b.id]);
  });
});

describe('the start-up check', () => {
  it('refuses the owner switched to fleet_app with -c role, as the application used to connect', async () => {
    const url = new URL(test.url);
    url.searchParams.set('options', '-c role=fleet_app');
    const switched = createDatabase(url.toString(), 1);
    extraDbs.push(switched);
    await expect(assertWalledLogin(switched, 'app')).rejects.toThrow(
      new RegExp(
        `login "${owner}" could get past row-level security: it logged in as "${owner}" and switched to "fleet_app"; it is a superuser`,
      ),
    );
  });

  it('refuses a login that may SET ROLE to the owner, or bypasses RLS, or may create roles', async () => {
    await expect(assertWalledLogin(await makeLogin('', owner), 'app')).rejects.toThrow(
      new RegExp(`it can SET ROLE to (.*, )?${owner}\\b`),
    );
    await expect(assertWalledLogin(await makeLogin('bypassrls'), 'app')).rejects.toThrow(/it has BYPASSRLS/);
    await expect(assertWalledLogin(await makeLogin('createrole'), 'app')).rejects.toThrow(
      /it has CREATEROLE/,
    );
    // A plain login of no role passes: the check is about what a login can do, not its name.
    await expect(assertWalledLogin(await makeLogin(''), 'app')).resolves.toBeUndefined();
  });

  it('needs the logins’ passwords with DATABASE_URL, and never echoes a bad one', () => {
    const url = 'postgres://fleet:secret@db.example:5432/fleet';
    expect(() => loadConfig({ DATABASE_URL: url }, [])).toThrow(
      /APP_DATABASE_PASSWORD and QUEUE_DATABASE_PASSWORD must be set with DATABASE_URL/,
    );
    let error: unknown;
    try {
      loadConfig(
        { DATABASE_URL: url, APP_DATABASE_PASSWORD: 'short pw', QUEUE_DATABASE_PASSWORD: 'q'.repeat(20) },
        [],
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(['APP_DATABASE_PASSWORD']);
    expect((error as Error).message).not.toContain('short pw');
    const config = loadConfig(
      { DATABASE_URL: url, APP_DATABASE_PASSWORD: 'a'.repeat(16), QUEUE_DATABASE_PASSWORD: 'q'.repeat(16) },
      [],
    );
    expect(config.databaseLogins).toEqual({ app: 'a'.repeat(16), queue: 'q'.repeat(16) });
  });
});
