/**
 * A selection is staged inline when small and in session tables when big: both come out the same.
 * Two accounts with the same fleet and fines get their nightly numbers (per vehicle and
 * consolidated) one by each path, over two nights with escalated, settled and new fines between
 * them, and every number and line (what it covers, its state, its due amounts) must agree, as must
 * what the authority is asked for (each set's tickets and amounts, in order).
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { AuthorityIssuer } from '../../server/authority/issuance-client.ts';
import type { JurisdictionCode } from '../../server/jurisdictions/profiles.ts';
import { issueNumbers } from '../../server/payments/payment-numbers.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { instantIssuer } from '../support/issuers.ts';

const test = useTestDatabase();

async function fleetWithFines(code: JurisdictionCode) {
  const account = await makeAccount(test.db, code);
  const vehicles = await makeVehicles(
    test.db,
    account.id,
    Array.from({ length: 6 }, (_, i) => `${code}:${i}-PATH`),
  );
  await sql`
    insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                            description_en, location, amount_minor, currency, authority_status, version,
                            first_seen_run, last_changed_run)
    select ${account.id}, 'P' || i, (${vehicles}::bigint[])[1 + i % 6], 'outstanding',
           timestamptz '2026-11-20T10:00:00Z' - make_interval(days => i * 3), 'SPD', 'سرعة', 'Speeding', 'X',
           10000 + i * 1250, c.currency, 'unpaid', 1, 1, 1
    from generate_series(0, 20) i, (select currency from accounts where id = ${account.id}) c`.execute(
    test.ownerDb,
  );
  // A fine at the same time on the same vehicle as P6, written after it: the ticket number orders them.
  await sql`
    insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                            description_en, location, amount_minor, currency, authority_status, version,
                            first_seen_run, last_changed_run)
    select account_id, 'P06', vehicle_id, state, offence_at, type_code, description_ar, description_en, location,
           4321, currency, authority_status, version, first_seen_run, last_changed_run
    from violations where account_id = ${account.id} and ticket_number = 'P6'`.execute(test.ownerDb);
  return account.id;
}

/** What the account's numbers and lines say, without what differs by construction (ids, numbers, vehicles' ids). */
async function numbersOf(accountId: bigint) {
  const { rows } = await sql`
    select p.kind, p.issuer, p.state, p.line_hash, p.line_count, p.total_minor, p.total_after_deadline_minor,
           p.next_deadline_at, p.expires_at, p.selection ->> 'scope' as scope,
           (select json_agg(json_build_object('ticket', l.ticket_number, 'amount', l.amount_minor::text,
                                              'after', l.amount_after_deadline_minor::text, 'at', l.next_deadline_at,
                                              'state', l.state) order by l.ticket_number)
            from payment_number_lines l where l.account_id = p.account_id and l.payment_number_id = p.id) as lines
    from payment_numbers p where p.account_id = ${accountId}
    order by p.kind, p.state, p.line_hash`.execute(test.ownerDb);
  return rows;
}

describe('staging inline and in tables', { timeout: 120_000 }, () => {
  for (const code of ['JO', 'EG'] as JurisdictionCode[]) {
    it(`issue the same numbers over two nights in ${code}`, async () => {
      const accounts = [await fleetWithFines(code), await fleetWithFines(code)];
      // Each path's requests to the authority: kind and tickets (the keys name the account).
      const asked = accounts.map(() => [] as string[]);
      const ticketLists: string[][] = [];
      const issuers = accounts.map((_, i): AuthorityIssuer => {
        const issuer = instantIssuer();
        return {
          issue(jurisdiction, items) {
            for (const item of items) ticketLists.push(item.tickets.map((t) => t.ticketNumber));
            for (const item of items)
              asked[i]!.push(
                `${item.kind} ${item.tickets.map((t) => `${t.ticketNumber}:${t.amountMinor}`).join(',')}`,
              );
            return issuer.issue(jurisdiction, items);
          },
        };
      });
      const night = (now: Date) =>
        Promise.all(
          accounts.map((accountId, i) =>
            issueNumbers(test.db, issuers[i]!, {
              accountId,
              kinds: ['vehicle', 'consolidated'],
              selection: { scope: 'account' },
              now,
              inlineLines: i === 0 ? undefined : 0,
            }),
          ),
        );
      const [inline, tables] = await night(new Date('2026-11-21T00:00:00Z'));
      expect(inline!.map((o) => o?.issued)).toEqual([6, 1]);
      expect(tables!.map((o) => o?.issued)).toEqual([6, 1]);

      // The next night: one fine escalated, one settled, one new, one moved to another vehicle.
      for (const accountId of accounts) {
        await sql`
          update violations set amount_minor = amount_minor * 2 where account_id = ${accountId} and ticket_number = 'P1'`.execute(
          test.ownerDb,
        );
        await sql`
          update violations set state = 'settled' where account_id = ${accountId} and ticket_number = 'P2'`.execute(
          test.ownerDb,
        );
        await sql`
          update violations set vehicle_id = (select vehicle_id from violations
                                              where account_id = ${accountId} and ticket_number = 'P4')
          where account_id = ${accountId} and ticket_number = 'P3'`.execute(test.ownerDb);
        await sql`
          insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                                  description_en, location, amount_minor, currency, authority_status, version,
                                  first_seen_run, last_changed_run)
          select account_id, 'P99', vehicle_id, 'outstanding', timestamptz '2026-11-22T08:00:00Z', type_code,
                 description_ar, description_en, location, 7777, currency, 'unpaid', 1, 2, 2
          from violations where account_id = ${accountId} and ticket_number = 'P5'`.execute(test.ownerDb);
      }
      const [inline2, tables2] = await night(new Date('2026-11-23T00:00:00Z'));
      expect(inline2!.map((o) => [o?.issued, o?.open])).toEqual(tables2!.map((o) => [o?.issued, o?.open]));
      expect(inline2![0]!.issued).toBeGreaterThan(0);

      const [a, b] = [await numbersOf(accounts[0]!), await numbersOf(accounts[1]!)];
      expect(a.length).toBeGreaterThan(8);
      expect(a).toEqual(b);
      expect(asked[0]!.length).toBeGreaterThan(8);
      expect(asked[0]!.sort()).toEqual(asked[1]!.sort());
      expect(a.filter((n) => (n as { state: string }).state === 'superseded').length).toBeGreaterThan(0);

      // Every set's tickets went oldest first, the same offence time ordered by ticket number.
      const { rows } = await sql<{ ticket_number: string }>`
        select ticket_number from violations where account_id = ${accounts[0]!}
        order by offence_at, ticket_number collate "C"`.execute(test.ownerDb);
      const rank = new Map(rows.map((r, j) => [r.ticket_number, j]));
      expect(ticketLists.some((list) => list.includes('P06'))).toBe(true);
      for (const list of ticketLists)
        expect(list).toEqual([...list].sort((x, y) => rank.get(x)! - rank.get(y)!));
    });

    it(`issue the same per-violation numbers for chosen tickets in ${code}, once`, async () => {
      const accounts = [await fleetWithFines(code), await fleetWithFines(code)];
      const chosen = ['P3', 'P7', 'P06', 'P12', 'NOT-A-TICKET'];
      const ask = (i: number) =>
        issueNumbers(test.db, instantIssuer(), {
          accountId: accounts[i]!,
          kinds: ['violation'],
          selection: { scope: 'tickets', ticketNumbers: chosen },
          now: new Date('2026-11-21T00:00:00Z'),
          inlineLines: i === 0 ? undefined : 0,
        });
      const [inline, tables] = [await ask(0), await ask(1)];
      expect(inline![0]!.issued).toBe(4);
      expect(tables![0]!.issued).toBe(4);
      const [a, b] = [await numbersOf(accounts[0]!), await numbersOf(accounts[1]!)];
      expect(a).toEqual(b);
      // One line each, its ticket's amount.
      const { rows } = await sql<{
        ticket_number: string;
        amount_minor: string;
        total_minor: string;
        lines: number;
      }>`
        select min(l.ticket_number) as ticket_number, min(l.amount_minor)::text as amount_minor,
               min(p.total_minor)::text as total_minor, count(*)::int as lines
        from payment_numbers p join payment_number_lines l on l.account_id = p.account_id and l.payment_number_id = p.id
        where p.account_id = ${accounts[0]!} and p.kind = 'violation'
        group by p.id order by 1`.execute(test.ownerDb);
      expect(rows.map((r) => r.ticket_number)).toEqual(['P06', 'P12', 'P3', 'P7']);
      for (const r of rows) {
        expect(r.lines).toBe(1);
        expect(r.total_minor).toBe(r.amount_minor);
      }
      // Asked again: the same open numbers, nothing new.
      const again = [await ask(0), await ask(1)];
      expect(again.map((o) => [o![0]!.issued, o![0]!.open])).toEqual([
        [0, 4],
        [0, 4],
      ]);
    });
  }
});
