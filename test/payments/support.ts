/** Helpers for the payments tests: runs to the end of the payments stage, numbers and their lines. */
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import type { ApiClient } from '../support/http.ts';

export interface NumberBody {
  number: string;
  kind: string;
  issuer: string;
  state: string;
  vehicleId: string | null;
  totalMinor: string;
  paidMinor: string;
  lineCount: number;
  totalAfterDeadlineMinor: string;
  channels: Array<{ channel: string; totalMinor: string }>;
  expiresAt: string;
  lines?: Array<{
    ticketNumber: string;
    amountMinor: string;
    state: string;
    paidMinor: string;
    vehicleId: string;
  }>;
}

/** Starts a run and waits until it is done and its payments stage has run (payments.issue completed). */
export async function runThroughPayments(client: ApiClient, db: Database, accountId: bigint) {
  const started = await client.post<{ id: string }>('/runs');
  expect(started.status).toBe(202);
  const runId = BigInt(started.body.id);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const run = await client.get<{ status: string }>(`/runs/${runId}`);
    if (['done', 'partial', 'failed'].includes(run.body.status)) {
      const job = await sql<{ state: string }>`
        select state from pgboss.job where name = 'payments.issue' and data ->> 'runId' = ${runId.toString()}
          and data ->> 'accountId' = ${accountId.toString()}`.execute(db);
      if (job.rows.some((j) => j.state === 'completed')) return { runId, status: run.body.status };
      if (job.rows.some((j) => j.state === 'failed')) throw new Error('payments.issue failed');
    }
    if (Date.now() > deadline) throw new Error(`run ${runId} did not get through payments`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** Every open number of a kind, all pages, with lines. */
export async function openNumbers(client: ApiClient, kind: string): Promise<NumberBody[]> {
  const out: NumberBody[] = [];
  let after: string | null = null;
  do {
    const page: { status: number; body: { paymentNumbers: NumberBody[]; nextCursor: string | null } } =
      await client.get(`/payment-numbers?state=open&kind=${kind}&limit=100${after ? `&after=${after}` : ''}`);
    expect(page.status).toBe(200);
    out.push(...page.body.paymentNumbers);
    after = page.body.nextCursor;
  } while (after);
  const withLines: NumberBody[] = [];
  for (const n of out) withLines.push((await client.get<NumberBody>(`/payment-numbers/${n.number}`)).body);
  return withLines;
}

/**
 * The rules every night must keep: each number's total is the sum of its lines; every payable
 * outstanding line (not paid through us) is covered by exactly one open per-vehicle number and by
 * the open consolidated number, at its current amount.
 */
export async function expectCoverage(client: ApiClient, ownerDb: Database, accountId: bigint) {
  const vehicleNumbers = await openNumbers(client, 'vehicle');
  const consolidated = await openNumbers(client, 'consolidated');
  for (const n of [...vehicleNumbers, ...consolidated]) {
    expect(n.lines!.reduce((s, l) => s + BigInt(l.amountMinor), 0n)).toBe(BigInt(n.totalMinor));
    expect(n.lines!.length).toBe(n.lineCount);
  }
  const payable = await sql<{ ticket_number: string; amount_minor: string; vehicle_id: string }>`
    select v.ticket_number, v.amount_minor::text, v.vehicle_id::text from violations v
    where v.account_id = ${accountId} and v.state = 'outstanding' and v.amount_minor > 0
      and not exists (select 1 from payment_number_lines l where l.account_id = v.account_id
                      and l.ticket_number = v.ticket_number and l.state = 'paid_pending')`.execute(ownerDb);
  const expected = new Map(payable.rows.map((r) => [r.ticket_number, r]));
  const perVehicle = new Map<string, number>();
  for (const n of vehicleNumbers) {
    for (const l of n.lines!) {
      perVehicle.set(l.ticketNumber, (perVehicle.get(l.ticketNumber) ?? 0) + 1);
      expect(l.vehicleId).toBe(n.vehicleId);
      expect(l.amountMinor).toBe(expected.get(l.ticketNumber)?.amount_minor);
    }
  }
  expect(new Set(perVehicle.keys())).toEqual(new Set(expected.keys()));
  expect([...perVehicle.values()].every((count) => count === 1)).toBe(true);
  if (expected.size > 0) {
    expect(consolidated).toHaveLength(1);
    expect(new Set(consolidated[0]!.lines!.map((l) => l.ticketNumber))).toEqual(new Set(expected.keys()));
  } else {
    expect(consolidated).toHaveLength(0);
  }
  return { vehicleNumbers, consolidated: consolidated[0], payable: payable.rows };
}
