import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { type RunningProduct, startProduct } from '../../server/product.ts';
import { useTestDatabase } from '../support/database.ts';

const test = useTestDatabase();
let product: RunningProduct;

beforeAll(async () => {
  const config = loadConfig({ ...test.env, PORT: '0' }, ['--role=all']);
  product = await startProduct(config, createLogger({ level: 'silent', pretty: false }));
});
afterAll(async () => {
  await product?.stop();
});

describe('web role', () => {
  it('answers /healthz while the process is up', async () => {
    const res = await fetch(`${product.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 when the database and the queue are reachable', async () => {
    const res = await fetch(`${product.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { database: 'ok', queue: 'ok' } });
  });

  it('answers unknown API routes with the error envelope', async () => {
    const res = await fetch(`${product.url}/api/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        code: 'route_not_found',
        message: 'no route for GET /api/v1/nothing-here',
        messageAr: 'غير موجود.',
        wordsFrom: 'catalogue',
        details: null,
        requestId: res.headers.get('x-request-id'),
      },
    });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a malformed JSON body with a 400 envelope, not a crash', async () => {
    const res = await fetch(`${product.url}/api/v1/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"broken":',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe('entity_parse_failed');
  });

  it('answers every refusal in Arabic too, with the catalogue sentence where the error has no words of its own', async () => {
    const res = await fetch(`${product.url}/api/v1/runs/1`);
    const body = (await res.json()) as { error: { code: string; messageAr?: string; wordsFrom?: string } };
    expect(body.error.messageAr).toMatch(/[\u0600-\u06ff]/);
    expect(body.error.wordsFrom).toBe('catalogue');
  });

  it('serves the web page', async () => {
    const res = await fetch(`${product.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('runs the registered job workers and the nightly schedule', async () => {
    const schedules = await product.boss.getSchedules();
    expect(schedules.map((s) => [s.name, s.timezone])).toEqual([
      ['alerts.deliver', 'UTC'],
      ['maintenance.nightly', 'Asia/Amman'],
      ['run.sweep', 'UTC'],
      ['runs.nightly', 'UTC'],
    ]);
  });
});

describe('worker and web roles apart', () => {
  it('a worker serves only health endpoints on HEALTH_PORT, and a web process sends but runs no jobs', async () => {
    const log = createLogger({ level: 'silent', pretty: false });
    const worker = await startProduct(loadConfig({ ...test.env, HEALTH_PORT: '0' }, ['--role=worker']), log);
    const web = await startProduct(loadConfig({ ...test.env, PORT: '0' }, ['--role=web']), log);
    try {
      expect((await fetch(`${worker.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${worker.url}/`)).status).toBe(404);
      expect((await fetch(`${web.url}/readyz`)).status).toBe(200);
      const id = await web.boss.send('maintenance.nightly', { timeZone: 'Africa/Cairo' });
      expect(id).toBeTruthy();
    } finally {
      await web.stop();
      await worker.stop();
    }
  });
});
