import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertMembership } from '../../server/accounts/accounts.repo.ts';
import { asOperator } from '../../server/db/tenant.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeOperator, TEST_PASSWORD } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';

const test = useTestDatabase();
const app = useProduct(test);
let account: AccountFixture;
const client = () => new ApiClient(app.product.url!);

beforeAll(async () => {
  account = await makeAccount(test.db, 'JO');
});

describe('sign-in and sessions', () => {
  it('signs in with email and password and answers the user, accounts with roles and a CSRF token', async () => {
    const c = client();
    const res = await c.signIn(account.users.owner.email.toUpperCase());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user: { email: account.users.owner.email },
      accounts: [{ id: account.id.toString(), role: 'owner', jurisdiction: 'JO' }],
    });
    expect(res.body.csrfToken).toMatch(/^[\w-]{20,}$/);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^fleet_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const me = await c.get<{ user: { email: string } }>('/me');
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(account.users.owner.email);
  });

  it('answers a wrong password and an unknown email with the same generic error', async () => {
    const wrong = await client().signIn(account.users.viewer.email, 'not the password');
    const unknown = await client().signIn('nobody@example.test', 'not the password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    // Alike but for the request's own id.
    const withoutId = (body: unknown) => ({
      error: { ...(body as { error: object }).error, requestId: undefined },
    });
    expect(withoutId(wrong.body)).toEqual(withoutId(unknown.body));
    expect(wrong.body).toEqual({
      error: {
        code: 'invalid_credentials',
        message: 'the email or password is not correct',
        messageAr: 'البريد الإلكتروني أو كلمة المرور غير صحيحة.',
        wordsFrom: 'catalogue',
        details: null,
        requestId: expect.any(String),
      },
    });
  });

  it('requires the CSRF token on state-changing requests made with the cookie', async () => {
    const c = client();
    await c.signIn(account.users.owner.email);
    c.accountId = account.id.toString();
    const token = c.csrfToken;
    c.csrfToken = undefined;
    const refused = await c.patch('/account', { legalNameEn: 'Renamed Co.' });
    expect(refused.status).toBe(403);
    expect((refused.body as { error: { code: string } }).error.code).toBe('csrf_failed');
    c.csrfToken = 'wrong-token-wrong-token';
    expect((await c.patch('/account', { legalNameEn: 'Renamed Co.' })).status).toBe(403);
    c.csrfToken = token;
    const done = await c.patch<{ legalNameEn: string }>('/account', { legalNameEn: 'Renamed Co.' });
    expect(done.status).toBe(200);
    expect(done.body.legalNameEn).toBe('Renamed Co.');
  });

  it('ends the session on the server at logout: the old cookie stops working', async () => {
    const c = client();
    await c.signIn(account.users.accountant.email);
    expect((await c.delete('/session')).status).toBe(204);
    const after = await c.get('/me');
    expect(after.status).toBe(401);
  });

  it('applies a role change on the very next request', async () => {
    const viewer = client();
    await viewer.signIn(account.users.viewer.email);
    viewer.accountId = account.id.toString();
    expect((await viewer.get('/account/users')).status).toBe(403);

    const owner = client();
    await owner.signIn(account.users.owner.email);
    owner.accountId = account.id.toString();
    const changed = await owner.patch(`/account/users/${account.users.viewer.id}`, { role: 'owner' });
    expect(changed.status).toBe(200);
    expect((await viewer.get('/account/users')).status).toBe(200);
    await owner.patch(`/account/users/${account.users.viewer.id}`, { role: 'viewer' });
    expect((await viewer.get('/account/users')).status).toBe(403);
  });

  it('keeps at least one owner', async () => {
    const fresh = await makeAccount(test.db, 'IQ');
    const owner = client();
    await owner.signIn(fresh.users.owner.email);
    owner.accountId = fresh.id.toString();
    const res = await owner.patch(`/account/users/${fresh.users.owner.id}`, { role: 'viewer' });
    expect(res.status).toBe(409);
    expect((res.body as { error: { code: string } }).error.code).toBe('last_owner');
  });

  it('invites a new person, who sets a password and signs in', async () => {
    const owner = client();
    await owner.signIn(account.users.owner.email);
    owner.accountId = account.id.toString();
    const invited = await owner.post<{ invitation: { token: string } }>('/account/users', {
      email: 'New.Driver.Manager@example.test',
      role: 'fleet_admin',
      displayName: 'مدير الأسطول',
    });
    expect(invited.status).toBe(201);
    const token = invited.body.invitation.token;
    expect((await client().signIn('new.driver.manager@example.test', 'a brand new password')).status).toBe(
      401,
    );
    const accepted = await client().post('/invitations/accept', { token, password: 'a brand new password' });
    expect(accepted.status).toBe(200);
    expect(
      (await client().post('/invitations/accept', { token, password: 'another new password' })).status,
    ).toBe(400);
    const signedIn = await client().signIn('new.driver.manager@example.test', 'a brand new password');
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.accounts).toEqual([
      expect.objectContaining({ id: account.id.toString(), role: 'fleet_admin' }),
    ]);
  });
});

describe('sign-in audit', () => {
  it('is written in the account the session acts on, when it first acts there, and in no other', async () => {
    const other = await makeAccount(test.db, 'EG');
    const person = account.users.accountant;
    await asOperator(test.db, (trx) => insertMembership(trx, other.id, person.id, 'viewer'));
    const signInRows = async (accountId: bigint) =>
      (
        await sql<{ ip: string | null; actor: string }>`
          select host(ip) as ip, actor_user_id::text as actor from audit_log
          where account_id = ${accountId} and action = 'session.sign_in' order by id`.execute(test.ownerDb)
      ).rows;
    const before = [(await signInRows(account.id)).length, (await signInRows(other.id)).length];

    const c = client();
    c.forwardedFor = '203.0.113.41';
    expect((await c.signIn(person.email)).status).toBe(200);
    // Signing in acts on no account yet: neither account learns of it.
    expect([(await signInRows(account.id)).length, (await signInRows(other.id)).length]).toEqual(before);

    c.accountId = account.id.toString();
    expect((await c.get('/account')).status).toBe(200);
    expect((await c.get('/account')).status).toBe(200);
    const rows = await signInRows(account.id);
    expect(rows.length).toBe(before[0]! + 1);
    expect(rows.at(-1)).toEqual({ ip: '203.0.113.41', actor: person.id.toString() });
    expect((await signInRows(other.id)).length).toBe(before[1]);
  });
});

describe('API tokens', () => {
  it('work as Bearer tokens scoped to one account and role, need no CSRF token, and stop when revoked', async () => {
    const owner = client();
    await owner.signIn(account.users.owner.email);
    owner.accountId = account.id.toString();
    const created = await owner.post<{ id: string; token: string }>('/account/tokens', {
      name: 'ERP',
      role: 'accountant',
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^fft_/);
    const listed = await owner.get<{ tokens: Array<Record<string, unknown>> }>('/account/tokens');
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);

    const erp = client();
    erp.bearer = created.body.token;
    const me = await erp.get<{ token: { accountId: string; role: string } }>('/me');
    expect(me.body.token).toMatchObject({ accountId: account.id.toString(), role: 'accountant' });
    expect((await erp.get('/account')).status).toBe(200);
    expect((await erp.patch('/account', { legalNameEn: 'ERP was here' })).status).toBe(403);

    expect((await owner.delete(`/account/tokens/${created.body.id}`)).status).toBe(200);
    const revoked = await erp.get('/account');
    expect(revoked.status).toBe(401);
    expect((revoked.body as { error: { code: string } }).error.code).toBe('invalid_token');
  });

  it('refuses a made-up token', async () => {
    const erp = client();
    erp.bearer = 'fft_made-up-token';
    expect((await erp.get('/account')).status).toBe(401);
  });
});

describe('operator', () => {
  it('opens an account whose owner is invited, and nobody else may', async () => {
    const operator = await makeOperator(test.db);
    const op = client();
    await op.signIn(operator.email);
    const body = {
      kind: 'cooperative',
      legalNameAr: 'جمعية النقل التعاونية',
      legalNameEn: 'Transport Cooperative',
      registryNumber: '200-555',
      jurisdiction: 'EG',
      owner: { email: 'boss@coop.example.test' },
    };
    const created = await op.post<{
      account: { id: string; currency: string; timeZone: string };
      owner: { invitation: { token: string } };
    }>('/accounts', body);
    expect(created.status).toBe(201);
    expect(created.body.account).toMatchObject({ currency: 'EGP', timeZone: 'Africa/Cairo' });
    expect(created.body.owner.invitation.token).toBeTruthy();
    expect((await op.post('/accounts', body)).status).toBe(409);

    const owner = client();
    await owner.signIn(account.users.owner.email, TEST_PASSWORD);
    expect((await owner.post('/accounts', { ...body, registryNumber: '200-556' })).status).toBe(403);
  });
});

describe('the API document', () => {
  it('is served at /api/v1/openapi.json and lists every route', async () => {
    const res = await client().get<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      '/openapi.json',
    );
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/session',
        '/me',
        '/account',
        '/account/users/{userId}',
        '/account/tokens',
        '/accounts',
      ]),
    );
  });
});
