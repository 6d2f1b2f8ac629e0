/**
 * A worker process that drains the outbox once, with short leases, then exits: the crash test
 * kills it with SIGKILL while it waits for a receiver's answer.
 * Usage: node drain-process.ts <application database URL> <lease seconds>
 */
import { createWebhookChannel } from '../../server/alerts/channels/webhook.ts';
import { drainOutbox } from '../../server/alerts/outbox.ts';
import { createDatabase } from '../../server/db/database.ts';

const [url, lease] = process.argv.slice(2);
const db = createDatabase(url!, 2, 'fleet-alerts-drain-process');
const webhook = createWebhookChannel({ timeoutMs: 60_000, allowPrivate: true });
const result = await drainOutbox(
  db,
  { email: webhook, sms: webhook, webhook },
  {
    now: new Date(),
    retry: { maxAttempts: 5, baseSeconds: 1, maxSeconds: 1 },
    baseUrl: 'http://127.0.0.1:3000',
    leaseSeconds: Number(lease),
  },
);
console.log(JSON.stringify(result));
await db.destroy();
