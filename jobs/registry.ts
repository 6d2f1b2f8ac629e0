import assert from 'node:assert/strict';
import { alertsDeliverJob } from './alerts.job.ts';
import type { JobDefinition } from './job.ts';
import { maintenanceJob } from './maintenance.job.ts';
import { paymentsIssueGaveUpJob, paymentsIssueJob } from './payments.job.ts';
import {
  lookupBatchGaveUpJob,
  lookupBatchJob,
  nightlyRunJob,
  reconcileGaveUpJob,
  reconcileJob,
  runSweepJob,
  startRunJob,
} from './runs.job.ts';
import { renderStatementsJob } from './statements.job.ts';

/**
 * The one registry: queue name → payload schema → exactly one handler. A dead-letter queue comes
 * before the queue that names it (queues are created in this order).
 */
export const jobRegistry: JobDefinition[] = [
  maintenanceJob,
  nightlyRunJob,
  startRunJob,
  lookupBatchGaveUpJob,
  lookupBatchJob,
  reconcileGaveUpJob,
  reconcileJob,
  runSweepJob,
  renderStatementsJob,
  paymentsIssueGaveUpJob,
  paymentsIssueJob,
  alertsDeliverJob,
];

/** Fails start-up when a queue has no handler or two. */
export function checkRegistry(registry: JobDefinition[], queueNames: string[] = []): void {
  const seen = new Set<string>();
  for (const job of registry) {
    assert.match(
      job.name,
      /^[a-z][a-z0-9]*(\.[a-z][a-z0-9_]*)*$/,
      `job name "${job.name}" must look like feature.action`,
    );
    assert.ok(!seen.has(job.name), `job "${job.name}" has more than one handler in the registry`);
    seen.add(job.name);
  }
  for (const name of queueNames) {
    assert.ok(seen.has(name), `queue "${name}" has no handler in the job registry`);
  }
}

/**
 * The queues a worker works (WORKER_QUEUES, WORKER_SKIP_QUEUES); a name no job has is refused at
 * start-up rather than leaving a queue unworked by a typo.
 */
export function workedQueues(
  registry: JobDefinition[],
  selection: { only?: string[]; skip: string[] },
): Set<string> {
  const names = new Set(registry.map((d) => d.name));
  const unknown = [...(selection.only ?? []), ...selection.skip].filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new Error(
      `WORKER_QUEUES / WORKER_SKIP_QUEUES name no job queue: ${unknown.join(', ')} (queues: ${[...names].join(', ')})`,
    );
  }
  const only = selection.only ? new Set(selection.only) : names;
  return new Set([...names].filter((name) => only.has(name) && !selection.skip.includes(name)));
}
