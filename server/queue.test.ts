import { describe, expect, it } from 'vitest';
import { checkJobPayloads } from './queue.ts';
import { runJobs } from './runs/runs.jobs.ts';

describe('job contracts', () => {
  it('lets through what the handler will accept', () => {
    expect(() =>
      checkJobPayloads(runJobs.lookupBatch, [{ accountId: '1', runId: '2', batchNo: 0 }]),
    ).not.toThrow();
  });

  it('refuses at the sender what the handler would refuse, naming the job', () => {
    expect(() => checkJobPayloads(runJobs.reconcile, [{ accountId: '1', runId: '0' }])).toThrow(
      /job run\.reconcile: the payload does not match its contract/,
    );
    // A payload the types cannot see (built from untyped data) is caught by the schema.
    const loose = JSON.parse('{"accountId":"1","runId":"2","extra":true}') as {
      accountId: string;
      runId: string;
    };
    expect(() => checkJobPayloads(runJobs.reconcile, [loose])).toThrow(/extra/);
  });
});
