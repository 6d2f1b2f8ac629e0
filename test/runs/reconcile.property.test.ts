import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../../server/db/tenant.ts';
import { reconcileRun } from '../../server/runs/runs.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { useJobQueue } from '../support/queue.ts';

/**
 * Reconciliation against a reference model: random histories of authority answers (with failed
 * and not-found lookups, moves, payments, cancellations, escalations and mass disappearances) go
 * through the real set-based SQL, night after night, and must agree with a plain model.
 */
const test = useTestDatabase();
const jobs = useJobQueue(test);

type LookupStatus = 'ok' | 'failed' | 'not_found';
type AuthorityStatus = 'unpaid' | 'paid' | 'cancelled' | 'under_objection';
interface Seen {
  vehicle: number;
  amount: number;
  status: AuthorityStatus;
}
interface Night {
  lookups: LookupStatus[];
  /** ticket → where the authority lists it tonight (if its vehicle is looked up ok), or absent. */
  tickets: Array<Seen | null>;
}
interface ModelViolation {
  vehicle: number;
  state: 'outstanding' | 'settled' | 'cancelled';
  amount: number;
  status: AuthorityStatus;
  suspect: boolean;
  /** A new version whenever its vehicle, state, amount or authority status changes. */
  version: number;
}
interface ModelChange {
  change: string;
  held: boolean;
  vehicle: number;
  /** Tonight's amount, or the known one when there is no answer. */
  amount: number;
  /** Stored as a line: every change but an unchanged one that neither moves the status nor clears a suspicion. */
  kept: boolean;
}

const VEHICLES = 3;
const TICKETS = 6;
const GUARD = { sharePercent: 60, minCount: 2 };

const nightArbitrary = fc.record({
  lookups: fc.array(fc.constantFrom<LookupStatus>('ok', 'ok', 'ok', 'failed', 'not_found'), {
    minLength: VEHICLES,
    maxLength: VEHICLES,
  }),
  tickets: fc.array(
    fc.option(
      fc.record({
        vehicle: fc.integer({ min: 0, max: VEHICLES - 1 }),
        amount: fc.constantFrom(1000, 2000, 4000),
        status: fc.constantFrom<AuthorityStatus>('unpaid', 'unpaid', 'paid', 'cancelled', 'under_objection'),
      }),
      { freq: 2 },
    ),
    { minLength: TICKETS, maxLength: TICKETS },
  ),
});

const stateOf = (status: AuthorityStatus): ModelViolation['state'] =>
  status === 'paid' ? 'settled' : status === 'cancelled' ? 'cancelled' : 'outstanding';

/** The specification, written plainly. */
function modelNight(known: Map<number, ModelViolation>, night: Night): Map<number, ModelChange> {
  const tonight = new Map<number, Seen>();
  night.tickets.forEach((seen, ticket) => {
    if (seen && night.lookups[seen.vehicle] === 'ok') tonight.set(ticket, seen);
  });
  const changes = new Map<number, ModelChange>();
  for (let ticket = 0; ticket < TICKETS; ticket++) {
    const t = tonight.get(ticket);
    const p = known.get(ticket);
    if (!t && p?.state !== 'outstanding') continue;
    let change: string;
    if (!t) change = night.lookups[p!.vehicle] === 'ok' ? 'settled' : 'stale';
    else if (!p) change = 'new';
    else if (t.vehicle !== p.vehicle) change = 'moved';
    else if (t.status === 'cancelled' && p.state !== 'cancelled') change = 'cancelled';
    else if (t.status === 'paid' && p.state === 'outstanding') change = 'settled';
    else if ((t.status === 'unpaid' || t.status === 'under_objection') && p.state !== 'outstanding')
      change = 'reappeared';
    else if (t.amount > p.amount) change = 'escalated';
    else if (t.amount < p.amount) change = 'reduced';
    else change = 'unchanged';
    changes.set(ticket, {
      change,
      held: false,
      vehicle: t ? t.vehicle : p!.vehicle,
      amount: t ? t.amount : p!.amount,
      kept: change !== 'unchanged' || p!.suspect || t!.status !== p!.status,
    });
  }
  const outstanding = [...known.values()].filter((v) => v.state === 'outstanding').length;
  const fresh = [...changes.entries()].filter(
    ([ticket, c]) => !tonight.has(ticket) && c.change === 'settled' && !known.get(ticket)!.suspect,
  );
  const hold = fresh.length >= GUARD.minCount && fresh.length * 100 >= GUARD.sharePercent * outstanding;
  for (const [ticket, c] of changes) {
    const t = tonight.get(ticket);
    const p = known.get(ticket);
    if (c.change === 'stale') continue;
    if (t) {
      const next = { vehicle: t.vehicle, state: stateOf(t.status), amount: t.amount, status: t.status };
      const moved =
        !p ||
        p.vehicle !== next.vehicle ||
        p.state !== next.state ||
        p.amount !== next.amount ||
        p.status !== next.status;
      known.set(ticket, { ...next, suspect: false, version: (p?.version ?? 0) + (moved ? 1 : 0) });
    } else if (hold && !p!.suspect) {
      c.held = true;
      p!.suspect = true;
    } else {
      known.set(ticket, { ...p!, state: 'settled', suspect: false, version: p!.version + 1 });
    }
  }
  return changes;
}

async function reconcileNight(accountId: bigint, vehicleIds: bigint[], night: Night, counted: boolean) {
  const answered = night.tickets.flatMap((seen, ticket) =>
    seen && night.lookups[seen.vehicle] === 'ok' ? [{ seen, ticket }] : [],
  );
  const open = answered.filter(({ seen }) => seen.status === 'unpaid' || seen.status === 'under_objection');
  const sum = (rows: typeof answered) => rows.reduce((total, { seen }) => total + BigInt(seen.amount), 0n);
  const runId = await withTenant(test.db, accountId, async (trx) => {
    const run = await trx
      .insertInto('runs')
      // Its counters as the lookup batches leave them: every lookup landed, the failed ones
      // counted, and the stored answers added up (or, as after a folded ticket, not).
      .values({
        account_id: accountId,
        kind: 'manual',
        status: 'reconciling',
        lookups_total: vehicleIds.length,
        lookups_done: vehicleIds.length,
        lookups_failed: night.lookups.filter((status) => status === 'failed').length,
        answers_counted: counted,
        answers_stored: counted ? answered.length : 0,
        answers_minor: counted ? sum(answered) : 0n,
        answers_outstanding: counted ? open.length : 0,
        answers_outstanding_minor: counted ? sum(open) : 0n,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('lookups')
      .values(
        vehicleIds.map((vehicleId, i) => ({
          account_id: accountId,
          run_id: run.id,
          vehicle_id: vehicleId,
          plate_key: `P${i}`,
          vehicle_active_from: new Date('2020-01-01T00:00:00Z'),
          batch_no: 0,
          status: night.lookups[i]!,
        })),
      )
      .execute();
    if (answered.length > 0) {
      await trx
        .insertInto('lookup_violations')
        .values(
          answered.map(({ seen, ticket }) => ({
            account_id: accountId,
            run_id: run.id,
            vehicle_id: vehicleIds[seen.vehicle]!,
            ticket_number: `T${ticket}`,
            offence_at: new Date('2026-01-01T10:00:00+03:00'),
            type_code: 'SPD',
            description_ar: 'سرعة',
            description_en: 'Speeding',
            location: 'Amman',
            amount_minor: BigInt(seen.amount),
            currency: 'JOD',
            authority_status: seen.status,
            authority_payment_ref: null,
          })),
        )
        .execute();
    }
    return run.id;
  });
  const summary = await reconcileRun(
    test.db,
    jobs.queue,
    { accountId, runId },
    { batchSize: 100, guard: GUARD },
  );
  return { runId, summary: summary! };
}

describe('reconciliation', () => {
  it('agrees with the reference model over random histories', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(nightArbitrary, { minLength: 1, maxLength: 6 }), async (nights) => {
        const account = await makeAccount(test.db, 'JO');
        const vehicleIds = await makeVehicles(
          test.db,
          account.id,
          Array.from({ length: VEHICLES }, (_, i) => `JO:${account.id}-${i}`),
        );
        const known = new Map<number, ModelViolation>();
        for (const [index, night] of nights.entries()) {
          const expected = modelNight(known, night);
          // Alternate nights reconcile from the batches' answer totals and from the answers themselves.
          const { runId, summary } = await reconcileNight(account.id, vehicleIds, night, index % 2 === 0);
          const [changes, violations, versions, run] = await withTenant(
            test.db,
            account.id,
            async (trx) =>
              [
                await trx
                  .selectFrom('run_changes')
                  .select(['ticket_number', 'change', 'held', 'vehicle_id'])
                  .where('run_id', '=', runId)
                  .execute(),
                await trx
                  .selectFrom('violations')
                  .select([
                    'ticket_number',
                    'state',
                    'amount_minor',
                    'vehicle_id',
                    'suspect_since_run',
                    'version',
                  ])
                  .execute(),
                await trx
                  .selectFrom('violation_versions')
                  .select(['ticket_number', 'version', 'state', 'amount_minor'])
                  .orderBy('ticket_number')
                  .orderBy('version')
                  .execute(),
                await trx
                  .selectFrom('runs')
                  .select(['status'])
                  .where('id', '=', runId)
                  .executeTakeFirstOrThrow(),
              ] as const,
          );
          expect(run.status).toBe(night.lookups.includes('failed') ? 'partial' : 'done');
          const actualChanges = Object.fromEntries(
            changes.map((c) => [
              c.ticket_number,
              { change: c.change, held: c.held, vehicle: vehicleIds.indexOf(c.vehicle_id) },
            ]),
          );
          // Unchanged lines are counted, not stored, unless they clear a suspicion.
          const expectedChanges = Object.fromEntries(
            [...expected]
              .filter(([, c]) => c.kept)
              .map(([t, c]) => [`T${t}`, { change: c.change, held: c.held, vehicle: c.vehicle }]),
          );
          expect(actualChanges).toEqual(expectedChanges);
          // The run's totals per change count every violation concluded about, unchanged included,
          // and add up their amounts.
          const counted = Object.fromEntries(
            summary.changes.map((c) => [c.change, [c.violations, c.held, c.amountMinor]]),
          );
          const expectedCounts: Record<string, [number, number, bigint]> = {};
          for (const c of expected.values()) {
            const [n, held, amount] = expectedCounts[c.change] ?? [0, 0, 0n];
            expectedCounts[c.change] = [n + 1, held + (c.held ? 1 : 0), amount + BigInt(c.amount)];
          }
          expect(counted).toEqual(expectedCounts);
          const actualState = Object.fromEntries(
            violations.map((v) => [
              v.ticket_number,
              {
                vehicle: vehicleIds.indexOf(v.vehicle_id),
                state: v.state,
                amount: Number(v.amount_minor),
                suspect: v.suspect_since_run !== null,
                version: v.version,
              },
            ]),
          );
          const expectedState = Object.fromEntries(
            [...known].map(([t, v]) => [
              `T${t}`,
              {
                vehicle: v.vehicle,
                state: v.state,
                amount: v.amount,
                suspect: v.suspect,
                version: v.version,
              },
            ]),
          );
          expect(actualState).toEqual(expectedState);
          // Versions 1…n, the last one the current state.
          for (const v of violations) {
            const history = versions.filter((h) => h.ticket_number === v.ticket_number);
            expect(history.map((h) => h.version)).toEqual(Array.from({ length: v.version }, (_, i) => i + 1));
            expect(history.at(-1)).toMatchObject({ state: v.state, amount_minor: v.amount_minor });
          }
          const outstanding = [...known.values()].filter((v) => v.state === 'outstanding');
          expect(summary.outstanding).toEqual({
            violations: outstanding.length,
            amountMinor: BigInt(outstanding.reduce((sum, v) => sum + v.amount, 0)),
          });
        }
      }),
      { seed: 20261121, numRuns: 150 },
    );
  }, 120_000);
});
