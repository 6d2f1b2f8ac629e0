import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's numbers for Prometheus (GET /metrics, server/metrics/metrics.routes.ts). One
 * registry per process: a scrape sees this process's web requests, jobs, authority requests and
 * pools. Every metric is described in the README's Metrics section.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'fleet_' });

const durations = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export const httpRequestSeconds = new Histogram({
  name: 'fleet_http_request_duration_seconds',
  help: 'HTTP requests by method, route pattern (never the raw path) and status, from arrival to the last byte sent',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: durations,
  registers: [metricsRegistry],
});

export const authorityRequests = new Counter({
  name: 'fleet_authority_requests_total',
  help: 'Requests to the authority gateway by jurisdiction and outcome (answered, rate_limited, server_error, refused, timeout, failed)',
  labelNames: ['jurisdiction', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const authorityRequestSeconds = new Histogram({
  name: 'fleet_authority_request_duration_seconds',
  help: 'One attempt at the authority gateway, the gate wait included, by jurisdiction',
  labelNames: ['jurisdiction'] as const,
  buckets: durations,
  registers: [metricsRegistry],
});

export const authorityGateWaitSeconds = new Histogram({
  name: 'fleet_authority_gate_wait_seconds',
  help: 'How long a request waited for the shared authority gate (rate limit and in-flight cap) before it was sent',
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export const jobSeconds = new Histogram({
  name: 'fleet_job_duration_seconds',
  help: "One handler call of a job queue (a fetch of up to the queue's batch of jobs) by queue and outcome (ok, error)",
  labelNames: ['queue', 'outcome'] as const,
  buckets: durations,
  registers: [metricsRegistry],
});

export const runStageSeconds = new Histogram({
  name: 'fleet_run_stage_duration_seconds',
  help: 'Stages of runs that ended, by stage (snapshot, lookups, reconcile, total) and run kind',
  labelNames: ['stage', 'kind'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
  registers: [metricsRegistry],
});

export const runsEnded = new Counter({
  name: 'fleet_runs_ended_total',
  help: 'Runs reconciled by this process, by status (done, partial)',
  labelNames: ['status'] as const,
  registers: [metricsRegistry],
});

export const lookupsFailed = new Counter({
  name: 'fleet_lookups_failed_total',
  help: 'Vehicles whose lookup failed in a run this process reconciled (the run ends partial; its fines are stale)',
  registers: [metricsRegistry],
});

export const lookupsTotal = new Counter({
  name: 'fleet_lookups_total',
  help: 'Vehicles looked up in runs this process reconciled',
  registers: [metricsRegistry],
});

const pools = new Map<pg.Pool, string>();

/** Counts a pool's connections in fleet_db_pool_connections while it is open. */
export function trackPool(pool: pg.Pool, name: string): void {
  pools.set(pool, name);
}

new Gauge({
  name: 'fleet_db_pool_connections',
  help: "This process's PostgreSQL pool connections by pool and state (total, idle, busy), and clients waiting for one (waiting)",
  labelNames: ['pool', 'state'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const [pool, name] of pools) {
      if (pool.ended) {
        pools.delete(pool);
        continue;
      }
      this.inc({ pool: name, state: 'total' }, pool.totalCount);
      this.inc({ pool: name, state: 'idle' }, pool.idleCount);
      this.inc({ pool: name, state: 'busy' }, pool.totalCount - pool.idleCount);
      this.inc({ pool: name, state: 'waiting' }, pool.waitingCount);
    }
  },
});

let queueBoss: PgBoss | undefined;

/** The job queue whose depth fleet_queue_jobs reports (any process can read it). */
export function trackQueue(boss: PgBoss): void {
  queueBoss = boss;
}

new Gauge({
  name: 'fleet_queue_jobs',
  help: "Jobs per queue by state (ready: could run now, deferred: waiting to start or retry, active, failed: kept failures), as pg-boss's monitor last counted them",
  labelNames: ['queue', 'state'] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    if (!queueBoss) return;
    for (const queue of await queueBoss.getQueues()) {
      this.set({ queue: queue.name, state: 'ready' }, queue.readyCount);
      this.set({ queue: queue.name, state: 'deferred' }, queue.deferredCount);
      this.set({ queue: queue.name, state: 'active' }, queue.activeCount);
      this.set({ queue: queue.name, state: 'failed' }, queue.failedCount);
    }
  },
});

/** An authority attempt's outcome as a label: the kind of failure, never its text. */
export function attemptOutcome(outcome: 'answered' | 'failed', error: string | undefined): string {
  if (outcome === 'answered') return 'answered';
  if (error?.startsWith('HTTP 429')) return 'rate_limited';
  if (/^HTTP 5\d\d/.test(error ?? '')) return 'server_error';
  if (/^HTTP \d/.test(error ?? '')) return 'refused';
  if (error?.startsWith('timed out')) return 'timeout';
  return 'failed';
}
