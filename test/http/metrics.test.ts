import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { type RunningProduct, startProduct } from '../../server/product.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { ApiClient } from '../support/http.ts';

const test = useTestDatabase();
const TOKEN = 'metrics-test-token-0123456789';
const log = createLogger({ level: 'silent', pretty: false });
let simulator: AuthoritySimulator;
let product: RunningProduct;
let worker: RunningProduct;

beforeAll(async () => {
  simulator = await startAuthoritySimulator({
    seed: 'metrics-test',
    world: { startDate: '2026-06-01', dailyViolationRate: 0.05, notFoundRate: 0 },
  });
  const env = {
    ...test.env,
    AUTHORITY_URL: simulator.url,
    AUTHORITY_BATCH_SIZE: '5',
    AUTHORITY_RATE_LIMIT: '100',
    METRICS_TOKEN: TOKEN,
  };
  product = await startProduct(loadConfig({ ...env, PORT: '0' }, ['--role=all']), log);
  worker = await startProduct(loadConfig({ ...env, HEALTH_PORT: '0' }, ['--role=worker']), log);
});
afterAll(async () => {
  await worker?.stop();
  await product?.stop();
  await simulator?.close();
});

const scrape = (url: string, authorization?: string) =>
  fetch(`${url}/metrics`, authorization ? { headers: { authorization } } : {});

/** Every sample of the exposition: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    found.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return found;
}

/** The sum of a metric's samples whose labels include all of `labels`. */
function total(all: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [series, value] of all) {
    if (series !== name && !series.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}

describe('GET /metrics', () => {
  it('is refused without the token, or with another, on the web port and on a worker', async () => {
    for (const url of [product.url!, worker.url!]) {
      const none = await scrape(url);
      expect(none.status).toBe(401);
      expect((await none.json()).error.code).toBe('unauthorized');
      expect((await scrape(url, `Bearer ${TOKEN}x`)).status).toBe(401);
      expect((await scrape(url, `Basic ${TOKEN}`)).status).toBe(401);
      expect((await scrape(url, `Bearer ${TOKEN}`)).status).toBe(200);
    }
  });

  it('does not exist without METRICS_TOKEN', async () => {
    expect(loadConfig({ ...test.env }, []).metricsToken).toBeUndefined();
    expect(() => loadConfig({ ...test.env, METRICS_TOKEN: 'short' }, [])).toThrow(/METRICS_TOKEN/);
  });

  it('after a request and a run, has their series with sane values', async () => {
    const account = await makeAccount(test.db, 'JO');
    await makeVehicles(
      test.db,
      account.id,
      Array.from({ length: 12 }, (_, i) => `JO:${10 + i}-${40000 + i}`),
    );
    const client = new ApiClient(product.url!);
    await client.signIn(account.users.fleet_admin.email);
    client.accountId = account.id.toString();
    const started = await client.post<{ id: string }>('/runs');
    expect(started.status).toBe(202);
    const deadline = Date.now() + 60_000;
    let status = '';
    while (!['done', 'partial', 'failed'].includes(status)) {
      if (Date.now() > deadline) throw new Error(`run did not end: ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await client.get<{ status: string }>(`/runs/${started.body.id}`)).body.status;
    }
    expect(status).toBe('done');

    // The run shows done when its payment stage's transaction commits; the stage records the run's
    // end in the metrics right after, so the scrape waits for it.
    let response = await scrape(product.url!, `Bearer ${TOKEN}`);
    let text = await response.text();
    let all = samples(text);
    while (total(all, 'fleet_runs_ended_total', { status: 'done' }) === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      response = await scrape(product.url!, `Bearer ${TOKEN}`);
      text = await response.text();
      all = samples(text);
    }
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    // HTTP by route pattern, never the raw path (no run id in any label).
    const byRoute = { method: 'GET', route: '/api/v1/runs/:runId', status: '200' };
    expect(total(all, 'fleet_http_request_duration_seconds_count', byRoute)).toBeGreaterThanOrEqual(1);
    expect(total(all, 'fleet_http_request_duration_seconds_sum', byRoute)).toBeGreaterThan(0);
    expect(text).not.toContain(`/runs/${started.body.id}`);
    expect(
      total(all, 'fleet_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/v1/runs',
        status: '202',
      }),
    ).toBe(1);
    // The authority: 12 plates in batches of 5 are 3 answered requests, each through the gate.
    expect(total(all, 'fleet_authority_requests_total', { jurisdiction: 'JO', outcome: 'answered' })).toBe(3);
    expect(total(all, 'fleet_authority_gate_wait_seconds_count')).toBe(3);
    expect(total(all, 'fleet_authority_gate_wait_seconds_sum')).toBeGreaterThanOrEqual(0);
    // Jobs by queue, and the run's stages.
    expect(
      total(all, 'fleet_job_duration_seconds_count', { queue: 'lookup.batch', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(total(all, 'fleet_job_duration_seconds_count', { queue: 'run.reconcile', outcome: 'ok' })).toBe(1);
    for (const stage of ['snapshot', 'lookups', 'reconcile', 'total'])
      expect(total(all, 'fleet_run_stage_duration_seconds_count', { stage, kind: 'manual' }), stage).toBe(1);
    const stage = (s: string) => total(all, 'fleet_run_stage_duration_seconds_sum', { stage: s });
    expect(stage('total')).toBeGreaterThanOrEqual(stage('lookups'));
    expect(stage('total')).toBeLessThan(60);
    expect(total(all, 'fleet_runs_ended_total', { status: 'done' })).toBe(1);
    expect(total(all, 'fleet_lookups_total')).toBe(12);
    expect(total(all, 'fleet_lookups_failed_total')).toBe(0);
    // Pools and queues.
    const busy = total(all, 'fleet_db_pool_connections', { pool: 'fleet-fines', state: 'busy' });
    expect(busy).toBeGreaterThanOrEqual(0);
    expect(total(all, 'fleet_db_pool_connections', { pool: 'fleet-fines', state: 'total' })).toBeGreaterThan(
      0,
    );
    expect(all.has('fleet_queue_jobs{queue="lookup.batch",state="ready"}')).toBe(true);
    expect(total(all, 'fleet_process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
  });
});
