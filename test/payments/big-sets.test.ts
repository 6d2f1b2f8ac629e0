/**
 * Sets bigger than one authority number may cover (MAX_TICKETS_PER_NUMBER), against the real
 * simulator: such a set is never sent, the product numbers it as its own payment order, and the
 * other sets are still issued by the authority, in calls cut to the gateway's limits. Both
 * staging paths (inline and in tables) are exercised.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthoritySimulator, startAuthoritySimulator } from '../../fixtures/authority/simulator.ts';
import { MAX_TICKETS_PER_NUMBER } from '../../server/authority/contract.ts';
import { createIssuanceClient } from '../../server/authority/issuance-client.ts';
import { readPaymentNumber } from '../../server/payments/payment-number.ts';
import { issueNumbers } from '../../server/payments/payment-numbers.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';

const test = useTestDatabase();
let sim: AuthoritySimulator;
beforeAll(async () => {
  sim = await startAuthoritySimulator({
    seed: 'big-sets',
    world: { startDate: '2026-11-20', notFoundRate: 0 },
  });
});
afterAll(async () => {
  await sim?.close();
});
const now = new Date('2026-11-20T20:00:00Z');

/** A Jordanian account whose vehicles have these many outstanding fines, each also a ticket of the simulator's world. */
async function fleet(ticketsPerVehicle: number[]) {
  const account = await makeAccount(test.db, 'JO');
  const plates = ticketsPerVehicle.map((_, i) => `JO:${i}-BIG${account.id}`);
  const vehicles = await makeVehicles(test.db, account.id, plates);
  const rows = ticketsPerVehicle.flatMap((count, i) =>
    Array.from({ length: count }, () => ({
      vehicle: vehicles[i]!,
      ...sim.world.addTicket({ jurisdiction: 'JO', plateKey: plates[i]! }),
    })),
  );
  await sql`
    insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                            description_en, location, amount_minor, currency, authority_status, version,
                            first_seen_run, last_changed_run)
    select ${account.id}, t.ticket, t.vehicle, 'outstanding', t.offence_at, 'SPD', 'سرعة', 'Speeding', 'X',
           t.amount, 'JOD', 'unpaid', 1, 1, 1
    from unnest(${rows.map((r) => r.ticketNumber)}::text[], ${rows.map((r) => r.vehicle)}::bigint[],
                ${rows.map((r) => r.offenceAt)}::timestamptz[], ${rows.map((r) => r.amountMinor)}::bigint[])
         as t(ticket, vehicle, offence_at, amount)`.execute(test.ownerDb);
  return account.id;
}

async function numbersOf(accountId: bigint) {
  const { rows } = await sql<{ kind: string; issuer: string; number: string; line_count: number }>`
    select kind, issuer, number, line_count from payment_numbers
    where account_id = ${accountId} and state = 'open' order by kind, line_count`.execute(test.ownerDb);
  return rows;
}

describe('sets bigger than one authority number', { timeout: 180_000 }, () => {
  for (const [path, inlineLines] of [
    ['inline', 10_000],
    ['in tables', 0],
  ] as const) {
    it(`staged ${path}: the consolidated set gets the product's reference, every vehicle the authority's number`, async () => {
      const accountId = await fleet([1800, 1700, 1600]);
      const calls = sim.stats.issuanceCalls;
      const issuer = createIssuanceClient({ baseUrl: sim.url, maxAttempts: 1 });
      const [vehicles, consolidated] = await issueNumbers(test.db, issuer, {
        accountId,
        kinds: ['vehicle', 'consolidated'],
        selection: { scope: 'account' },
        now,
        inlineLines,
      });
      expect(vehicles).toMatchObject({ issued: 3, open: 3, refused: [] });
      expect(consolidated).toMatchObject({ issued: 1, open: 1, refused: [] });
      const numbers = await numbersOf(accountId);
      expect(numbers.map((n) => [n.kind, n.issuer, Number(n.line_count)])).toEqual([
        ['consolidated', 'product', 5100],
        ['vehicle', 'authority', 1600],
        ['vehicle', 'authority', 1700],
        ['vehicle', 'authority', 1800],
      ]);
      const own = readPaymentNumber(numbers[0]!.number);
      expect(own.ok && own.kind === 'consolidated' && own.issuer === 'product').toBe(true);
      // The three vehicle sets (5,100 tickets) take two calls; the consolidated set none.
      expect(sim.stats.issuanceCalls - calls).toBe(2);
    });
  }

  it('a vehicle with more fines than one number covers gets the product’s reference too', async () => {
    const accountId = await fleet([MAX_TICKETS_PER_NUMBER + 1, 2]);
    const calls = sim.stats.issuanceCalls;
    const [vehicles] = await issueNumbers(
      test.db,
      createIssuanceClient({ baseUrl: sim.url, maxAttempts: 1 }),
      {
        accountId,
        kinds: ['vehicle'],
        selection: { scope: 'account' },
        now,
      },
    );
    expect(vehicles).toMatchObject({ issued: 2, open: 2, refused: [] });
    expect((await numbersOf(accountId)).map((n) => [n.issuer, Number(n.line_count)])).toEqual([
      ['authority', 2],
      ['product', MAX_TICKETS_PER_NUMBER + 1],
    ]);
    expect(sim.stats.issuanceCalls - calls).toBe(1);
  });
});
