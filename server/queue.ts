import { z } from 'zod';
import type { Tx } from './db/tenant.ts';

/** A payload's schema: JSON objects in, whatever the handler needs out. */
type JobSchema = z.ZodType<unknown, object>;

/**
 * A job as both ends know it: its queue's name and its payload's schema. Each feature exports its
 * contracts (x.jobs.ts); the sender's payloads are checked against the schema before they are
 * queued, and the handler's are parsed by the same schema when they arrive (jobs/registry.ts).
 */
export interface JobContract<Schema extends JobSchema = JobSchema> {
  readonly name: string;
  readonly payload: Schema;
}

/** What a sender writes: the schema's input (ids as decimal text, since payloads are JSON). */
export type JobPayload<Contract extends JobContract> = z.input<Contract['payload']>;

export function jobContract<Schema extends JobSchema>(name: string, payload: Schema): JobContract<Schema> {
  return { name, payload };
}

/** A database id as a job carries it: decimal text, read back as a bigint. */
export const jobId = z
  .string()
  .regex(/^[1-9]\d{0,17}$/)
  .transform((v) => BigInt(v));

/** The payload of a job about one run. */
export const runJobPayload = z.object({ accountId: jobId, runId: jobId }).strict();

/** Refuses a payload its contract would refuse on arrival: the sender's mistake, found at the sender. */
export function checkJobPayloads<Contract extends JobContract>(
  job: Contract,
  payloads: readonly JobPayload<Contract>[],
): void {
  for (const payload of payloads) {
    const checked = job.payload.safeParse(payload);
    if (!checked.success) {
      throw new Error(
        `job ${job.name}: the payload does not match its contract: ${z.prettifyError(checked.error)}`,
      );
    }
  }
}

/**
 * Enqueues jobs inside the caller's transaction, so a job exists exactly when the work that
 * needs it committed. jobs/boss.ts implements it with pg-boss; services only see this.
 */
export interface JobQueue {
  /** Checks every payload against the job's contract, then queues them. */
  /**
   * `priorities[i]` ranks payload i among the job's queue: higher first, and first come first
   * served among equals (0 when not given).
   */
  send<Contract extends JobContract>(
    trx: Tx,
    job: Contract,
    payloads: JobPayload<Contract>[],
    priorities?: number[],
  ): Promise<void>;
}
