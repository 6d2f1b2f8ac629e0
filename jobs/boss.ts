import { sql } from 'kysely';
import { type Clock, fromKysely, type Job, PgBoss } from 'pg-boss';
import type { Config } from '../server/config.ts';
import { createDatabase, type Database } from '../server/db/database.ts';
import { APP_ROLE } from '../server/db/logins.ts';
import type { Logger } from '../server/logger.ts';
import { jobSeconds } from '../server/metrics/metrics.ts';
import { checkJobPayloads, type JobQueue } from '../server/queue.ts';
import type { JobContext, JobDefinition } from './job.ts';
import { checkRegistry, workedQueues } from './registry.ts';

export const QUEUE_SCHEMA = 'pgboss';

export interface BossOptions {
  /** The queue's own login (`fleet_queue`), which owns pg-boss's schema and no tenant table. */
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
    // The nightly starts are one job a minute (runs.nightly): a cron pass every 10 s (not 30) and a
    // forward within 2 s (not 5) start the minute's accounts at most seconds after it.
    cronMonitorIntervalSeconds: 10,
    cronWorkerIntervalSeconds: 2,
    // The queues' backlog counts, which drainBacklog's handlers read (jobs/runs.job.ts), are
    // refreshed every 5 s (not 60): the monitor pass above recounts them every 10.
    queueCacheIntervalSeconds: 5,
    // The schema is created by the migrations (sql/0015), where the queue's login may create.
    createSchema: false,
    migrate: true,
    useListenNotify: options.worker,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  // pg-boss reports background faults as events; an unhandled 'error' event would crash the process.
  boss.on('error', (error) => options.log?.error({ err: error }, 'job queue error'));
  boss.on('warning', (warning) => options.log?.warn({ warning }, 'job queue warning'));
  return boss;
}

/** Installs or upgrades pg-boss's own schema as the queue's login (it versions itself), then stops. */
export async function installQueueSchema(queueUrl: string): Promise<void> {
  const boss = new PgBoss({
    connectionString: queueUrl,
    schema: QUEUE_SCHEMA,
    supervise: false,
    schedule: false,
    createSchema: false,
    migrate: true,
  });
  boss.on('error', () => {});
  await boss.start();
  await boss.stop({ graceful: false, close: true });
  const queueDb = createDatabase(queueUrl, 1, 'fleet-fines-queue-wall');
  try {
    await wallQueue(queueDb);
  } finally {
    await queueDb.destroy();
  }
}

/**
 * The application role's only way into the queue: it may insert jobs into pg-boss's job tables,
 * and row-level security (which pg-boss's own login, their owner, is not subject to) accepts a
 * job only when its payload names the account of the inserting tenant transaction. It cannot
 * read, change or delete other jobs, so a job's `accountId` is as trustworthy as that
 * transaction. Run as the queue's login after pg-boss installs or upgrades its schema (a new
 * partition needs the same); each step is taken only when missing, so concurrent starters
 * rewrite no catalogue rows (and take turns, under a lock, for the ones that are missing).
 */
export async function wallQueue(queueDb: Database): Promise<void> {
  await queueDb.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('fleet-fines: queue wall'))`.execute(trx);
    await sql.raw(QUEUE_WALL).execute(trx);
  });
}

const TENANT_JOB = "data ->> 'accountId' = current_setting('app.account_id', true)";
const QUEUE_WALL = `
do $wall$
declare
  job_table regclass;
begin
  -- Rights beyond these, granted by an earlier version that let the application use the queue
  -- as pg-boss does, go.
  for job_table in
    select c.oid::regclass from pg_class c
    where c.relnamespace = '${QUEUE_SCHEMA}'::regnamespace and c.relkind in ('r', 'p')
      and c.relowner = current_user::regrole
      and (has_table_privilege('${APP_ROLE}', c.oid, 'UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
        or (c.relname <> 'queue' and has_table_privilege('${APP_ROLE}', c.oid, 'SELECT'))
        or (has_table_privilege('${APP_ROLE}', c.oid, 'INSERT')
            and not exists (select 1 from pg_inherits i
                            where i.inhrelid = c.oid and i.inhparent = '${QUEUE_SCHEMA}.job'::regclass)))
  loop
    execute format('revoke all on %s from ${APP_ROLE}', job_table);
  end loop;
  if not has_table_privilege('${APP_ROLE}', '${QUEUE_SCHEMA}.queue', 'SELECT') then
    grant select on ${QUEUE_SCHEMA}.queue to ${APP_ROLE};
  end if;
  for job_table in
    select i.inhrelid::regclass from pg_inherits i where i.inhparent = '${QUEUE_SCHEMA}.job'::regclass
  loop
    if not (select relrowsecurity from pg_class where oid = job_table) then
      execute format('alter table %s enable row level security', job_table);
    end if;
    if not exists (select 1 from pg_policy where polrelid = job_table and polname = 'tenant_enqueue') then
      execute format($p$create policy tenant_enqueue on %s for insert to ${APP_ROLE} with check (${TENANT_JOB})$p$, job_table);
    end if;
    if not exists (select 1 from pg_policy where polrelid = job_table and polname = 'tenant_enqueued') then
      execute format($p$create policy tenant_enqueued on %s for select to ${APP_ROLE} using (${TENANT_JOB})$p$, job_table);
    end if;
    if not has_table_privilege('${APP_ROLE}', job_table, 'INSERT') then
      execute format('grant insert on %s to ${APP_ROLE}', job_table);
    end if;
    if not has_column_privilege('${APP_ROLE}', job_table, 'start_after', 'SELECT') then
      execute format('grant select (id, start_after) on %s to ${APP_ROLE}', job_table);
    end if;
  end loop;
end
$wall$`;

/** The JobQueue services use: pg-boss inserts through the caller's Kysely transaction. */
export function createJobQueue(boss: PgBoss): JobQueue {
  return {
    async send(trx, job, payloads, priorities) {
      if (payloads.length === 0) return;
      checkJobPayloads(job, payloads);
      await boss.insert(
        job.name,
        payloads.map((data, i) => ({ data, priority: priorities?.[i] ?? 0 })),
        { db: fromKysely(trx) },
      );
    },
  };
}

/**
 * Creates (or updates) every registered queue: web processes enqueue before any worker has started.
 * Completed jobs are kept `jobsDays` (RETAIN_JOBS_DAYS), then pg-boss deletes them.
 */
export async function ensureQueues(
  boss: PgBoss,
  registry: JobDefinition[],
  retention?: { jobsDays: number },
): Promise<void> {
  const kept = retention ? { deleteAfterSeconds: retention.jobsDays * 86_400 } : {};
  for (const definition of registry) {
    const options = { ...kept, ...definition.queue };
    await boss.createQueue(definition.name, options);
    if (definition.queue || retention) await boss.updateQueue(definition.name, options);
  }
}

/** The handlers a process runs, for its shutdown. */
export interface JobWorkers {
  /**
   * Resolves once no handler is running. A graceful `boss.stop()` stops waiting for handlers at
   * its timeout, fails their jobs (to be retried) and aborts their signal, but cannot end them: a
   * handler runs on, on the application's pool, until it reaches a point where it checks the signal.
   */
  idle(): Promise<void>;
}

/**
 * A graceful stop of the queue: workers fetch no more, the jobs in flight get `timeoutMs` to
 * finish, then those left are failed (to be retried) and their handlers' signal aborted. The
 * queue's pool stays open until every handler has returned, since the completion pg-boss runs for
 * an abandoned job still needs it; then it closes.
 */
export async function stopQueue(
  boss: PgBoss,
  workers: JobWorkers | undefined,
  timeoutMs: number,
): Promise<void> {
  await boss.stop({ graceful: true, close: false, timeout: timeoutMs });
  await workers?.idle();
  await boss.stop({ close: true });
}

/**
 * Creates every registered queue, attaches its one handler and (re)writes its schedule (writeSchedules).
 * Payloads are validated at this edge: an invalid one fails its job with the reason, unrun.
 */
export async function startJobWorkers(
  boss: PgBoss,
  registry: JobDefinition[],
  ctx: JobContext,
  config: Config,
): Promise<JobWorkers> {
  checkRegistry(registry);
  await ensureQueues(boss, registry, config.maintenance.retention);
  const running = new Set<Promise<void>>();
  const worked = workedQueues(registry, config.workerQueues);
  for (const definition of registry) {
    if (worked.has(definition.name)) await workQueue(boss, definition, ctx, config, running);
  }
  await writeSchedules(boss, registry, config);
  return {
    async idle() {
      while (running.size > 0) await Promise.allSettled(running);
    },
  };
}

/**
 * (Re)writes each registered job's schedule, the one schedule its queue has: any other one there
 * (such as the per-account nightly schedules an earlier version kept) goes, so a queue is never
 * fed by a schedule the registry does not name.
 */
export async function writeSchedules(boss: PgBoss, registry: JobDefinition[], config: Config): Promise<void> {
  for (const definition of registry) {
    const schedule = definition.schedule?.(config);
    const key = schedule?.key ?? '';
    for (const existing of await boss.getSchedules(definition.name)) {
      if (!schedule || existing.key !== key) await boss.unschedule(definition.name, existing.key);
    }
    if (schedule) {
      await boss.schedule(definition.name, schedule.cron, (schedule.data ?? null) as object | null, {
        tz: schedule.tz,
        ...(schedule.key ? { key: schedule.key } : {}),
      });
    }
  }
}

/** Attaches a queue's handler: payloads that fail their schema fail their job, unrun; the rest are handled and timed. */
async function workQueue(
  boss: PgBoss,
  definition: JobDefinition,
  ctx: JobContext,
  config: Config,
  running: Set<Promise<void>>,
): Promise<void> {
  await boss.work(
    definition.name,
    {
      localConcurrency: definition.handlers?.(config.workerConcurrency) ?? config.workerConcurrency,
      batchSize: 1,
      ...definition.work,
    },
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
          await boss.fail(definition.name, job.id, { error: 'invalid_payload', issues: parsed.error.issues });
        }
      }
      if (valid.length === 0) return;
      const end = jobSeconds.startTimer({ queue: definition.name });
      const signal = AbortSignal.any(valid.map((job) => job.signal));
      const handled = definition.handle({ ...ctx, signal }, payloads, valid);
      const tracked = handled.then(
        () => {},
        () => {},
      );
      running.add(tracked);
      try {
        await handled;
        end({ outcome: 'ok' });
      } catch (error) {
        end({ outcome: 'error' });
        throw error;
      } finally {
        running.delete(tracked);
      }
    },
  );
}
