import type { Tx } from './db/tenant.ts';

/**
 * Enqueues jobs inside the caller's transaction, so a job exists exactly when the work that
 * needs it committed. jobs/boss.ts implements it with pg-boss; services only see this.
 */
export interface JobQueue {
  /**
   * `priorities[i]` ranks payload i among the queue's jobs: higher first, and first come first
   * served among equals (0 when not given).
   */
  send(trx: Tx, queue: string, payloads: object[], priorities?: number[]): Promise<void>;
  /** Creates or replaces the recurring schedule `key` of a queue: a cron in a time zone. */
  schedule(queue: string, key: string, cron: string, timeZone: string, data: object): Promise<void>;
  unschedule(queue: string, key: string): Promise<void>;
}
