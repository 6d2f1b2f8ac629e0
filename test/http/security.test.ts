import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { createDatabase } from '../../server/db/database.ts';
import { freePort } from '../../server/db/embedded.ts';
import { seedDemo } from '../../server/demo/demo.service.ts';
import { createHealthApp } from '../../server/http/app.ts';
import { createLogger } from '../../server/logger.ts';
import { type RunningProduct, startProduct } from '../../server/product.ts';
import { useTestDatabase } from '../support/database.ts';
import { ApiClient } from '../support/http.ts';

const test = useTestDatabase();
const logLines: string[] = [];
let product: RunningProduct;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({ ...test.env, PORT: '0', TRUST_PROXY: 'false' }, ['--role=web']);
  product = await startProduct(config, pino({ level: 'info' }, sink));
});
afterAll(async () => {
  await product?.stop();
});

describe('security headers', () => {
  it('sends a same-origin content security policy and the usual hardening headers', async () => {
    for (const path of ['/', '/api/v1/openapi.json', '/api/v1/me']) {
      const res = await fetch(`${product.url}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("connect-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("object-src 'none'");
      // Plain HTTP on loopback: nothing that would push the browser to HTTPS.
      expect(csp, path).not.toContain('upgrade-insecure-requests');
      expect(res.headers.get('strict-transport-security'), path).toBeNull();
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('x-powered-by'), path).toBeNull();
    }
  });
});

describe('TRUST_PROXY', () => {
  it('=false: a client cannot choose its address with X-Forwarded-For', async () => {
    const client = new ApiClient(product.url!);
    client.forwardedFor = '198.51.100.200';
    expect((await client.signIn('proxy-test@example.test', 'not the password')).status).toBe(401);
    const { rows } = await sql<{ ip: string }>`
      select host(ip) as ip from audit_log where details->>'email' = 'proxy-test@example.test'`.execute(
      test.ownerDb,
    );
    expect(rows).toEqual([{ ip: '127.0.0.1' }]);
  });
});

describe('what the product tells and logs', () => {
  it('/readyz says a dependency is unreachable without showing its error', async () => {
    const port = await freePort();
    const broken = createDatabase(`postgres://fleet:hunter2-secret@127.0.0.1:${port}/fleet`, 1);
    const app = createHealthApp({
      db: broken,
      boss: product.boss,
      log: createLogger({ level: 'silent', pretty: false }),
    });
    const server = http.createServer(app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({
        error: {
          code: 'not_ready',
          message: 'a dependency is not reachable',
          messageAr: 'الخدمة قيد التشغيل أو أن جزءًا منها غير متاح. حاول مرة أخرى بعد دقيقة.',
          wordsFrom: 'catalogue',
          details: { database: 'unreachable', queue: 'ok' },
        },
      });
      expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|hunter2/);
    } finally {
      server.close();
      await broken.destroy();
    }
  });

  it('request logs keep the path and the names of query parameters, not their values (plates)', async () => {
    await fetch(`${product.url}/api/v1/vehicles?q=13-20697&status=all`);
    await fetch(`${product.url}/api/v1/no-such-route?plate=JO%3A13-20697`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const requests = logLines.filter((l) => l.includes('"msg":"request"'));
    expect(requests.some((l) => l.includes('/api/v1/vehicles?q=…&status=…'))).toBe(true);
    expect(requests.some((l) => l.includes('/api/v1/no-such-route?plate=…'))).toBe(true);
    expect(logLines.join('\n')).not.toContain('20697');
  });
});

describe('demo data', () => {
  it('a web process refuses to listen beyond loopback on a database that holds the demo users', async () => {
    await seedDemo(test.db);
    const config = loadConfig({ ...test.env, PORT: '0', HOST: '0.0.0.0' }, ['--role=web']);
    await expect(startProduct(config, createLogger({ level: 'silent', pretty: false }))).rejects.toThrow(
      /demo users, whose password is published/,
    );
  });
});
