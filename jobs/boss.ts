import { sql } from 'kysely';
import { type Clock, fromKysely, type Job, PgBoss } from 'pg-boss';
import type { Config } from '../server/config.ts';
import type { Database } from '../server/db/database.ts';
import { APP_ROLE } from '../server/db/tenant.ts';
import type { Logger } from '../server/logger.ts';
import type { JobQueue } from '../server/queue.ts';
import type { JobContext, JobDefinition } from './job.ts';
import { checkRegistry } from './registry.ts';

export const QUEUE_SCHEMA = 'pgboss';

export interface BossOptions {
  connectionString: string;
  /** Workers maintain queues and run schedules; the web role only sends jobs. Both may install pg-boss's schema (it takes a lock). */
  worker: boolean;
  max?: number;
  superviseSeconds?: number;
  clock?: Clock;
  log?: Logger;
}

export function createBoss(options: BossOptions): PgBoss {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: QUEUE_SCHEMA,
    application_name: options.worker ? 'fleet-fines-worker' : 'fleet-fines-web',
    max: options.max ?? 10,
    supervise: options.worker,
    // The monitor pass is where jobs of a crashed worker (missed heartbeats) are failed for retry.
    superviseIntervalSeconds: options.superviseSeconds ?? 10,
    monitorIntervalSeconds: options.superviseSeconds ?? 10,
    schedule: options.worker,
    migrate: true,
    useListenNotify: options.worker,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  // pg-boss reports background faults as events; an unhandled 'error' event would crash the process.
  boss.on('error', (error) => options.log?.error({ err: error }, 'job queue error'));
  boss.on('warning', (warning) => options.log?.warn({ warning }, 'job queue warning'));
  return boss;
}

/** Installs or upgrades pg-boss's own schema (it versions itself), then stops. */
export async function installQueueSchema(connectionString: string, ownerDb: Database): Promise<void> {
  const boss = new PgBoss({
    connectionString,
    schema: QUEUE_SCHEMA,
    supervise: false,
    schedule: false,
    migrate: true,
  });
  boss.on('error', () => {});
  await boss.start();
  await boss.stop({ graceful: false, close: true });
  await grantQueueAccess(ownerDb);
}

/**
 * Lets the application role enqueue inside its own transactions (pg-boss's schema is created by
 * the owner when pg-boss starts, so this runs after it). Queue rows are not tenant data. Processes
 * starting at the same moment take turns: two grants rewriting the same catalogue rows at once
 * fail one of them ("tuple concurrently updated"), and that process would not start.
 */
export async function grantQueueAccess(ownerDb: Database): Promise<void> {
  const role = sql.id(APP_ROLE);
  const schema = sql.id(QUEUE_SCHEMA);
  await ownerDb.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('fleet-fines: grant queue access'))`.execute(trx);
    await sql`grant usage on schema ${schema} to ${role}`.execute(trx);
    await sql`grant select, insert, update, delete on all tables in schema ${schema} to ${role}`.execute(trx);
    await sql`grant usage, select on all sequences in schema ${schema} to ${role}`.execute(trx);
    await sql`grant execute on all functions in schema ${schema} to ${role}`.execute(trx);
    await sql`alter default privileges in schema ${schema} grant select, insert, update, delete on tables to ${role}`.execute(
      trx,
    );
  });
}

/** The JobQueue services use: pg-boss inserts through the caller's Kysely transaction. */
export function createJobQueue(boss: PgBoss): JobQueue {
  return {
    async send(trx, queue, payloads) {
      if (payloads.length === 0) return;
      await boss.insert(
        queue,
        payloads.map((data) => ({ data })),
        { db: fromKysely(trx) },
      );
    },
    async schedule(queue, key, cron, timeZone, data) {
      await boss.schedule(queue, cron, data, { tz: timeZone, key, missed: 'once' });
    },
    async unschedule(queue, key) {
      await boss.unschedule(queue, key);
    },
  };
}

/** Creates (or updates) every registered queue: web processes enqueue before any worker has started. */
export async function ensureQueues(boss: PgBoss, registry: JobDefinition[]): Promise<void> {
  for (const definition of registry) {
    await boss.createQueue(definition.name, definition.queue);
    if (definition.queue) await boss.updateQueue(definition.name, definition.queue);
  }
}

/**
 * Creates every registered queue, attaches its one handler and (re)writes its schedule.
 * Payloads are validated at this edge: an invalid one fails its job with the reason, unrun.
 */
export async function startJobWorkers(
  boss: PgBoss,
  registry: JobDefinition[],
  ctx: JobContext,
  config: Config,
): Promise<void> {
  checkRegistry(registry);
  await ensureQueues(boss, registry);
  for (const definition of registry) {
    await boss.work(
      definition.name,
      { localConcurrency: config.workerConcurrency, batchSize: 1, ...definition.work },
      async (jobs: Job<unknown>[]) => {
        const valid: Job<unknown>[] = [];
        const payloads: unknown[] = [];
        for (const job of jobs) {
          const parsed = definition.payload.safeParse(job.data);
          if (parsed.success) {
            valid.push(job);
            payloads.push(parsed.data);
          } else {
            ctx.log.error(
              { job: job.id, queue: definition.name, issues: parsed.error.issues },
              'invalid job payload',
            );
            await boss.fail(definition.name, job.id, {
              error: 'invalid_payload',
              issues: parsed.error.issues,
            });
          }
        }
        if (valid.length > 0) await definition.handle(ctx, payloads, valid);
      },
    );
    const schedule = definition.schedule?.(config);
    if (schedule) {
      await boss.schedule(definition.name, schedule.cron, (schedule.data ?? null) as object | null, {
        tz: schedule.tz,
        ...(schedule.key ? { key: schedule.key } : {}),
      });
    }
  }
}
