/**
 * Every kind of number for every kind of selection, inline and in tables: the open numbers cover
 * exactly the selection's outstanding tickets (one number per ticket, per vehicle, or one for all),
 * each number's lines add up to its total, and asking again by the other path finds the same numbers.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { PaymentNumberKind } from '../../server/payments/payment-number.ts';
import type { Selection } from '../../server/payments/payment-numbers.repo.ts';
import { issueNumbers } from '../../server/payments/payment-numbers.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { instantIssuer } from '../support/issuers.ts';

const test = useTestDatabase();

async function fleet() {
  const account = await makeAccount(test.db, 'JO');
  const vehicles = await makeVehicles(
    test.db,
    account.id,
    Array.from({ length: 4 }, (_, i) => `JO:${i}-SCOPE`),
  );
  await sql`update vehicles set cost_centre = 'CC-A' where account_id = ${account.id} and id = any(${vehicles.slice(0, 2)}::bigint[])`.execute(
    test.ownerDb,
  );
  // Ten fines over the four vehicles; S9 is settled, so nothing asks for it.
  await sql`
    insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                            description_en, location, amount_minor, currency, authority_status, version,
                            first_seen_run, last_changed_run)
    select ${account.id}, 'S' || i, (${vehicles}::bigint[])[1 + i % 4], case when i = 9 then 'settled' else 'outstanding' end,
           timestamptz '2026-11-20T10:00:00Z' - make_interval(days => i), 'SPD', 'سرعة', 'Speeding', 'X',
           5000 + i * 1000, 'JOD', 'unpaid', 1, 1, 1
    from generate_series(0, 9) i`.execute(test.ownerDb);
  return { accountId: account.id, vehicles };
}

/** The outstanding tickets a selection covers, and their vehicles. */
async function selected(accountId: bigint, selection: Selection) {
  const { rows } = await sql<{ ticket_number: string; vehicle_id: string }>`
    select v.ticket_number, v.vehicle_id::text from violations v
    join vehicles ve on ve.account_id = v.account_id and ve.id = v.vehicle_id
    where v.account_id = ${accountId} and v.state = 'outstanding'
      and (${selection.scope} = 'account'
           or (${selection.scope} = 'vehicles' and v.vehicle_id::text = any(${selection.scope === 'vehicles' ? selection.vehicleIds : []}::text[]))
           or (${selection.scope} = 'tickets' and v.ticket_number = any(${selection.scope === 'tickets' ? selection.ticketNumbers : []}::text[]))
           or (${selection.scope} = 'cost_centre' and ve.cost_centre = ${selection.scope === 'cost_centre' ? selection.costCentre : ''}))
    order by 1`.execute(test.ownerDb);
  return rows;
}

describe('every kind of number for every kind of selection', { timeout: 120_000 }, () => {
  it('covers exactly the selection, adds up, and is found again by the other path', async () => {
    const { accountId, vehicles } = await fleet();
    const selections: Selection[] = [
      { scope: 'account' },
      { scope: 'vehicles', vehicleIds: [vehicles[1]!.toString(), vehicles[2]!.toString()] },
      { scope: 'tickets', ticketNumbers: ['S1', 'S4', 'S9', 'S7'] },
      { scope: 'cost_centre', costCentre: 'CC-A' },
    ];
    const kinds: PaymentNumberKind[] = ['violation', 'vehicle', 'consolidated'];
    const now = new Date('2026-11-21T00:00:00Z');
    const issuer = instantIssuer();
    for (const selection of selections) {
      const lines = await selected(accountId, selection);
      for (const kind of kinds) {
        const label = `${kind} for ${selection.scope}`;
        const ask = (inlineLines: number | undefined) =>
          issueNumbers(test.db, issuer, { accountId, kinds: [kind], selection, now, inlineLines });
        const [inline] = await ask(undefined);
        const expected =
          kind === 'violation'
            ? lines.length
            : kind === 'vehicle'
              ? new Set(lines.map((l) => l.vehicle_id)).size
              : 1;
        expect(inline!.open, label).toBe(expected);
        // Each open number's lines add up to its total; together they are the selection's tickets.
        const ids = inline!.numbers.map((n) => n.id);
        const { rows } = await sql<{ id: string; total: string; sum: string; tickets: string[] }>`
          select p.id::text, p.total_minor::text as total, sum(l.amount_minor)::text as sum,
                 array_agg(l.ticket_number order by l.ticket_number) as tickets
          from payment_numbers p join payment_number_lines l on l.account_id = p.account_id and l.payment_number_id = p.id
          where p.account_id = ${accountId} and p.id = any(${ids}::bigint[]) and p.kind = ${kind}
          group by p.id, p.total_minor`.execute(test.ownerDb);
        expect(rows, label).toHaveLength(expected);
        for (const r of rows) expect(r.sum, label).toBe(r.total);
        expect(rows.flatMap((r) => r.tickets).sort(), label).toEqual(
          lines.map((l) => l.ticket_number).sort(),
        );
        // The staged path finds the same open numbers and issues none.
        const [staged] = await ask(0);
        expect([staged!.issued, staged!.numbers.map((n) => n.id).sort()], label).toEqual([
          0,
          [...ids].sort(),
        ]);
      }
    }
  });
});
