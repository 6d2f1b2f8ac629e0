import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { createLogger } from '../../server/logger.ts';
import { type RunningProduct, startProduct } from '../../server/product.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount } from '../support/factories.ts';
import { ApiClient } from '../support/http.ts';

/**
 * A graceful stop does not wait for a run's live progress stream (which would poll until the run
 * ends): streams end saying so, and the process stops. Streams are capped per user.
 */
const test = useTestDatabase();
let product: RunningProduct;

beforeAll(async () => {
  const config = loadConfig(
    { ...test.env, PORT: '0', EVENT_STREAMS_PER_USER: '2', SHUTDOWN_GRACE_MS: '1000' },
    ['--role=web'],
  );
  product = await startProduct(config, createLogger({ level: 'silent', pretty: false }));
});
afterAll(async () => {
  await product?.stop();
});

describe('live run streams', () => {
  it('are capped per user, and end on shutdown instead of holding it up', async () => {
    const account = await makeAccount(test.db, 'JO');
    // A run that will not end while the test lasts (no worker runs in this process).
    const run = await withTenant(test.db, account.id, (trx) =>
      trx
        .insertInto('runs')
        .values({ account_id: account.id, kind: 'manual', status: 'fetching' })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    const client = new ApiClient(product.url!);
    await client.signIn(account.users.fleet_admin.email);
    client.accountId = account.id.toString();
    const open = () =>
      fetch(`${product.url}/api/v1/runs/${run.id}/events`, {
        headers: { cookie: client.cookie!, 'x-account-id': client.accountId! },
      });
    const streams = [await open(), await open()];
    for (const stream of streams) expect(stream.status).toBe(200);
    const third = await open();
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('too_many_streams');

    const bodies = streams.map((stream) => stream.text());
    const started = Date.now();
    await product.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const body of await Promise.all(bodies)) {
      expect(body).toContain('event: progress');
      expect(body.trim().endsWith('data: {"reason":"shutdown"}')).toBe(true);
    }
  }, 30_000);
});
