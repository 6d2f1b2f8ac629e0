import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRecipient } from '../../server/alerts/alerts.service.ts';
import type { OutgoingAlert } from '../../server/alerts/channels/channel.ts';
import { createWebhookChannel } from '../../server/alerts/channels/webhook.ts';
import { isPrivateAddress } from '../../server/alerts/webhook-address.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { DomainError } from '../../server/errors.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';
import { LOCAL_RECEIVERS, startWebhookReceiver } from './support.ts';

/** Webhooks are kept from this machine and private networks unless ALERTS_WEBHOOK_ALLOW_PRIVATE says otherwise. */
const test = useTestDatabase();

describe('private webhook addresses', { timeout: 30_000 }, () => {
  let account: AccountFixture;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  beforeAll(async () => {
    account = await makeAccount(test.db, 'JO');
    hook = await startWebhookReceiver(() => secret);
  });
  afterAll(async () => {
    await hook?.close();
  });

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.1', true],
    ['100.100.100.200', true],
    ['169.254.169.254', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['fd00:ec2::254', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:a9fe:a9fe', true],
    ['8.8.8.8', false],
    ['172.32.0.1', false],
    ['2001:4860:4860::8888', false],
    ['::ffff:8.8.8.8', false],
  ])('%s is private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'https://[::1]/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.7/erp',
    'https://[fd12:3456::1]/erp',
    'https://[::ffff:7f00:1]/hook',
    'https://2130706433/hook',
  ])('refuses %s when saved, in both languages, and saves nothing', async (address) => {
    const caught = await withTenant(test.db, account.id, (trx) =>
      addRecipient(trx, account.id, { channel: 'webhook', address, language: 'ar' }),
    ).catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(DomainError);
    const error = caught as DomainError;
    expect(error.code).toBe('alerts.recipient_url_private');
    expect(error.status).toBe(422);
    const details = error.details as { resolved: string; message: { en: string; ar: string } };
    expect(isPrivateAddress(details.resolved)).toBe(true);
    expect(details.message.en).toContain('ALERTS_WEBHOOK_ALLOW_PRIVATE');
    expect(details.message.en).toContain(details.resolved);
    expect(details.message.ar).toContain('عامة');
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from alert_recipients where account_id = ${account.id}`.execute(test.ownerDb);
    expect(rows[0]!.n).toBe(0);
  });

  it('saves a local receiver only when private addresses are allowed', async () => {
    const added = await withTenant(test.db, account.id, (trx) =>
      addRecipient(
        trx,
        account.id,
        { channel: 'webhook', address: hook.url, language: 'en' },
        LOCAL_RECEIVERS,
      ),
    );
    expect(added.address).toBe(hook.url);
  });

  const alertTo = (destination: string): OutgoingAlert => ({
    accountId: account.id.toString(),
    destination,
    language: 'en',
    idempotencyKey: `ssrf-${destination}`,
    subject: 's',
    text: 't',
    html: '<p>t</p>',
    lines: [],
    link: 'http://127.0.0.1/alerts',
    json: '{"type":"test"}',
    secret,
  });

  it('refuses at send time, by resolving the host, unless allowed; the receiver never hears of it', async () => {
    const strict = createWebhookChannel({ timeoutMs: 3000, allowPrivate: false });
    const byName = hook.url.replace('127.0.0.1', 'localhost');
    for (const destination of [hook.url, byName]) {
      await expect(strict.send(alertTo(destination))).rejects.toThrow(
        /resolves to (127\.0\.0\.1|::1), a loopback, private, link-local or metadata address; refused \(ALERTS_WEBHOOK_ALLOW_PRIVATE=true allows it\)/,
      );
    }
    expect(hook.requests).toHaveLength(0);
    await createWebhookChannel({ timeoutMs: 3000, allowPrivate: true }).send(alertTo(hook.url));
    expect(hook.requests).toHaveLength(1);
  });
});
