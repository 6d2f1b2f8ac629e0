import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { client, plateKeys } from './harness.ts';

let sim: AuthoritySimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${sim!.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, body: await response.json() };
}

describe('simulator admin endpoints', () => {
  it('adds a fine, escalates it with the clock, and settles a payment after the delay', async () => {
    sim = await startAuthoritySimulator({ seed: 'admin', world: { settlementDelayDays: 2 } });
    const plate = 'IQ:11-A-12345';
    const added = await call('POST', '/admin/tickets', {
      jurisdiction: 'IQ',
      plateKey: plate,
      amountMinor: '50000000',
    });
    expect(added).toMatchObject({
      status: 201,
      body: { currency: 'IQD', amountMinor: '50000000', status: 'unpaid' },
    });
    const ticket: string = added.body.ticketNumber;
    const { client: iq } = client(sim, { jurisdiction: 'IQ' });
    const fine = async () => {
      const lookup = (await iq.queryPlates([plate])).get(plate);
      return lookup?.status === 'ok' ? lookup.violations.find((v) => v.ticketNumber === ticket) : undefined;
    };

    expect(await call('POST', '/admin/clock', { advanceDays: 30 })).toEqual({
      status: 200,
      body: { today: '2025-02-14' },
    });
    expect(await fine()).toMatchObject({ amountMinor: 100_000_000n, status: 'unpaid' });
    expect(await call('POST', `/admin/tickets/${ticket}/pay`, {})).toEqual({
      status: 200,
      body: { ticketNumber: ticket, settlesOn: '2025-02-16' },
    });
    expect(await fine()).toMatchObject({ status: 'unpaid', authorityPaymentRef: null });
    await call('POST', '/admin/clock', { date: '2025-02-16' });
    expect(await fine()).toMatchObject({ status: 'paid', amountMinor: 100_000_000n });
    expect((await call('POST', `/admin/tickets/${ticket}/cancel`, {})).status).toBe(404);

    const truth = await call('GET', `/admin/plates/${encodeURIComponent(plate)}?jurisdiction=IQ`);
    expect((await call('GET', '/admin/plates/x?jurisdiction=XX')).status).toBe(400);
    expect((await call('POST', '/admin/nothing')).status).toBe(404);
    expect(
      truth.body.violations.find((v: { ticketNumber: string }) => v.ticketNumber === ticket).status,
    ).toBe('paid');
  });

  it('changes faults at runtime, reports stats, and resets', async () => {
    sim = await startAuthoritySimulator({ seed: 'admin' });
    const { client: jo } = client(sim, { maxAttempts: 1 });
    expect((await call('POST', '/admin/faults', { maintenance: true, latencyMs: 1 })).body).toMatchObject({
      maintenance: true,
      latencyMs: 1,
      hangRate: 0,
    });
    expect((await call('POST', '/admin/faults', { hangRate: 2 })).status).toBe(400);
    await jo.queryPlates(plateKeys(15));
    expect((await call('GET', '/admin/stats')).body).toMatchObject({
      queries: 2,
      byStatus: { 200: 2 },
      platesAnswered: { ok: 15 },
      okEmptyPlates: 15,
      inFlight: 0,
    });
    await call('POST', '/admin/clock', { advanceDays: 3 });
    expect((await call('POST', '/admin/reset')).body).toEqual({ today: '2025-01-15' });
    expect((await call('GET', '/admin/faults')).body.maintenance).toBe(false);
    expect((await call('GET', '/admin/stats')).body.queries).toBe(0);
  });

  it('requires the API key when one is set', async () => {
    sim = await startAuthoritySimulator({ apiKey: 'k-123' });
    const plates = plateKeys(3);
    const refused = await client(sim).client.queryPlates(plates);
    expect(refused.get(plates[0]!)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: expect.stringMatching(/^HTTP 401/),
    });
    const allowed = await client(sim, { apiKey: 'k-123' }).client.queryPlates(plates);
    expect(allowed.get(plates[0]!)?.status).not.toBe('failed');
  });

  it('runs on its own with node fixtures/authority/main.ts', async () => {
    const child = spawn(process.execPath, ['fixtures/authority/main.ts'], {
      env: {
        ...process.env,
        AUTHORITY_PORT: '0',
        AUTHORITY_SEED: 'standalone',
        AUTHORITY_FAULTS: '{"latencyMs":1}',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const url = /listening on (\S+)/.exec(line.toString())?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(`${url}/admin/faults`)).json()).toMatchObject({ latencyMs: 1 });
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
