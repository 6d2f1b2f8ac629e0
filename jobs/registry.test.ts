import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, type JobDefinition } from './job.ts';
import { checkRegistry, jobRegistry, workedQueues } from './registry.ts';

const job = (name: string) =>
  defineJob({ name, payload: z.object({}), handle: async () => {} }) as JobDefinition;

describe('checkRegistry', () => {
  it('accepts the product registry', () => {
    expect(() => checkRegistry(jobRegistry)).not.toThrow();
  });

  it('refuses a queue with two handlers', () => {
    expect(() => checkRegistry([job('runs.start'), job('runs.start')])).toThrow(/more than one handler/);
  });

  it('refuses a queue without a handler', () => {
    expect(() => checkRegistry([job('runs.start')], ['runs.start', 'lookup.batch'])).toThrow(
      /queue "lookup.batch" has no handler/,
    );
  });

  it('refuses a badly named queue', () => {
    expect(() => checkRegistry([job('Runs Start')])).toThrow(/must look like feature.action/);
  });
});

describe('workedQueues', () => {
  const registry = [job('lookup.batch'), job('statements.render'), job('payments.issue')];

  it('works every queue unless told otherwise', () => {
    expect([...workedQueues(registry, { skip: [] })]).toEqual([
      'lookup.batch',
      'statements.render',
      'payments.issue',
    ]);
  });

  it('keeps to the queues named, less those skipped', () => {
    expect([...workedQueues(registry, { skip: ['statements.render', 'payments.issue'] })]).toEqual([
      'lookup.batch',
    ]);
    expect([
      ...workedQueues(registry, { only: ['statements.render', 'payments.issue'], skip: ['payments.issue'] }),
    ]).toEqual(['statements.render']);
  });

  it('refuses a name no job has', () => {
    expect(() => workedQueues(registry, { only: ['statement.render'], skip: [] })).toThrow(
      /name no job queue: statement.render/,
    );
  });
});
