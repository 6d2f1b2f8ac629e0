import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmsStub, startSmsStub } from '../../fixtures/sms/stub.ts';
import { addRecipient, saveAlertSettings } from '../../server/alerts/alerts.service.ts';
import type { AlertChannels } from '../../server/alerts/channels/channel.ts';
import { createEmailChannel } from '../../server/alerts/channels/email.ts';
import { createSmsChannel } from '../../server/alerts/channels/sms.ts';
import { createWebhookChannel } from '../../server/alerts/channels/webhook.ts';
import {
  type KeptMail,
  type LocalMailbox,
  readJsonFiles,
  startLocalMailbox,
} from '../../server/alerts/local-mailbox.ts';
import { claimDigests, drainOutbox, outgoing } from '../../server/alerts/outbox.ts';
import { recordRunAlerts } from '../../server/alerts/run-events.service.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { abortRun } from '../../server/runs/run-ending.service.ts';
import { startRun } from '../../server/runs/runs.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeVehicles } from '../support/factories.ts';
import { useJobQueue } from '../support/queue.ts';
import { finesFor, LOCAL_RECEIVERS, RUN_SETTINGS, runNight, startWebhookReceiver } from './support.ts';

const test = useTestDatabase();
const jobs = useJobQueue(test);

const retry = { maxAttempts: 5, baseSeconds: 10, maxSeconds: 40 };
const BASE_URL = 'http://127.0.0.1:3000';
let mailDir: string;
let mailbox: LocalMailbox;
let sms: SmsStub;
let channels: AlertChannels;

beforeAll(async () => {
  mailDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alerts-mail-'));
  mailbox = await startLocalMailbox({ dir: mailDir, port: 0 });
  sms = await startSmsStub();
  channels = {
    email: createEmailChannel({ smtpUrl: mailbox.url, from: 'alerts@fleet.test', timeoutMs: 3000 }),
    sms: createSmsChannel({ url: sms.url, timeoutMs: 3000, maxSegments: 3 }),
    webhook: createWebhookChannel({ timeoutMs: 500, allowPrivate: true }),
  };
});
afterAll(async () => {
  await channels.email.close?.();
  await mailbox?.close();
  await sms?.close();
  fs.rmSync(mailDir, { recursive: true, force: true });
});

const plates = ['JO:10-3001', 'JO:10-3002', 'JO:10-3003'];

async function digests(accountId: bigint, runId?: bigint) {
  const { rows } = await sql<{
    id: string;
    channel: string;
    destination: string;
    status: string;
    attempts: number;
    idempotency_key: string;
    last_error: string | null;
  }>`
    select id::text, channel, destination, status, attempts, idempotency_key, last_error from alert_digests
    where account_id = ${accountId} ${runId === undefined ? sql`` : sql`and run_id = ${runId}`}
    order by id`.execute(test.ownerDb);
  return rows;
}

const mailFor = (accountId: bigint) =>
  readJsonFiles<KeptMail>(mailDir).filter((m) => m.accountId === accountId.toString());

describe('the alerts outbox', { timeout: 60_000 }, () => {
  let account: AccountFixture;
  let secret: string;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    account = await makeAccount(test.db, 'JO');
    await makeVehicles(test.db, account.id, plates);
    hook = await startWebhookReceiver(() => secret);
    await withTenant(test.db, account.id, async (trx) => {
      await addRecipient(trx, account.id, { channel: 'email', role: 'owner', language: 'en' });
      await addRecipient(trx, account.id, {
        channel: 'email',
        address: 'Finance@Example.test',
        language: 'ar',
      });
      await addRecipient(trx, account.id, { channel: 'sms', address: '+962 79 123 4567', language: 'ar' });
      secret = (
        await addRecipient(
          trx,
          account.id,
          { channel: 'webhook', address: hook.url, language: 'en' },
          LOCAL_RECEIVERS,
        )
      ).secret!;
    });
  });
  afterAll(async () => {
    await hook?.close();
  });

  it('writes one digest per recipient and channel with the run, and none more when the run’s end is replayed', async () => {
    const { runId } = await runNight(test.db, jobs.queue, account.id, finesFor('JO', plates));
    const written = await digests(account.id, runId);
    expect(written.map((d) => `${d.channel} ${d.destination}`).sort()).toEqual(
      [
        `email ${account.users.owner.email}`,
        'email finance@example.test',
        'sms +962791234567',
        `webhook ${hook.url}`,
      ].sort(),
    );
    // The run's end recorded again (a re-delivered job): the unique index keeps the four.
    const again = await withTenant(test.db, account.id, (trx) =>
      recordRunAlerts(trx, jobs.queue, account.id, runId),
    );
    expect(again).toBe(0);
    expect(await digests(account.id, runId)).toHaveLength(4);
    // Its wake-up job was enqueued in the run's transaction.
    const wake = await sql<{ n: number }>`
      select count(*)::int as n from pgboss.job where name = 'alerts.deliver'
        and data ->> 'accountId' = ${account.id.toString()}`.execute(test.ownerDb);
    expect(wake.rows[0]!.n).toBeGreaterThanOrEqual(1);
  });

  it('delivers each digest once although its sender died after sending, recognised by its idempotency key', async () => {
    const now = new Date();
    // A sender claims the digests, sends them, and dies before recording that it did.
    const claimed = await claimDigests(test.db, account.id, now, 60, 100);
    expect(claimed).toHaveLength(4);
    for (const digest of claimed) await channels[digest.channel].send(outgoing(digest, BASE_URL, new Date()));
    // While its lease runs nobody else sends them; after it, the next drain does, with the same keys.
    expect(
      await drainOutbox(test.db, channels, { now, retry, baseUrl: BASE_URL, accountId: account.id }),
    ).toEqual({
      sent: 0,
      retrying: 0,
      dead: 0,
    });
    const later = new Date(now.getTime() + 61_000);
    expect(await drainOutbox(test.db, channels, { now: later, retry, baseUrl: BASE_URL })).toEqual({
      sent: 4,
      retrying: 0,
      dead: 0,
    });
    const rows = await digests(account.id);
    expect(rows.every((d) => d.status === 'sent' && d.attempts === 2)).toBe(true);
    const keys = new Set(rows.map((d) => d.idempotency_key));
    // Every receiver holds each digest once; the second delivery was recognised by its key.
    const mail = mailFor(account.id);
    expect(mail).toHaveLength(2);
    expect(new Set(mail.map((m) => m.messageId.replace(/^<|@.*$/g, '')))).toEqual(
      new Set(rows.filter((d) => d.channel === 'email').map((d) => d.idempotency_key)),
    );
    const texts = sms.received().filter((s) => s.accountId === account.id.toString());
    expect(texts).toHaveLength(1);
    expect(texts[0]!.deliveries).toBe(2);
    expect(keys.has(texts[0]!.reference)).toBe(true);
    expect(hook.accepted.size).toBe(1);
    expect(hook.requests.map((r) => r.id)).toEqual([...hook.accepted.keys(), ...hook.accepted.keys()]);
    expect([...hook.accepted.values()][0]!.verified).toBe(true);
  });

  it('sends each digest once when two drains race', async () => {
    const { runId } = await runNight(test.db, jobs.queue, account.id, finesFor('JO', plates));
    const now = new Date(Date.now() + 120_000);
    const [a, b] = await Promise.all([
      drainOutbox(test.db, channels, { now, retry, baseUrl: BASE_URL, batchSize: 2, concurrency: 1 }),
      drainOutbox(test.db, channels, { now, retry, baseUrl: BASE_URL, batchSize: 2, concurrency: 1 }),
    ]);
    expect(a.sent + b.sent).toBe(4);
    const rows = await digests(account.id, runId);
    expect(rows.every((d) => d.status === 'sent' && d.attempts === 1)).toBe(true);
    const keys = rows.map((d) => d.idempotency_key);
    expect(hook.requests.filter((r) => keys.includes(r.id))).toHaveLength(1);
    const texts = sms.received().filter((s) => keys.includes(s.reference));
    expect(texts.map((t) => t.deliveries)).toEqual([1]);
    // Arabic goes as UCS-2, within the allowed parts, and ends with the run's link.
    expect(texts[0]!.encoding).toBe('ucs2');
    expect(texts[0]!.segments).toBeLessThanOrEqual(3);
    expect(texts[0]!.text.endsWith(`${BASE_URL}/runs/${runId}`)).toBe(true);
    expect(mailFor(account.id)).toHaveLength(4);
  });
});

describe('a failing receiver', { timeout: 60_000 }, () => {
  it('that fails three times and then succeeds gets the event once, signed so its own check accepts it', async () => {
    const account = await makeAccount(test.db, 'JO');
    await makeVehicles(test.db, account.id, plates);
    let secret = '';
    const hook = await startWebhookReceiver(() => secret, [500, 503, 500]);
    try {
      await withTenant(test.db, account.id, async (trx) => {
        secret = (
          await addRecipient(
            trx,
            account.id,
            { channel: 'webhook', address: hook.url, language: 'ar' },
            LOCAL_RECEIVERS,
          )
        ).secret!;
      });
      const { runId } = await runNight(test.db, jobs.queue, account.id, finesFor('JO', plates));
      let now = new Date(Date.now() + 1000);
      const results = [];
      for (let i = 0; i < 4; i++) {
        results.push(
          await drainOutbox(test.db, channels, { now, retry, baseUrl: BASE_URL, accountId: account.id }),
        );
        // Nothing is due before its backoff has passed.
        expect(
          (await drainOutbox(test.db, channels, { now, retry, baseUrl: BASE_URL, accountId: account.id }))
            .sent,
        ).toBe(0);
        now = new Date(now.getTime() + 41_000);
      }
      expect(results.map((r) => (r.sent ? 'sent' : r.retrying ? 'retry' : 'dead'))).toEqual([
        'retry',
        'retry',
        'retry',
        'sent',
      ]);
      expect(hook.requests.map((r) => r.status)).toEqual([500, 503, 500, 200]);
      // Every attempt carried the same webhook-id: a replay is recognisable by it.
      expect(new Set(hook.requests.map((r) => r.id)).size).toBe(1);
      expect(hook.accepted.size).toBe(1);
      const delivered = [...hook.accepted.values()][0]!;
      expect(delivered.verified).toBe(true);
      expect((delivered.body as { type: string; data: { runId: string } }).data.runId).toBe(runId.toString());
      const [row] = await digests(account.id, runId);
      expect(row).toMatchObject({ status: 'sent', attempts: 4 });
      // Backoff doubled from the base and was capped: 10 s, 20 s, 40 s.
      const history = await sql<{ outcome: string; error: string | null }>`
        select outcome, error from alert_attempts where account_id = ${account.id} order by attempt`.execute(
        test.ownerDb,
      );
      expect(history.rows.map((h) => h.outcome)).toEqual(['failed', 'failed', 'failed', 'sent']);
      expect(history.rows[0]!.error).toMatch(/answered 500/);
    } finally {
      await hook.close();
    }
  });

  it('that always fails ends dead-lettered with the reason, while the other channels and accounts are served', async () => {
    const account = await makeAccount(test.db, 'EG');
    const other = await makeAccount(test.db, 'IQ');
    const egPlates = ['EG:1-100', 'EG:1-101'];
    const iqPlates = ['IQ:1-200'];
    await makeVehicles(test.db, account.id, egPlates);
    await makeVehicles(test.db, other.id, iqPlates);
    const failing = await startWebhookReceiver(() => 'whsec_unused');
    failing.alwaysAnswer(500);
    // A receiver slower than the timeout, and an SMTP server nobody listens on.
    const slow = await startWebhookReceiver(() => 'whsec_unused', [], 2000);
    const deadSmtp = createEmailChannel({ smtpUrl: 'smtp://127.0.0.1:1', from: 'a@b.test', timeoutMs: 1000 });
    const mixed: AlertChannels = { ...channels, email: deadSmtp };
    try {
      await withTenant(test.db, account.id, async (trx) => {
        await addRecipient(
          trx,
          account.id,
          { channel: 'webhook', address: failing.url, language: 'en' },
          LOCAL_RECEIVERS,
        );
        await addRecipient(
          trx,
          account.id,
          { channel: 'webhook', address: slow.url, language: 'en' },
          LOCAL_RECEIVERS,
        );
        await addRecipient(trx, account.id, {
          channel: 'email',
          address: 'ops@example.test',
          language: 'en',
        });
        await addRecipient(trx, account.id, { channel: 'sms', address: '+201001234567', language: 'en' });
      });
      await withTenant(test.db, other.id, (trx) =>
        addRecipient(trx, other.id, { channel: 'sms', address: '+9647701234567', language: 'ar' }),
      );
      await runNight(test.db, jobs.queue, account.id, finesFor('EG', egPlates));
      await runNight(test.db, jobs.queue, other.id, finesFor('IQ', iqPlates));
      let now = new Date(Date.now() + 1000);
      for (let i = 0; i < retry.maxAttempts; i++) {
        await drainOutbox(test.db, mixed, { now, retry, baseUrl: BASE_URL });
        now = new Date(now.getTime() + 41_000);
      }
      const rows = await digests(account.id);
      const by = (channel: string, destination: string) =>
        rows.find((d) => d.channel === channel && d.destination === destination)!;
      expect(by('webhook', failing.url)).toMatchObject({ status: 'dead', attempts: retry.maxAttempts });
      expect(by('webhook', failing.url).last_error).toMatch(/answered 500/);
      expect(by('webhook', slow.url)).toMatchObject({
        status: 'dead',
        last_error: 'no answer within the timeout',
      });
      expect(by('email', 'ops@example.test').status).toBe('dead');
      expect(by('email', 'ops@example.test').last_error).toMatch(/ECONNREFUSED/);
      // The SMS of this account and the other account's went out on the first drain.
      expect(by('sms', '+201001234567')).toMatchObject({ status: 'sent', attempts: 1 });
      expect((await digests(other.id))[0]).toMatchObject({ status: 'sent', attempts: 1 });
      expect(failing.requests).toHaveLength(retry.maxAttempts);
    } finally {
      await deadSmtp.close?.();
      await failing.close();
      await slow.close();
    }
  });
});

describe('what a run gives to alert about', { timeout: 60_000 }, () => {
  it('is nothing on a night with nothing to act on, and an all-clear on a scheduled night when asked', async () => {
    const account = await makeAccount(test.db, 'JO');
    await makeVehicles(test.db, account.id, ['JO:20-1001']);
    await withTenant(test.db, account.id, (trx) =>
      addRecipient(trx, account.id, { channel: 'sms', address: '+962790000123', language: 'en' }),
    );
    const quiet = await runNight(test.db, jobs.queue, account.id, new Map());
    expect(await digests(account.id, quiet.runId)).toEqual([]);
    await withTenant(test.db, account.id, (trx) =>
      saveAlertSettings(trx, account.id, { horizonDays: 7, dailyAllClear: true, quietHours: null }),
    );
    const manual = await runNight(test.db, jobs.queue, account.id, new Map());
    expect(await digests(account.id, manual.runId)).toEqual([]);
    const nightly = await runNight(test.db, jobs.queue, account.id, new Map(), '2026-12-01');
    const [allClear] = await sql<{ kind: string }>`
      select kind from alert_digests where account_id = ${account.id} and run_id = ${nightly.runId}`
      .execute(test.ownerDb)
      .then((r) => r.rows);
    expect(allClear).toEqual({ kind: 'all_clear' });
  });

  it('is the failure, with its reason, when a run is aborted', async () => {
    const account = await makeAccount(test.db, 'IQ');
    await makeVehicles(test.db, account.id, ['IQ:5-5005']);
    await withTenant(test.db, account.id, (trx) =>
      addRecipient(trx, account.id, { channel: 'email', role: 'owner', language: 'ar' }),
    );
    const run = await withTenant(test.db, account.id, (trx) =>
      startRun(
        trx,
        jobs.queue,
        { accountId: account.id, kind: 'manual', localNight: null, requestedBy: null },
        RUN_SETTINGS,
      ),
    );
    await withTenant(test.db, account.id, (trx) => abortRun(trx, jobs.queue, account.id, run!.id));
    const { rows } = await sql<{ events: { status: string; runError: string } }>`
      select events from alert_digests where account_id = ${account.id} and run_id = ${run!.id}`.execute(
      test.ownerDb,
    );
    expect(rows.map((r) => [r.events.status, r.events.runError])).toEqual([
      ['failed', 'aborted by an owner'],
    ]);
  });
});
