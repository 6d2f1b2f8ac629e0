import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { useTestDatabase } from '../support/database.ts';
import { type AccountFixture, makeAccount, makeVehicles } from '../support/factories.ts';
import { ApiClient, useProduct } from '../support/http.ts';

const test = useTestDatabase();
let simulator: AuthoritySimulator;
beforeAll(async () => {
  simulator = await startAuthoritySimulator({
    seed: 'runs-test',
    world: { startDate: '2026-06-01', dailyViolationRate: 0.08, notFoundRate: 0 },
  });
  process.env.TEST_AUTHORITY_URL = simulator.url;
});
afterAll(async () => {
  await simulator?.close();
});
const app = useProduct(test, {
  get AUTHORITY_URL() {
    return process.env.TEST_AUTHORITY_URL!;
  },
  AUTHORITY_RATE_LIMIT: '200',
  AUTHORITY_BATCH_SIZE: '10',
  AUTHORITY_TIMEOUT_MS: '2000',
  AUTHORITY_MAX_ATTEMPTS: '2',
  SUSPECT_SETTLEMENT_MIN_COUNT: '5',
  SUSPECT_SETTLEMENT_SHARE_PERCENT: '50',
} as Record<string, string>);

let account: AccountFixture;
let client: ApiClient;
const plates = Array.from({ length: 40 }, (_, i) => `JO:${10 + (i % 30)}-${20000 + i}`);

interface RunBody {
  id: string;
  status: string;
  progress: { fetching: { done: number; total: number; failed: number } };
  createdAt: string;
  snapshottedAt: string | null;
  fetchedAt: string | null;
  reconciledAt: string | null;
  summary: {
    changes: Array<{ change: string; violations: number; amountMinor: string; held: number }>;
    outstanding: { violations: number; amountMinor: string };
    failedVehicles: Array<{ vehicleId: string; plateKey: string; reason: string }>;
    heldSettlements: number;
  } | null;
}

async function runToEnd(): Promise<RunBody> {
  const started = await client.post<RunBody>('/runs');
  expect(started.status).toBe(202);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const run = await client.get<RunBody>(`/runs/${started.body.id}`);
    if (['done', 'partial', 'failed'].includes(run.body.status)) return run.body;
    if (Date.now() > deadline)
      throw new Error(`run ${started.body.id} did not finish: ${JSON.stringify(run.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const changeCount = (run: RunBody, change: string) =>
  run.summary!.changes.find((c) => c.change === change)?.violations ?? 0;

beforeAll(async () => {
  account = await makeAccount(test.db, 'JO');
  await makeVehicles(test.db, account.id, plates);
  client = new ApiClient(app.product.url!);
  await client.signIn(account.users.fleet_admin.email);
  client.accountId = account.id.toString();
});

describe('a run against the authority simulator', () => {
  it('looks up every vehicle, and the first night everything known is new', async () => {
    const run = await runToEnd();
    expect(run.status).toBe('done');
    expect(run.progress.fetching).toEqual({ done: 40, total: 40, failed: 0 });
    // Each stage's end is on the run, in pipeline order.
    const stages = [run.createdAt, run.snapshottedAt, run.fetchedAt, run.reconciledAt].map((t) =>
      Date.parse(t!),
    );
    expect(stages.every((t) => Number.isFinite(t))).toBe(true);
    expect([...stages].sort((a, b) => a - b)).toEqual(stages);
    const truth = plates.flatMap((p) => {
      const answer = simulator.world.answer('JO', p);
      return answer.status === 'ok' ? answer.violations : [];
    });
    expect(truth.length).toBeGreaterThan(10);
    expect(changeCount(run, 'new')).toBe(truth.length);
    const outstanding = truth.filter((v) => v.status === 'unpaid' || v.status === 'under_objection');
    expect(run.summary!.outstanding.violations).toBe(outstanding.length);
    expect(BigInt(run.summary!.outstanding.amountMinor)).toBe(
      outstanding.reduce((s, v) => s + BigInt(v.amountMinor), 0n),
    );
  });

  it('keeps every total equal to the sum of its lines', async () => {
    const [latest] = (await client.get<{ runs: RunBody[] }>('/runs')).body.runs;
    const lines = await sql<{ change: string; n: number; amount: string }>`
      select change, count(*)::int as n, sum(amount_minor)::text as amount from run_changes
      where account_id = ${account.id} and run_id = ${BigInt(latest!.id)} group by change`.execute(
      test.ownerDb,
    );
    // Change lines are stored for every change but plain `unchanged` (counted per vehicle only).
    for (const total of latest!.summary!.changes.filter((c) => c.change !== 'unchanged')) {
      const line = lines.rows.find((l) => l.change === total.change)!;
      expect(total.violations).toBe(line.n);
      expect(total.amountMinor).toBe(line.amount);
    }
    // Per vehicle: the change lines totalled per vehicle add up to the run's totals, and what the
    // authority answered per vehicle adds up to what is outstanding (nothing failed or was held).
    const vehicles = await client.get<{
      vehicles: Array<{
        lookup: { status: string };
        answered: { violations: number; outstanding: number; outstandingMinor: string } | null;
        changes: Array<{ change: string; violations: number; amountMinor: string }>;
      }>;
      nextCursor: string | null;
    }>(`/runs/${latest!.id}/vehicles?limit=1000`);
    expect(vehicles.status).toBe(200);
    expect(vehicles.body.vehicles).toHaveLength(plates.length);
    expect(vehicles.body.nextCursor).toBeNull();
    for (const total of latest!.summary!.changes.filter((c) => c.change !== 'unchanged')) {
      const perVehicle = vehicles.body.vehicles.flatMap((v) =>
        v.changes.filter((c) => c.change === total.change),
      );
      expect(perVehicle.reduce((sum, c) => sum + c.violations, 0)).toBe(total.violations);
      expect(perVehicle.reduce((sum, c) => sum + BigInt(c.amountMinor), 0n).toString()).toBe(
        total.amountMinor,
      );
    }
    const answered = vehicles.body.vehicles.map((v) => v.answered!);
    expect(answered.reduce((sum, a) => sum + a.outstanding, 0)).toBe(latest!.summary!.outstanding.violations);
    expect(answered.reduce((sum, a) => sum + BigInt(a.outstandingMinor), 0n).toString()).toBe(
      latest!.summary!.outstanding.amountMinor,
    );
    const listed = latest!.summary!.changes.reduce((sum, c) => sum + c.violations, 0);
    expect(answered.reduce((sum, a) => sum + a.violations, 0)).toBe(listed);
  });

  it('answers a second start while one is going with 409 and the running run', async () => {
    simulator.setFaults({ latencyMs: 300 });
    const first = await client.post<RunBody>('/runs');
    const second = await client.post<{ error: { code: string; details: { runId: string } } }>('/runs');
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'run_in_progress', details: { runId: first.body.id } });
    simulator.setFaults({ latencyMs: 0 });
    for (;;) {
      const run = await client.get<RunBody>(`/runs/${first.body.id}`);
      if (['done', 'partial'].includes(run.body.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it('a night later finds escalations and new fines, and changes nothing else', async () => {
    simulator.world.advanceDays(31);
    const run = await runToEnd();
    expect(run.status).toBe('done');
    expect(changeCount(run, 'escalated')).toBeGreaterThan(0);
    const versions = await sql<{ n: number }>`
      select count(*)::int as n from violation_versions v
      where v.account_id = ${account.id} and v.run_id = ${BigInt(run.id)}`.execute(test.ownerDb);
    const changed = run.summary!.changes.filter((c) => c.change !== 'unchanged' && c.change !== 'stale');
    // A version only when something changed.
    expect(versions.rows[0]!.n).toBeLessThanOrEqual(
      changed.reduce((s, c) => s + c.violations, 0) + changeCount(run, 'unchanged'),
    );
    const again = await runToEnd();
    expect(again.summary!.changes.every((c) => c.change === 'unchanged')).toBe(true);
    const noNewVersions = await sql<{ n: number }>`
      select count(*)::int as n from violation_versions where account_id = ${account.id} and run_id = ${BigInt(again.id)}`.execute(
      test.ownerDb,
    );
    expect(noNewVersions.rows[0]!.n).toBe(0);
  });

  it('settles nothing for vehicles whose lookup failed: partial, with the vehicles and why', async () => {
    simulator.setFaults({ plateErrorRate: 0.3 });
    const run = await runToEnd();
    simulator.setFaults({ plateErrorRate: 0 });
    expect(run.status).toBe('partial');
    expect(run.summary!.failedVehicles.length).toBeGreaterThan(0);
    expect(run.summary!.failedVehicles[0]!.reason).toBeTruthy();
    expect(changeCount(run, 'settled')).toBe(0);
    expect(changeCount(run, 'stale')).toBeGreaterThan(0);
    const next = await runToEnd();
    expect(next.status).toBe('done');
    expect(changeCount(next, 'stale')).toBe(0);
  });

  it('holds a mass disappearance (maintenance page) as a suspect exception instead of settling', async () => {
    const before = (await client.get<{ violations: unknown[] }>('/violations?state=outstanding&limit=1000'))
      .body.violations.length;
    expect(before).toBeGreaterThanOrEqual(5);
    simulator.setFaults({ maintenance: true });
    const run = await runToEnd();
    simulator.setFaults({ maintenance: false });
    expect(run.summary!.heldSettlements).toBe(before);
    const after = (
      await client.get<{ violations: Array<{ suspectSettlement: boolean }> }>(
        '/violations?state=outstanding&limit=1000',
      )
    ).body.violations;
    expect(after).toHaveLength(before);
    expect(after.every((v) => v.suspectSettlement)).toBe(true);
    const exceptions = await sql<{ kind: string }>`
      select kind from exceptions where account_id = ${account.id} and run_id = ${BigInt(run.id)}`.execute(
      test.ownerDb,
    );
    expect(exceptions.rows).toEqual([{ kind: 'suspect_mass_settlement' }]);

    // A second night of maintenance settles nothing: the held settlements stay held, no new exception.
    simulator.setFaults({ maintenance: true });
    const again = await runToEnd();
    simulator.setFaults({ maintenance: false });
    expect(again.summary!.heldSettlements).toBe(before);
    expect(
      (await client.get<{ violations: unknown[] }>('/violations?state=outstanding&limit=1000')).body
        .violations,
    ).toHaveLength(before);

    // The authority is back: the fines are still there, nothing was lost, the suspicion clears.
    const back = await runToEnd();
    expect(changeCount(back, 'settled')).toBe(0);
    const cleared = (
      await client.get<{ violations: Array<{ suspectSettlement: boolean }> }>(
        '/violations?state=outstanding&limit=1000',
      )
    ).body.violations;
    expect(cleared).toHaveLength(before);
    expect(cleared.some((v) => v.suspectSettlement)).toBe(false);
    // The run closed the exception, saying why; deciding it now changes nothing and is refused.
    const closed = await sql<{ status: string; resolution: string; resolved_by_run: string }>`
      select status, resolution, resolved_by_run::text from exceptions
      where account_id = ${account.id} and run_id = ${BigInt(run.id)}`.execute(test.ownerDb);
    expect(closed.rows).toEqual([
      { status: 'dismissed', resolution: 'cleared_by_runs', resolved_by_run: back.id },
    ]);
    const accountant = new ApiClient(app.product.url!);
    await accountant.signIn(account.users.accountant.email);
    accountant.accountId = account.id.toString();
    const [exception] = (
      await accountant.get<{ exceptions: Array<{ id: string; runId: string }> }>(
        '/exceptions?status=dismissed',
      )
    ).body.exceptions.filter((e) => e.runId === run.id);
    expect((await accountant.post(`/exceptions/${exception!.id}/dismiss`)).status).toBe(409);
  });

  it('lets an accountant confirm a held mass settlement, and a later answer brings the fines back', async () => {
    const outstanding = async () =>
      (await client.get<{ violations: unknown[] }>('/violations?state=outstanding&limit=1000')).body
        .violations.length;
    const before = await outstanding();
    simulator.setFaults({ maintenance: true });
    const held = await runToEnd();
    simulator.setFaults({ maintenance: false });
    expect(held.summary!.heldSettlements).toBe(before);

    const accountant = new ApiClient(app.product.url!);
    await accountant.signIn(account.users.accountant.email);
    accountant.accountId = account.id.toString();
    const open = await accountant.get<{ exceptions: Array<{ id: string; runId: string; status: string }> }>(
      '/exceptions?status=open',
    );
    const exception = open.body.exceptions.find((e) => e.runId === held.id)!;
    expect(exception.status).toBe('open');
    expect((await client.post(`/exceptions/${exception.id}/confirm`)).status).toBe(403);
    const confirmed = await accountant.post<{ status: string; violations: number }>(
      `/exceptions/${exception.id}/confirm`,
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', violations: before });
    expect(await outstanding()).toBe(0);
    expect((await accountant.post(`/exceptions/${exception.id}/confirm`)).status).toBe(409);

    // The authority still lists them: they come back as reappeared, nothing is lost.
    const back = await runToEnd();
    expect(changeCount(back, 'reappeared')).toBe(before);
    expect(await outstanding()).toBe(before);
  });

  it('lists changes by kind and vehicle, and a vehicle’s violations with history', async () => {
    const [latest] = (await client.get<{ runs: RunBody[] }>('/runs?limit=1')).body.runs;
    const all = await client.get<{ changes: Array<{ vehicleId: string; change: string }> }>(
      `/runs/${latest!.id}/changes?limit=1000`,
    );
    expect(all.status).toBe(200);
    const vehicleId = all.body.changes[0]!.vehicleId;
    const one = await client.get<{ changes: Array<{ vehicleId: string }> }>(
      `/runs/${latest!.id}/changes?vehicleId=${vehicleId}`,
    );
    expect(one.body.changes.every((c) => c.vehicleId === vehicleId)).toBe(true);
    const history = await client.get<{
      violations: Array<{ history: Array<{ version: number; change: string }> }>;
    }>(`/vehicles/${vehicleId}/violations`);
    expect(history.status).toBe(200);
    expect(history.body.violations[0]!.history[0]).toMatchObject({ version: 1, change: 'new' });
  });

  it('pages a vehicle’s violations in SQL with nextCursor', async () => {
    const busiest = await sql<{ vehicle_id: string; n: number }>`
      select vehicle_id::text, count(*)::int as n from violations where account_id = ${account.id}
      group by vehicle_id order by count(*) desc, vehicle_id limit 1`.execute(test.ownerDb);
    const { vehicle_id: vehicleId, n } = busiest.rows[0]!;
    expect(n).toBeGreaterThanOrEqual(2);
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: {
        status: number;
        body: { violations: Array<{ ticketNumber: string }>; nextCursor: string | null };
      } = await client.get(`/vehicles/${vehicleId}/violations?limit=1${after ? `&after=${after}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.violations.length).toBeLessThanOrEqual(1);
      seen.push(...page.body.violations.map((v) => v.ticketNumber));
      after = page.body.nextCursor;
    } while (after);
    expect(seen).toHaveLength(n);
    expect([...seen].sort()).toEqual(seen);
  });

  it('lets an owner abort a run (audited), not a fleet admin; an ended run answers 409', async () => {
    simulator.setFaults({ latencyMs: 1000 });
    const started = await client.post<RunBody>('/runs');
    expect((await client.post(`/runs/${started.body.id}/abort`)).status).toBe(403);
    const owner = new ApiClient(app.product.url!);
    await owner.signIn(account.users.owner.email);
    owner.accountId = account.id.toString();
    const aborted = await owner.post<RunBody & { error: string }>(`/runs/${started.body.id}/abort`);
    simulator.setFaults({ latencyMs: 0 });
    expect(aborted.status).toBe(200);
    expect(aborted.body).toMatchObject({ status: 'failed', error: 'aborted by an owner' });
    expect((await owner.post(`/runs/${started.body.id}/abort`)).status).toBe(409);
    const audit = await sql<{ action: string }>`
      select action from audit_log where account_id = ${account.id} and target = ${`run:${started.body.id}`}
        and action = 'run.aborted'`.execute(test.ownerDb);
    expect(audit.rows).toHaveLength(1);
    // The account runs again at once.
    expect((await runToEnd()).status).toBe('done');
  });

  it('streams progress as server-sent events until the run ends', async () => {
    const started = await client.post<RunBody>('/runs');
    const res = await fetch(`${app.product.url}/api/v1/runs/${started.body.id}/events`, {
      headers: { cookie: client.cookie!, 'x-account-id': client.accountId! },
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text();
    expect(text).toContain('event: progress');
    expect(text).toMatch(/"status":"(done|partial)"/);
    expect(text.trim().endsWith('data: {}')).toBe(true);
  });
});
