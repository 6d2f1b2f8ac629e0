import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeOperator, TEST_PASSWORD } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';

const test = useTestDatabase();
const app = useProduct(test);
const client = () => new ApiClient(app.product.url!);
let attackerAccount: AccountFixture;
let operator: ApiClient;
let attacker: ApiClient;
let registry = 0;

type Added = { invitation: { id: string; token: string; expiresAt: string } | null } & Record<
  string,
  unknown
>;
type Code = { error: { code: string } };

/** The operator opens an account for a business whose first owner is `email` (as over the API). */
async function openAccount(email: string): Promise<{ accountId: string; token: string }> {
  registry += 1;
  const created = await operator.post<{ account: { id: string }; owner: { invitation: { token: string } } }>(
    '/accounts',
    {
      kind: 'company',
      legalNameAr: 'شركة الضحية',
      legalNameEn: `Victim Co. ${registry}`,
      registryNumber: `VICTIM-${registry}`,
      jurisdiction: 'JO',
      owner: { email },
    },
  );
  expect(created.status).toBe(201);
  return { accountId: created.body.account.id, token: created.body.owner.invitation.token };
}

beforeAll(async () => {
  attackerAccount = await makeAccount(test.db, 'JO');
  const op = await makeOperator(test.db);
  operator = client();
  expect((await operator.signIn(op.email)).status).toBe(200);
  attacker = client();
  expect((await attacker.signIn(attackerAccount.users.owner.email)).status).toBe(200);
  attacker.accountId = attackerAccount.id.toString();
});

describe('account takeover through invitations (issue 17, item 1)', () => {
  it("an owner who adds another account's pending owner cannot set that person's password", async () => {
    const victim = 'boss@victim.example.test';
    const { accountId: victimAccount, token: victimToken } = await openAccount(victim);

    // The attacker adds the victim's email to their own account and tries whatever link comes back.
    const added = await attacker.post<Added>('/account/users', { email: victim, role: 'viewer' });
    expect(added.status).toBe(201);
    if (added.body.invitation?.token) {
      const accepted = await client().post<Code>('/invitations/accept', {
        token: added.body.invitation.token,
        password: 'attacker chose this password',
      });
      expect(accepted.status).toBe(409);
      expect(accepted.body.error.code).toBe('invitation_needs_sign_in');
    }
    const asVictim = client();
    expect((await asVictim.signIn(victim, 'attacker chose this password')).status).toBe(401);

    // The real owner's link still works, and the account is theirs alone.
    const owner = client();
    expect(
      (await owner.post('/invitations/accept', { token: victimToken, password: 'the real owner password' }))
        .status,
    ).toBe(200);
    const signedIn = await owner.signIn(victim, 'the real owner password');
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.accounts).toEqual([expect.objectContaining({ id: victimAccount, role: 'owner' })]);
    // The attacker's invitation ended when the owner accepted theirs: nothing waits for consent.
    const pending = await owner.get<{ invitations: unknown[] }>('/me/invitations');
    expect(pending.body.invitations).toEqual([]);
    // And the attacker never got into the victim's account.
    expect((await attacker.get('/account', { 'x-account-id': victimAccount })).status).toBe(404);
  });

  it("a token issued to someone else earlier never resets an active person's password", async () => {
    const person = 'once@victim.example.test';
    const { token } = await openAccount(person);
    // The attacker asks for a link while the person is still pending, and keeps it.
    const added = await attacker.post<Added>('/account/users', { email: person, role: 'viewer' });
    expect(added.status).toBe(201);
    expect(
      (await client().post('/invitations/accept', { token, password: 'first password ok' })).status,
    ).toBe(200);
    for (const replayed of [token, added.body.invitation?.token].filter((t): t is string => Boolean(t))) {
      const replay = await client().post('/invitations/accept', {
        token: replayed,
        password: 'second password bad',
      });
      expect([400, 409]).toContain(replay.status);
    }
    expect((await client().signIn(person, 'second password bad')).status).toBe(401);
    expect((await client().signIn(person, 'first password ok')).status).toBe(200);
  });

  it('an active user added elsewhere gets a pending membership, confirmed only after signing in', async () => {
    const other = await makeAccount(test.db, 'EG');
    const target = other.users.accountant;
    const added = await attacker.post<Added>('/account/users', { email: target.email, role: 'owner' });
    expect(added.status).toBe(201);
    if (added.body.invitation?.token) {
      const accepted = await client().post('/invitations/accept', {
        token: added.body.invitation.token,
        password: 'attacker chose this password',
      });
      expect(accepted.status).toBe(409);
    }
    expect((await client().signIn(target.email, 'attacker chose this password')).status).toBe(401);
    const person = client();
    const signedIn = await person.signIn(target.email, TEST_PASSWORD);
    expect(signedIn.status).toBe(200);
    // Not a member until they say so.
    expect(signedIn.body.accounts.map((a) => a.id)).toEqual([other.id.toString()]);
    const listed = await attacker.get<{
      users: Array<{ email: string }>;
      invitations: Array<{ email: string }>;
    }>('/account/users');
    expect(listed.body.users.map((u) => u.email)).not.toContain(target.email);
    expect(listed.body.invitations.map((i) => i.email)).toContain(target.email);

    const pending = await person.get<{
      invitations: Array<{ id: string; account: { id: string }; role: string }>;
    }>('/me/invitations');
    expect(pending.body.invitations).toEqual([
      expect.objectContaining({
        account: expect.objectContaining({ id: attackerAccount.id.toString() }),
        role: 'owner',
      }),
    ]);
    const id = pending.body.invitations[0]!.id;
    expect((await person.post(`/me/invitations/${id}/decline`)).status).toBe(200);
    expect((await person.post<Code>(`/me/invitations/${id}/accept`)).status).toBe(404);
    const me = await person.get<{ accounts: Array<{ id: string }> }>('/me');
    expect(me.body.accounts.map((a) => a.id)).toEqual([other.id.toString()]);
  });

  it('a person accepts a pending membership after signing in, and is then a member', async () => {
    const other = await makeAccount(test.db, 'IQ');
    const target = other.users.viewer;
    expect((await attacker.post('/account/users', { email: target.email, role: 'accountant' })).status).toBe(
      201,
    );
    const person = client();
    await person.signIn(target.email);
    const pending = await person.get<{ invitations: Array<{ id: string }> }>('/me/invitations');
    const accepted = await person.post<{ account: { id: string }; role: string }>(
      `/me/invitations/${pending.body.invitations[0]!.id}/accept`,
    );
    expect(accepted.status).toBe(200);
    const me = await person.get<{ accounts: Array<{ id: string; role: string }> }>('/me');
    expect(me.body.accounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: attackerAccount.id.toString(), role: 'accountant' }),
        expect.objectContaining({ id: other.id.toString(), role: 'viewer' }),
      ]),
    );
  });

  it('answers the same for a registered and an unknown email (no enumeration oracle)', async () => {
    const other = await makeAccount(test.db, 'JO');
    const known = await attacker.post<Added>('/account/users', {
      email: other.users.viewer.email,
      role: 'viewer',
    });
    const unknown = await attacker.post<Added>('/account/users', {
      email: 'nobody.yet@example.test',
      role: 'viewer',
    });
    expect(known.status).toBe(unknown.status);
    const shape = (body: Added) =>
      JSON.parse(
        JSON.stringify(body)
          .replace(/"\d+"/g, '"<id>"')
          .replace(/"[\w-]{40,}"/g, '"<token>"')
          .replace(/"\d{4}-\d\d-\d\dT[^"]+"/g, '"<time>"')
          .replace(/"[^"]+@example\.test"/g, '"<email>"'),
      );
    expect(shape(known.body)).toEqual(shape(unknown.body));
    expect(Object.keys(known.body).sort()).toEqual(Object.keys(unknown.body).sort());
  });

  it('of two accounts adding the same new person at once, exactly one gets a link that sets a password', async () => {
    const second = await makeAccount(test.db, 'EG');
    const secondOwner = client();
    await secondOwner.signIn(second.users.owner.email);
    secondOwner.accountId = second.id.toString();
    const email = 'contested@example.test';
    const answers = await Promise.all([
      attacker.post<Added>('/account/users', { email, role: 'viewer' }),
      secondOwner.post<Added>('/account/users', { email, role: 'viewer' }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([201, 201]);
    const outcomes = await Promise.all(
      answers.map((a) =>
        client().post('/invitations/accept', {
          token: a.body.invitation!.token,
          password: 'contested password',
        }),
      ),
    );
    expect(outcomes.map((o) => o.status).sort()).toEqual([200, 409]);
  });

  it('an owner who adds an email before its account is opened still never gets into that account', async () => {
    const victim = 'early@victim.example.test';
    // The attacker is first: their add creates the person, so their link may set a password.
    const added = await attacker.post<Added>('/account/users', { email: victim, role: 'viewer' });
    expect(added.status).toBe(201);
    const { accountId: victimAccount, token: ownerToken } = await openAccount(victim);
    // The operator's invitation came second: it is confirmed after signing in, never by a password.
    const ownerTry = await client().post<Code>('/invitations/accept', {
      token: ownerToken,
      password: 'owner password 1',
    });
    expect(ownerTry.status).toBe(409);
    expect(ownerTry.body.error.code).toBe('invitation_needs_sign_in');
    // The attacker accepts their own link as the victim: that ends the victim's other invitations.
    expect(
      (
        await client().post('/invitations/accept', {
          token: added.body.invitation!.token,
          password: 'attacker password',
        })
      ).status,
    ).toBe(200);
    const asVictim = client();
    expect((await asVictim.signIn(victim, 'attacker password')).status).toBe(200);
    expect((await asVictim.get<{ invitations: unknown[] }>('/me/invitations')).body.invitations).toEqual([]);
    expect((await asVictim.get('/account', { 'x-account-id': victimAccount })).status).toBe(404);
    const { rows } = await sql<{ status: string }>`
      select status from invitations where account_id = ${BigInt(victimAccount)}`.execute(test.ownerDb);
    expect(rows).toEqual([{ status: 'superseded' }]);
  });

  it('an owner lists pending invitations and withdraws one; a withdrawn link is dead', async () => {
    const added = await attacker.post<Added>('/account/users', {
      email: 'withdrawn@example.test',
      role: 'viewer',
    });
    const again = await attacker.post<Code>('/account/users', {
      email: 'withdrawn@example.test',
      role: 'owner',
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_invited');
    const id = added.body.invitation!.id;
    const listed = await attacker.get<{ invitations: Array<{ id: string; email: string; role: string }> }>(
      '/account/users',
    );
    expect(listed.body.invitations).toContainEqual(
      expect.objectContaining({ id, email: 'withdrawn@example.test', role: 'viewer' }),
    );
    expect((await attacker.delete(`/account/invitations/${id}`)).status).toBe(204);
    expect((await attacker.delete(`/account/invitations/${id}`)).status).toBe(404);
    const accept = await client().post('/invitations/accept', {
      token: added.body.invitation!.token,
      password: 'too late password',
    });
    expect(accept.status).toBe(400);
    // Invited again, the same account's new link works: it created the person, who has no password yet.
    const reinvited = await attacker.post<Added>('/account/users', {
      email: 'withdrawn@example.test',
      role: 'viewer',
    });
    expect(reinvited.status).toBe(201);
    expect(
      (
        await client().post('/invitations/accept', {
          token: reinvited.body.invitation!.token,
          password: 'second chance password',
        })
      ).status,
    ).toBe(200);
  });

  it('setting a password revokes the sessions the person had', async () => {
    const { token } = await openAccount('sessions@victim.example.test');
    const user = await test.ownerDb
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'sessions@victim.example.test')
      .executeTakeFirstOrThrow();
    await test.ownerDb
      .insertInto('sessions')
      .values({
        id: 'planted-session',
        user_id: user.id,
        csrf_token: 'x',
        expires_at: new Date(Date.now() + 3_600_000),
      })
      .execute();
    expect((await client().post('/invitations/accept', { token, password: 'a fresh password' })).status).toBe(
      200,
    );
    const { rows } = await sql<{ revoked: boolean }>`
      select revoked_at is not null as revoked from sessions where id = 'planted-session'`.execute(
      test.ownerDb,
    );
    expect(rows).toEqual([{ revoked: true }]);
  });
});
