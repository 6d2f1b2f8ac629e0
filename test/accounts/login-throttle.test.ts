import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';

const test = useTestDatabase();
const app = useProduct(test, { LOGIN_MAX_FAILURES_PER_USER: '5', LOGIN_MAX_FAILURES_PER_IP: '50' });
let account: AccountFixture;

beforeAll(async () => {
  account = await makeAccount(test.db, 'EG');
});

async function inBatches<T>(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < count; i += concurrency) {
    results.push(
      ...(await Promise.all(Array.from({ length: Math.min(concurrency, count - i) }, (_, j) => work(i + j)))),
    );
  }
  return results;
}

describe('login throttling', () => {
  it('throttles 1,000 failed sign-ins for one person from 1,000 IPs, and the server stays responsive', async () => {
    const target = account.users.accountant.email;
    // The person signed in from their own browser before the storm: it is a remembered device.
    const ownBrowser = new ApiClient(app.product.url!);
    ownBrowser.forwardedFor = '192.0.2.99';
    expect((await ownBrowser.signIn(target)).status).toBe(200);

    const healthLatencies: number[] = [];
    let storming = true;
    const probe = (async () => {
      while (storming) {
        const started = performance.now();
        const res = await fetch(`${app.product.url}/healthz`);
        expect(res.status).toBe(200);
        healthLatencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    const statuses = await inBatches(1000, 25, async (i) => {
      const client = new ApiClient(app.product.url!);
      client.forwardedFor = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const res = await client.signIn(target, `guess number ${i}`);
      if (res.status === 429) {
        expect(res.body).toMatchObject({ error: { code: 'too_many_attempts' } });
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      return res.status;
    });
    // Someone else, elsewhere, can still sign in during the storm.
    const bystander = new ApiClient(app.product.url!);
    bystander.forwardedFor = '192.0.2.77';
    expect((await bystander.signIn(account.users.owner.email)).status).toBe(200);
    storming = false;
    await probe;

    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(995);
    // Guesses are throttled, not the person: their own browser still gets in with the right password…
    expect((await ownBrowser.signIn(target)).status).toBe(200);
    // …while a browser that never signed in as them is refused like the guesses, right password or not.
    const stranger = new ApiClient(app.product.url!);
    stranger.forwardedFor = '192.0.2.99';
    expect((await stranger.signIn(target)).status).toBe(429);
    expect(healthLatencies.length).toBeGreaterThan(0);
    expect(Math.max(...healthLatencies)).toBeLessThan(2000);

    const { rows } = await sql<{ outcome: string; n: number }>`
      select outcome, count(*)::int as n from audit_log where action = 'session.sign_in' and details->>'email' = ${target}
      group by outcome order by outcome`.execute(test.ownerDb);
    expect(rows).toEqual([
      // The throttled attempts are audited once, when the limit was crossed, not once each.
      { outcome: 'denied', n: 1 },
      { outcome: 'failed', n: 5 },
    ]);
    // Failed guesses stay in the platform's log: no account sees them as the person's activity.
    const inAccounts = await sql<{ n: number }>`
      select count(*)::int as n from audit_log where action = 'session.sign_in' and outcome <> 'ok'
        and account_id is not null and details->>'email' = ${target}`.execute(test.ownerDb);
    expect(inAccounts.rows[0]!.n).toBe(0);
  }, 120_000);

  it("limits a remembered device's own guesses too", async () => {
    const target = account.users.viewer.email;
    const browser = new ApiClient(app.product.url!);
    browser.forwardedFor = '192.0.2.50';
    expect((await browser.signIn(target)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await browser.signIn(target, `wrong ${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  }, 60_000);

  it('counts an IPv6 /64 as one address', async () => {
    const statuses = await inBatches(60, 10, async (i) => {
      const client = new ApiClient(app.product.url!);
      client.forwardedFor = `2001:db8:77:1:${(i + 1).toString(16)}::${(i * 7 + 3).toString(16)}`;
      return (await client.signIn(`v6spray${i}@example.test`, 'password123456')).status;
    });
    expect(statuses.filter((s) => s === 401)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    // Another /64 is another key.
    const neighbour = new ApiClient(app.product.url!);
    neighbour.forwardedFor = '2001:db8:77:2::1';
    expect((await neighbour.signIn('v6other@example.test', 'password123456')).status).toBe(401);
  }, 60_000);

  it('throttles one IP trying many emails', async () => {
    const statuses = await inBatches(60, 10, async (i) => {
      const client = new ApiClient(app.product.url!);
      client.forwardedFor = '198.51.100.7';
      return (await client.signIn(`spray${i}@example.test`, 'password123456')).status;
    });
    expect(statuses.filter((s) => s === 401)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  }, 60_000);
});
