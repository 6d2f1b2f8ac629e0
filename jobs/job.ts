import type { Job, Queue, WorkOptions } from 'pg-boss';
import type { z } from 'zod';
import type { AlertDelivery } from '../server/alerts/delivery.ts';
import type { AuthorityIssuer } from '../server/authority/issuance-client.ts';
import type { Config } from '../server/config.ts';
import type { Database } from '../server/db/database.ts';
import type { Logger } from '../server/logger.ts';
import type { JobQueue } from '../server/queue.ts';
import type { AuthorityDirectory } from '../server/runs/runs.service.ts';

export interface JobContext {
  db: Database;
  config: Config;
  log: Logger;
  /** The current time; jobs never read the clock themselves, so tests can freeze it. */
  now: () => Date;
  queue: JobQueue;
  authorities: AuthorityDirectory;
  /** The authority's issuance call (payment numbers); absent in contexts that issue none. */
  issuer?: AuthorityIssuer;
  /** The alert channels (alerts.deliver); absent in contexts that send none. */
  alerts?: AlertDelivery;
  /**
   * Aborted when the worker gives up a job of the call's batch: a shutdown that outlasted
   * SHUTDOWN_TIMEOUT_MS (the jobs are failed, to be retried) or a claim lost to the supervisor.
   * A long handler checks it between steps so that the process can stop. Set on each call.
   */
  signal?: AbortSignal;
}

/** A job's handler and queue settings, over its contract (`name`, `payload`: see server/queue.ts). */
export interface JobDefinition<Payload = unknown> {
  name: string;
  /** Validates every payload at the edge; an invalid one fails its job without running it. */
  payload: z.ZodType<Payload>;
  // A method, so a definition of any payload is a JobDefinition of the registry (parameters of
  // methods are compared both ways); the registry parses each payload with the same schema.
  handle(ctx: JobContext, payloads: Payload[], jobs: Job<unknown>[]): Promise<void>;
  work?: WorkOptions;
  /** How many of this queue's jobs a worker runs at once, from WORKER_CONCURRENCY (the default: that many). */
  handlers?: (workerConcurrency: number) => number;
  /** Queue settings: retries, and a heartbeat so a job of a killed worker is retried soon. */
  queue?: Omit<Queue, 'name'>;
  /** Optional schedule; `tz` makes the cron local to that zone. */
  schedule?: (config: Config) => { cron: string; tz: string; key?: string; data?: Payload };
}

export function defineJob<Payload>(definition: JobDefinition<Payload>): JobDefinition<Payload> {
  return definition;
}
