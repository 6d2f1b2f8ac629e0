/**
 * The issuance client against the simulator's size limits: calls are cut by sets and by tickets,
 * so sets whose bodies together exceed the gateway's limit still get their numbers; a set bigger
 * than one number may cover is refused unsent; a call refused as too large is not retried.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { MAX_REQUEST_BODY_BYTES, MAX_TICKETS_PER_NUMBER } from '../../server/authority/contract.ts';
import { createIssuanceClient, type IssuanceItem } from '../../server/authority/issuance-client.ts';

let sim: AuthoritySimulator | undefined;
let server: http.Server | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

/** One vehicle set of `count` fresh tickets of the simulator's world. */
function vehicleSet(world: AuthoritySimulator['world'], key: string, count: number): IssuanceItem {
  const tickets = Array.from({ length: count }, () => {
    const t = world.addTicket({ jurisdiction: 'JO', plateKey: `JO:${key}` });
    return { ticketNumber: t.ticketNumber, amountMinor: BigInt(t.amountMinor) };
  });
  return { key, kind: 'vehicle', tickets };
}

const wireSize = (items: IssuanceItem[]) =>
  Buffer.byteLength(
    JSON.stringify({
      jurisdiction: 'JO',
      requests: items.map((i) => ({
        ...i,
        tickets: i.tickets.map((t) => ({ ...t, amountMinor: t.amountMinor.toString() })),
      })),
    }),
  );

describe('issuance calls within the gateway limits', { timeout: 60_000 }, () => {
  it('splits sets whose bodies together exceed the limit across calls, by tickets', async () => {
    sim = await startAuthoritySimulator({ seed: 'limits', world: { startDate: '2026-11-20' } });
    const items = Array.from({ length: 100 }, (_, i) => vehicleSet(sim!.world, `v${i}`, 180));
    // 100 sets fit one call by count; their 18,000 tickets do not fit one body.
    expect(wireSize(items)).toBeGreaterThan(MAX_REQUEST_BODY_BYTES);
    const outcomes = await createIssuanceClient({ baseUrl: sim.url, maxAttempts: 1 }).issue('JO', items);
    expect([...outcomes.values()].filter((o) => o.status === 'issued')).toHaveLength(100);
    // 27 sets of 180 tickets per call (4,860 tickets): 27 + 27 + 27 + 19.
    expect(sim.stats.issuanceCalls).toBe(4);
    expect(sim.stats.issuanceRequests).toBe(100);
  });

  it('refuses a set bigger than one number may cover without sending it', async () => {
    sim = await startAuthoritySimulator({ seed: 'limits', world: { startDate: '2026-11-20' } });
    const big = vehicleSet(sim.world, 'big', MAX_TICKETS_PER_NUMBER + 1);
    const small = vehicleSet(sim.world, 'small', 3);
    const outcomes = await createIssuanceClient({ baseUrl: sim.url, maxAttempts: 1 }).issue('JO', [
      big,
      small,
    ]);
    expect(outcomes.get('big')).toEqual({
      status: 'refused',
      code: 'too_many_tickets',
      message: `a set of ${MAX_TICKETS_PER_NUMBER + 1} tickets is more than one number may cover (${MAX_TICKETS_PER_NUMBER})`,
    });
    expect(outcomes.get('small')?.status).toBe('issued');
    expect(sim.stats.issuanceCalls).toBe(1);
    expect(sim.stats.issuanceRequests).toBe(1);
  });

  it('takes a 413 as a refusal of the call’s sets, not retried', async () => {
    let calls = 0;
    server = http.createServer((req, res) => {
      calls++;
      req.resume();
      req.on('end', () => {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'body_too_large', message: 'request body too large' } }));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const issuer = createIssuanceClient({
      baseUrl: `http://127.0.0.1:${port}`,
      maxAttempts: 4,
      backoff: { baseMs: 1, capMs: 1 },
    });
    const set = (key: string): IssuanceItem => ({
      key,
      kind: 'vehicle',
      tickets: [{ ticketNumber: `T-${key}`, amountMinor: 1000n }],
    });
    const outcomes = await issuer.issue('JO', [set('a'), set('b')]);
    expect(calls).toBe(1);
    for (const key of ['a', 'b'])
      expect(outcomes.get(key)).toMatchObject({
        status: 'refused',
        code: 'too_large',
        message: expect.stringMatching(/^the authority refused the call as too large: .*body_too_large/),
      });
  });
});
