import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { answerMismatch, empty, file, id, json, minorUnits, wireJson } from './answers.ts';

describe('checking an answer against its route', () => {
  const run = json(z.object({ id, amountMinor: minorUnits, at: z.iso.datetime() }));

  it('takes the answer as it goes on the wire: bigints as decimal strings, Dates as ISO text', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    expect(wireJson({ id: 7n, at })).toEqual({ id: '7', at: '2026-01-02T03:04:05.000Z' });
    expect(answerMismatch('GET /runs/:runId', 200, run, { id: 7n, amountMinor: -250n, at })).toBeNull();
  });

  it('names the route and the field that does not match', () => {
    const problem = answerMismatch('GET /runs/:runId', 200, run, { id: 7n, amountMinor: 2.5, at: 'soon' });
    expect(problem).toMatch(/GET \/runs\/:runId 200/);
    expect(problem).toMatch(/amountMinor/);
    expect(problem).toMatch(/at/);
  });

  it('refuses a field the schema does not name, as the document says no other fields come', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    const body = { id: 7n, amountMinor: 1n, at, secret: 'x' };
    expect(answerMismatch('GET /runs/:runId', 200, run, body)).toMatch(/\.secret, which its schema lacks/);
    const list = json(z.object({ runs: z.array(z.object({ id })) }));
    expect(answerMismatch('GET /runs', 200, list, { runs: [{ id: 1n }, { id: 2n, kind: 'x' }] })).toMatch(
      /\.runs\[1\]\.kind/,
    );
  });

  it('refuses a status the route does not declare, and JSON where it declares a file or nothing', () => {
    expect(answerMismatch('POST /runs', 201, undefined, {})).toMatch(/does not declare/);
    expect(answerMismatch('GET /x.pdf', 200, file('a file', 'application/pdf'), { a: 1 })).toMatch(/file/);
    expect(answerMismatch('DELETE /x', 204, empty, undefined)).toBeNull();
  });
});
