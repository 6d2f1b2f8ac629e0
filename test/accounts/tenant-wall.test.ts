import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertWalledLogin, withTenant } from '../../server/db/tenant.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';

const test = useTestDatabase();
let a: AccountFixture;
let b: AccountFixture;

beforeAll(async () => {
  a = await makeAccount(test.db, 'JO');
  b = await makeAccount(test.db, 'EG');
  // Give both tenants a token, so "forgetting the where" has something to leak.
  for (const account of [a, b]) {
    await withTenant(test.db, account.id, (trx) =>
      trx
        .insertInto('api_tokens')
        .values({
          account_id: account.id,
          name: 'erp',
          role: 'viewer',
          token_hash: `h-${account.id}`,
          prefix: 'fft_x',
        })
        .execute(),
    );
  }
});

describe('the tenant wall', () => {
  it('forces row-level security with a policy on every tenant table in the catalogue', async () => {
    const { rows } = await sql<{ table: string; rls: boolean; forced: boolean; policies: number }>`
      select c.relname as table, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
             (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
      from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
        and (c.relname = 'accounts'
             or exists (select 1 from pg_attribute at where at.attrelid = c.oid and at.attname = 'account_id' and not at.attisdropped))
      order by 1`.execute(test.ownerDb);
    expect(rows.length).toBeGreaterThanOrEqual(5);
    const unwalled = rows.filter((r) => !r.rls || !r.forced || r.policies === 0).map((r) => r.table);
    expect(unwalled).toEqual([]);
  });

  it('connects the application as a role that owns nothing and cannot bypass RLS', async () => {
    await expect(assertWalledLogin(test.db, 'app')).resolves.toBeUndefined();
    await expect(assertWalledLogin(test.ownerDb, 'app')).rejects.toThrow(
      /could get past row-level security: .*it is a superuser/,
    );
  });

  it('lets the application past the wall only through functions that answer no secret', async () => {
    // Security-definer functions see every tenant: what they return is what crosses the wall.
    const { rows } = await sql<{ name: string; columns: string[] | null }>`
      select p.proname as name, p.proargnames[p.pronargs + 1:] as columns
      from pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.prosecdef
        and has_function_privilege(current_user, p.oid, 'execute')
      order by 1`.execute(test.db);
    expect(rows.map((r) => r.name)).toContain('claim_alert_digests');
    const leaking = rows.filter((r) =>
      (r.columns ?? []).some((c) => /(^|_)(secret|hash)$|^(password|destination|events)$/.test(c)),
    );
    expect(leaking).toEqual([]);
    expect(rows.find((r) => r.name === 'claim_alert_digests')?.columns).toEqual([
      'account_id',
      'id',
      'attempts',
    ]);
  });

  it('lets the application use only the sequence it calls itself', async () => {
    const { rows } = await sql<{ name: string }>`
      select c.relname as name from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind = 'S'
        and has_sequence_privilege(current_user, c.oid, 'usage')
      order by 1`.execute(test.db);
    expect(rows.map((r) => r.name)).toEqual(['payment_order_seq']);
  });

  it('holds for a query that forgets its where account_id', async () => {
    const seen = await withTenant(test.db, a.id, (trx) =>
      trx.selectFrom('api_tokens').select('account_id').execute(),
    );
    expect(seen.map((r) => r.account_id)).toEqual([a.id]);
    const members = await withTenant(test.db, b.id, (trx) =>
      trx.selectFrom('memberships').select('account_id').execute(),
    );
    expect(new Set(members.map((m) => m.account_id))).toEqual(new Set([b.id]));
  });

  it('shows no tenant rows outside a tenant transaction', async () => {
    expect(await test.db.selectFrom('api_tokens').selectAll().execute()).toEqual([]);
    expect(await test.db.selectFrom('memberships').selectAll().execute()).toEqual([]);
    expect(await test.db.selectFrom('accounts').selectAll().execute()).toEqual([]);
  });

  it('refuses to write a row into another tenant', async () => {
    await expect(
      withTenant(test.db, a.id, (trx) =>
        trx
          .insertInto('api_tokens')
          .values({ account_id: b.id, name: 'sneaky', role: 'owner', token_hash: 'sneaky', prefix: 'fft_s' })
          .execute(),
      ),
    ).rejects.toThrow(/row-level security/);
    const updated = await withTenant(test.db, a.id, (trx) =>
      trx
        .updateTable('memberships')
        .set({ role: 'viewer' })
        .where('account_id', '=', b.id)
        .executeTakeFirst(),
    );
    expect(updated.numUpdatedRows).toBe(0n);
  });

  it('keeps the audit log append-only for the application', async () => {
    await test.db.insertInto('audit_log').values({ account_id: a.id, action: 'test.entry' }).execute();
    await expect(sql`update audit_log set action = 'rewritten'`.execute(test.db)).rejects.toThrow(
      /permission denied/,
    );
    await expect(sql`delete from audit_log`.execute(test.db)).rejects.toThrow(/permission denied/);
  });
});
