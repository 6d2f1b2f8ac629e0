/**
 * Payment-network secrets are sealed at rest with SECRETS_KEY: what the database holds is neither
 * the secret nor usable without the key; rotation with an overlap still works; a secret stored in
 * plain text before sealing still verifies and is sealed on first use.
 */
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { composePaymentNumber } from '../../server/payments/payment-number.ts';
import { rotateNetworkSecret } from '../../server/payments/payments.service.ts';
import { signNotification } from '../../server/payments/signature.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';

const test = useTestDatabase();
const app = useProduct(test);
let account: AccountFixture;
let accountant: ApiClient;

const stored = async () =>
  (
    await sql<{ id: bigint; secret: string; valid_until: Date | null }>`
      select id, secret, valid_until from payment_network_secrets where account_id = ${account.id} order by id`.execute(
      test.ownerDb,
    )
  ).rows;

let serial = 0n;
async function notify(secret: string) {
  serial += 1n;
  const body = JSON.stringify({
    transactions: [
      {
        transactionId: `SEALED-${serial}`,
        number: composePaymentNumber('vehicle', '1', 777_000n + serial),
        amountMinor: '1000',
        currency: 'JOD',
        paidAt: new Date().toISOString(),
      },
    ],
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const res = await fetch(`${app.product.url}/api/v1/payments/notifications`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-account-id': account.id.toString(),
      'x-payment-network': 'generic',
      'x-payment-timestamp': timestamp,
      'x-payment-signature': signNotification(secret, timestamp, body),
    },
    body,
  });
  await res.text();
  return res.status;
}

beforeAll(async () => {
  account = await makeAccount(test.db, 'JO');
  accountant = new ApiClient(app.product.url!);
  await accountant.signIn(account.users.accountant.email);
  accountant.accountId = account.id.toString();
});

describe('payment-network secrets at rest', { timeout: 60_000 }, () => {
  it('are stored sealed, verify notifications, and rotate with an overlap', async () => {
    const first = (await accountant.post<{ secret: string }>('/payments/secrets', { network: 'generic' }))
      .body.secret;
    const rows = await stored();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.secret).toMatch(/^sealed:v1:/);
    expect(rows[0]!.secret).not.toContain(first);
    expect(rows[0]!.secret).not.toContain(first.slice(6, 20));
    expect(await notify(first)).toBe(200);

    const second = (
      await accountant.post<{ secret: string }>('/payments/secrets', {
        network: 'generic',
        overlapSeconds: 3600,
      })
    ).body.secret;
    expect(await notify(first)).toBe(200); // still in its overlap
    expect(await notify(second)).toBe(200);
    await accountant.post('/payments/secrets', { network: 'generic', overlapSeconds: 0 });
    expect(await notify(second)).toBe(401);
    expect((await stored()).every((r) => r.secret.startsWith('sealed:v1:'))).toBe(true);
  });

  it('take a secret stored in plain text before sealing, and seal it on first use', async () => {
    const plain = `whsec_legacy_${'p'.repeat(32)}`;
    // A row as it was before sealing: the rule is NOT VALID for rows stored then.
    await sql`alter table payment_network_secrets drop constraint payment_network_secrets_sealed`.execute(
      test.ownerDb,
    );
    await sql`insert into payment_network_secrets (account_id, network, secret) values (${account.id}, 'generic', ${plain})`.execute(
      test.ownerDb,
    );
    await sql`alter table payment_network_secrets add constraint payment_network_secrets_sealed
              check (secret like 'sealed:v1:%') not valid`.execute(test.ownerDb);
    expect(await notify(plain)).toBe(200);
    const rows = await stored();
    expect(rows.every((r) => r.secret.startsWith('sealed:v1:'))).toBe(true);
    expect(rows.some((r) => r.secret.includes(plain))).toBe(false);
    expect(await notify(plain)).toBe(200);
  });

  it('need SECRETS_KEY on an external database outside demo mode', async () => {
    const { SECRETS_KEY: _, ...withoutKey } = test.env;
    expect(loadConfig({ ...withoutKey }, []).secretsKey).toBeUndefined();
    expect(loadConfig({ ...withoutKey, DEMO: 'true' }, []).secretsKey).toHaveLength(32);
    expect(loadConfig({}, []).secretsKey).toHaveLength(32); // embedded database
    expect(() => loadConfig({ ...test.env, SECRETS_KEY: 'c2hvcnQ=' }, [])).toThrow(/SECRETS_KEY/);
    await expect(
      withTenant(test.db, account.id, (trx) =>
        rotateNetworkSecret(trx, undefined, account.id, 'generic', new Date(), 0),
      ),
    ).rejects.toMatchObject({ code: 'payments.secrets_key_missing' });
  });
});
