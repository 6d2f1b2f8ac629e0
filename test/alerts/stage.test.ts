import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRecipient, saveAlertSettings } from '../../server/alerts/alerts.service.ts';
import { createWebhookChannel } from '../../server/alerts/channels/webhook.ts';
import { drainOutbox } from '../../server/alerts/outbox.ts';
import type { AuthorityIssuer } from '../../server/authority/issuance-client.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { issueAfterRun } from '../../server/payments/payment-stage.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { useJobQueue } from '../support/queue.ts';
import { finesFor, LOCAL_RECEIVERS, runNight, startWebhookReceiver } from './support.ts';

/**
 * Exceptions the payments stage opens after reconciliation (here: fines the authority shows
 * settled that no payment of ours covered) join the night's alerts: digests not yet attempted
 * count them, a night with nothing else to say gets its digest, and what was sent stays as sent.
 */
const test = useTestDatabase();
const jobs = useJobQueue(test);
const retry = { maxAttempts: 3, baseSeconds: 10, maxSeconds: 40 };
const BASE_URL = 'http://127.0.0.1:3000';
const plates = ['JO:10-7001', 'JO:10-7002', 'JO:10-7003'];
// Nothing is payable after the second night (every fine settled): the stage never asks the authority.
const issuer: AuthorityIssuer = {
  issue: async () => {
    throw new Error('the payments stage asked for numbers although nothing is payable');
  },
};
const webhook = createWebhookChannel({ timeoutMs: 3000, allowPrivate: true });
const channels = { email: webhook, sms: webhook, webhook };

const secrets = new Map<string, string>();
let secret: string;
let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
beforeAll(async () => {
  hook = await startWebhookReceiver(() => secret);
});
afterAll(async () => {
  await hook?.close();
});

async function digestsOf(runId: bigint) {
  const { rows } = await sql<{ destination: string; kind: string; status: string; opened: number }>`
    select destination, kind, status, (events->>'exceptionsOpened')::int as opened
    from alert_digests where run_id = ${runId} order by destination`.execute(test.ownerDb);
  return rows;
}

/** An account with webhook recipients at `paths`, whose first night's digests are sent, and a second night on which every fine is settled. */
async function settledNight(paths: string[], allClear: boolean) {
  const account = await makeAccount(test.db, 'JO');
  await makeVehicles(test.db, account.id, plates);
  await withTenant(test.db, account.id, async (trx) => {
    await saveAlertSettings(trx, account.id, { horizonDays: 7, dailyAllClear: allClear, quietHours: null });
    for (const path of paths) {
      const added = await addRecipient(
        trx,
        account.id,
        { channel: 'webhook', address: `${hook.url}${path}`, language: 'en' },
        LOCAL_RECEIVERS,
      );
      secrets.set(path, added.secret!);
    }
  });
  await runNight(test.db, jobs.queue, account.id, finesFor('JO', plates));
  secret = secrets.get(paths[0]!)!;
  await drainOutbox(test.db, channels, { now: new Date(), retry, baseUrl: BASE_URL });
  const night = new Date().toISOString().slice(0, 10);
  const { runId } = await runNight(test.db, jobs.queue, account.id, new Map(), night);
  return { account, runId };
}

describe('exceptions opened by the payments stage', { timeout: 60_000 }, () => {
  it('give a night that had nothing to alert about its one digest', async () => {
    const { account, runId } = await settledNight(['/only'], false);
    expect(await digestsOf(runId)).toEqual([]);
    const summary = await issueAfterRun(test.db, issuer, { accountId: account.id, runId }, new Date());
    expect(summary.settledWithoutPayment).toBe(1);
    expect(await digestsOf(runId)).toEqual([
      { destination: `${hook.url}/only`, kind: 'run', status: 'pending', opened: 1 },
    ]);
    // The stage delivered again writes nothing new.
    await issueAfterRun(test.db, issuer, { accountId: account.id, runId }, new Date());
    expect(await digestsOf(runId)).toHaveLength(1);
    await drainOutbox(test.db, channels, { now: new Date(), retry, baseUrl: BASE_URL });
    const delivered = [...hook.accepted.values()].filter(
      (d) => (d.body as { data: { runId: string } }).data.runId === runId.toString(),
    );
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      verified: true,
      body: { type: 'alerts.digest', data: { exceptionsOpened: 1 } },
    });
  });

  it('are counted in the digests not yet attempted; one already sent stays as it was', async () => {
    const { account, runId } = await settledNight(['/sent', '/waiting'], true);
    // Two all-clear digests; one waits (as email does through quiet hours) while the other is sent.
    expect((await digestsOf(runId)).map((d) => d.kind)).toEqual(['all_clear', 'all_clear']);
    await sql`update alert_digests set next_attempt_at = now() + interval '1 hour'
              where run_id = ${runId} and destination like '%/waiting'`.execute(test.ownerDb);
    secret = secrets.get('/sent')!;
    await drainOutbox(test.db, channels, { now: new Date(), retry, baseUrl: BASE_URL });
    await issueAfterRun(test.db, issuer, { accountId: account.id, runId }, new Date());
    expect(await digestsOf(runId)).toEqual([
      { destination: `${hook.url}/sent`, kind: 'all_clear', status: 'sent', opened: 0 },
      { destination: `${hook.url}/waiting`, kind: 'run', status: 'pending', opened: 1 },
    ]);
    secret = secrets.get('/waiting')!;
    await drainOutbox(test.db, channels, {
      now: new Date(Date.now() + 2 * 3_600_000),
      retry,
      baseUrl: BASE_URL,
    });
    const types = [...hook.accepted.values()]
      .map((d) => d.body as { type: string; data: { runId: string; exceptionsOpened: number } })
      .filter((b) => b.data.runId === runId.toString())
      .map((b) => `${b.type} ${b.data.exceptionsOpened}`)
      .sort();
    expect(types).toEqual(['alerts.all_clear 0', 'alerts.digest 1']);
  });
});
