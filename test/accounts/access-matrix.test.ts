import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { can, type Role, roles } from '../../server/accounts/permissions.ts';
import { apiRoutes } from '../../server/http/app.ts';
import type { RouteDef } from '../../server/http/routes.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';

const test = useTestDatabase();
const app = useProduct(test);
let mine: AccountFixture;
let theirs: AccountFixture;
const sessions = new Map<Role, ApiClient>();
const tokens = new Map<Role, ApiClient>();

const accountRoutes = apiRoutes.filter(
  (r): r is RouteDef & { access: { kind: 'account'; permission: Parameters<typeof can>[1] } } =>
    r.access.kind === 'account',
);
/** Ids that exist nowhere: an allowed caller gets past the wall and is told the thing is not found. */
const pathOf = (route: RouteDef, id = '999999999') => route.path.replace(/:[A-Za-z]+/g, id);

async function deniedAuditRows(): Promise<number> {
  const { rows } = await sql<{
    n: number;
  }>`select count(*)::int as n from audit_log where outcome = 'denied'`.execute(test.ownerDb);
  return rows[0]!.n;
}

function call(client: ApiClient, route: RouteDef, accountId: string, path = pathOf(route)) {
  return client.request(route.method.toUpperCase(), path, route.method === 'get' ? undefined : {}, {
    'x-account-id': accountId,
  });
}

beforeAll(async () => {
  mine = await makeAccount(test.db, 'JO');
  theirs = await makeAccount(test.db, 'IQ');
  for (const role of roles) {
    const session = new ApiClient(app.product.url!);
    await session.signIn(mine.users[role].email);
    sessions.set(role, session);
  }
  const owner = sessions.get('owner')!;
  for (const role of roles) {
    const created = await owner.post<{ token: string }>(
      '/account/tokens',
      { name: `matrix ${role}`, role },
      {
        'x-account-id': mine.id.toString(),
      },
    );
    const client = new ApiClient(app.product.url!);
    client.bearer = created.body.token;
    tokens.set(role, client);
  }
});

describe('role × tenant matrix over every account endpoint', () => {
  it('covers every account route', () => {
    expect(accountRoutes.length).toBeGreaterThanOrEqual(10);
  });

  for (const principal of ['session', 'token'] as const) {
    for (const role of roles) {
      it(`${role} (${principal}): allowed where the role may, 403 where not, 404 in another tenant, denials audited`, async () => {
        const client = (principal === 'session' ? sessions : tokens).get(role)!;
        for (const route of accountRoutes) {
          const label = `${route.method.toUpperCase()} ${route.path} as ${role} (${principal})`;
          const before = await deniedAuditRows();
          const own = await call(client, route, mine.id.toString());
          const code = (own.body as { error?: { code: string } } | undefined)?.error?.code;
          if (can(role, route.access.permission)) {
            expect([401, 403], label).not.toContain(own.status);
            expect(code, label).not.toBe('account_not_found');
            expect(await deniedAuditRows(), `${label}: nothing denied`).toBe(before);
          } else {
            expect(own.status, label).toBe(403);
            expect(code, label).toBe('forbidden');
            expect(await deniedAuditRows(), `${label}: denial audited`).toBe(before + 1);
          }

          const foreign = await call(client, route, theirs.id.toString());
          expect(foreign.status, `${label} in another tenant`).toBe(404);
          expect((foreign.body as { error: { code: string } }).error.code, label).toBe('account_not_found');
          const afterForeign = await deniedAuditRows();
          expect(afterForeign, `${label} in another tenant: denial audited`).toBe(
            before + (can(role, route.access.permission) ? 1 : 2),
          );
        }
      });
    }
  }

  it("answers another tenant's ids with 404, even to an owner", async () => {
    const owner = sessions.get('owner')!;
    const theirToken = await test.ownerDb
      .insertInto('api_tokens')
      .values({
        account_id: theirs.id,
        name: 'their erp',
        role: 'viewer',
        token_hash: 'their-hash',
        prefix: 'fft_t',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const cases: Array<[string, string, unknown]> = [
      ['PATCH', `/account/users/${theirs.users.viewer.id}`, { role: 'owner' }],
      ['DELETE', `/account/users/${theirs.users.viewer.id}`, undefined],
      ['DELETE', `/account/tokens/${theirToken.id}`, undefined],
    ];
    for (const [method, path, body] of cases) {
      const res = await owner.request(method, path, body, { 'x-account-id': mine.id.toString() });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const stillThere = await test.ownerDb
      .selectFrom('memberships')
      .select('role')
      .where('account_id', '=', theirs.id)
      .where('user_id', '=', theirs.users.viewer.id)
      .executeTakeFirst();
    expect(stillThere?.role).toBe('viewer');
  });

  it('refuses signed-in routes without credentials and operator routes to non-operators (audited)', async () => {
    const anonymous = new ApiClient(app.product.url!);
    for (const route of apiRoutes.filter((r) => r.access.kind !== 'public')) {
      const res = await anonymous.request(
        route.method.toUpperCase(),
        pathOf(route),
        route.method === 'get' ? undefined : {},
      );
      expect(res.status, `${route.method} ${route.path}`).toBe(401);
    }
    for (const route of apiRoutes.filter((r) => r.access.kind === 'operator')) {
      const before = await deniedAuditRows();
      const res = await call(sessions.get('owner')!, route, mine.id.toString());
      expect(res.status, `${route.method} ${route.path}`).toBe(403);
      expect(await deniedAuditRows()).toBe(before + 1);
    }
  });
});
