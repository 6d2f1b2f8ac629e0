import { type Clock, type Job, PgBoss } from 'pg-boss';
import type { Config } from '../server/config.ts';
import type { Logger } from '../server/logger.ts';
import type { JobContext, JobDefinition } from './job.ts';
import { checkRegistry } from './registry.ts';

export const QUEUE_SCHEMA = 'pgboss';

export interface BossOptions {
  connectionString: string;
  /** Workers maintain queues and run schedules; the web role only sends jobs. Both may install pg-boss's schema (it takes a lock). */
  worker: boolean;
  max?: number;
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
export async function installQueueSchema(connectionString: string): Promise<void> {
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
  for (const definition of registry) {
    await boss.createQueue(definition.name);
  }
  for (const definition of registry) {
    await boss.work(
      definition.name,
      { localConcurrency: 1, batchSize: 1, ...definition.work },
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
