import { spawn } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { addRecipient } from '../../server/alerts/alerts.service.ts';
import { createWebhookChannel } from '../../server/alerts/channels/webhook.ts';
import { drainOutbox } from '../../server/alerts/outbox.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { useJobQueue } from '../support/queue.ts';
import { finesFor, LOCAL_RECEIVERS, runNight, startWebhookReceiver } from './support.ts';

const test = useTestDatabase();
const jobs = useJobQueue(test);

describe('a worker killed in the middle of sending', { timeout: 90_000 }, () => {
  it('leaves its digest to be sent again after its lease, once, with the same webhook-id', async () => {
    const account = await makeAccount(test.db, 'JO');
    const plates = ['JO:30-7001', 'JO:30-7002'];
    await makeVehicles(test.db, account.id, plates);
    let secret = '';
    // The receiver holds its first answer long enough for the worker to be killed waiting for it.
    const hook = await startWebhookReceiver(() => secret, [], 4000);
    try {
      await withTenant(test.db, account.id, async (trx) => {
        secret = (
          await addRecipient(
            trx,
            account.id,
            { channel: 'webhook', address: hook.url, language: 'en' },
            LOCAL_RECEIVERS,
          )
        ).secret!;
      });
      const { runId } = await runNight(test.db, jobs.queue, account.id, finesFor('JO', plates));

      const child = spawn(
        process.execPath,
        [path.join(import.meta.dirname, 'drain-process.ts'), test.appUrl, '30'],
        {
          stdio: 'ignore',
        },
      );
      const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      const deadline = Date.now() + 30_000;
      while (hook.arrived.length === 0) {
        if (Date.now() > deadline) throw new Error('the worker never reached the receiver');
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      const status = async () =>
        (
          await sql<{ status: string; attempts: number }>`
            select status, attempts from alert_digests where account_id = ${account.id} and run_id = ${runId}`.execute(
            test.ownerDb,
          )
        ).rows;
      // Claimed by the dead worker, and nobody else's until its lease has passed.
      expect(await status()).toEqual([{ status: 'sending', attempts: 1 }]);
      const webhook = createWebhookChannel({ timeoutMs: 10_000, allowPrivate: true });
      const channels = { email: webhook, sms: webhook, webhook };
      const options = {
        retry: { maxAttempts: 5, baseSeconds: 1, maxSeconds: 1 },
        baseUrl: 'http://127.0.0.1:3000',
      };
      expect((await drainOutbox(test.db, channels, { ...options, now: new Date() })).sent).toBe(0);
      const result = await drainOutbox(test.db, channels, { ...options, now: new Date(Date.now() + 31_000) });
      expect(result).toEqual({ sent: 1, retrying: 0, dead: 0 });
      expect(await status()).toEqual([{ status: 'sent', attempts: 2 }]);
      // The receiver saw the digest twice under one webhook-id and kept it once, verified.
      expect(hook.arrived).toHaveLength(2);
      expect(new Set(hook.arrived).size).toBe(1);
      expect(hook.accepted.size).toBe(1);
      expect([...hook.accepted.values()][0]!.verified).toBe(true);
    } finally {
      await hook.close();
    }
  });
});
