/**
 * Issuing works each line's due amounts out in SQL; this holds it to the rule as `lineDue` states
 * it (local deadline days, DST included; integer escalation rounded down), for random fines in
 * each jurisdiction, and each number's totals and expiry to its lines.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { type JurisdictionCode, jurisdictions } from '../../server/jurisdictions/profiles.ts';
import { lineDue, maxValidityEnd } from '../../server/payments/due.ts';
import { issuePaymentNumbers } from '../../server/payments/payment-numbers.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { instantIssuer } from '../support/issuers.ts';

const test = useTestDatabase();

const fine = fc.record({
  // Up to 90 days before the issue: deadlines both ahead and behind.
  minutesBefore: fc.integer({ min: 0, max: 90 * 1440 }),
  amountMinor: fc.bigInt({ min: 1n, max: 10_000_000n }),
  vehicle: fc.integer({ min: 0, max: 3 }),
});

// Small selections are staged inline, big ones in session tables: both are held to the rule.
const paths = [
  { name: 'staged inline', inlineLines: undefined },
  { name: 'staged in tables', inlineLines: 0 },
];

describe.each(paths)('due amounts worked out in SQL, $name', { timeout: 120_000 }, ({ inlineLines }) => {
  for (const code of ['JO', 'IQ', 'EG'] as JurisdictionCode[]) {
    it(`match lineDue for ${code}, and every number's totals and expiry match its lines`, async () => {
      const profile = jurisdictions[code];
      const account = await makeAccount(test.db, code);
      const vehicles = await makeVehicles(
        test.db,
        account.id,
        [0, 1, 2, 3].map((i) => `${code}:${i}-DUE`),
      );
      // Issued on a random day over years with and without daylight saving in Amman, Baghdad and Cairo.
      const now = fc.sample(
        fc.date({ min: new Date('2008-03-01'), max: new Date('2027-01-01'), noInvalidDate: true }),
        {
          numRuns: 1,
          seed: 7,
        },
      )[0]!;
      const samples = fc
        .sample(fc.array(fine, { minLength: 60, maxLength: 60 }), { numRuns: 1, seed: 19 })[0]!
        .map((f) => ({ ...f, offenceAt: new Date(now.getTime() - f.minutesBefore * 60_000) }));
      await sql`
        insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                                description_en, location, amount_minor, currency, authority_status, version,
                                first_seen_run, last_changed_run)
        select ${account.id}, t.ticket, t.vehicle, 'outstanding', t.offence_at, 'SPD', 'سرعة', 'Speeding', 'X', t.amount,
               ${profile.currency}, 'unpaid', 1, 1, 1
        from unnest(${samples.map((_, i) => `D${i}`)}::text[], ${samples.map((s) => vehicles[s.vehicle]!)}::bigint[],
                    ${samples.map((s) => s.offenceAt)}::timestamptz[], ${samples.map((s) => s.amountMinor)}::bigint[])
          as t(ticket, vehicle, offence_at, amount)`.execute(test.ownerDb);
      const outcome = await issuePaymentNumbers(test.db, instantIssuer(), {
        accountId: account.id,
        kind: 'vehicle',
        selection: { scope: 'account' },
        now,
        inlineLines,
      });
      expect(outcome.issued).toBe(new Set(samples.map((s) => s.vehicle)).size);
      const ahead = samples.filter((s) => lineDue(profile, s.offenceAt, s.amountMinor, now).nextDeadlineAt);
      expect(ahead.length).toBeGreaterThan(0);
      expect(ahead.length).toBeLessThan(samples.length);
      const { rows: lines } = await sql<{
        ticket_number: string;
        payment_number_id: bigint;
        amount_after_deadline_minor: bigint;
        next_deadline_at: Date | null;
      }>`select ticket_number, payment_number_id, amount_after_deadline_minor, next_deadline_at
         from payment_number_lines where account_id = ${account.id}`.execute(test.ownerDb);
      expect(lines).toHaveLength(samples.length);
      const dues = new Map<bigint, ReturnType<typeof lineDue>[]>();
      for (const line of lines) {
        const s = samples[Number(line.ticket_number.slice(1))]!;
        const due = lineDue(profile, s.offenceAt, s.amountMinor, now);
        expect({
          ticket: line.ticket_number,
          after: line.amount_after_deadline_minor,
          at: line.next_deadline_at,
        }).toEqual({
          ticket: line.ticket_number,
          after: due.amountAfterDeadlineMinor,
          at: due.nextDeadlineAt,
        });
        dues.set(line.payment_number_id, [...(dues.get(line.payment_number_id) ?? []), due]);
      }
      for (const n of outcome.numbers) {
        const own = dues.get(n.id)!;
        expect(n.total_after_deadline_minor).toBe(own.reduce((s, d) => s + d.amountAfterDeadlineMinor, 0n));
        const deadlines = own.flatMap((d) => (d.nextDeadlineAt ? [d.nextDeadlineAt.getTime()] : []));
        const next = deadlines.length > 0 ? Math.min(...deadlines) : null;
        expect(n.next_deadline_at?.getTime() ?? null).toBe(next);
        const validUntil = maxValidityEnd(profile, now).getTime();
        expect(n.expires_at.getTime()).toBe(next !== null && next < validUntil ? next : validUntil);
      }
    });
  }

  // Issued around the nights clocks changed (Cairo's midnight turned back to 23:00 and put forward
  // to 01:00, Amman's 01:00 turned back to midnight, which so came twice), inside the changed hour
  // or the day before, for fines every 20 minutes across the days whose deadline is that night.
  for (const [code, now, from] of [
    ['EG', '2023-10-26T21:30:00Z', '2023-08-25T00:00:00Z'],
    ['EG', '2024-04-25T22:30:00Z', '2024-02-23T00:00:00Z'],
    ['EG', '2024-04-25T12:00:00Z', '2024-02-23T00:00:00Z'],
    ['JO', '2021-10-28T21:30:00Z', '2021-09-27T00:00:00Z'],
    ['JO', '2021-10-28T12:00:00Z', '2021-09-27T00:00:00Z'],
  ] as const) {
    it(`match lineDue for ${code} issued at ${now}, a daylight-saving change`, async () => {
      const profile = jurisdictions[code];
      const account = await makeAccount(test.db, code);
      const [vehicle] = await makeVehicles(test.db, account.id, [`${code}:1-DST`]);
      const offences = Array.from({ length: 4 * 72 }, (_, i) => new Date(Date.parse(from) + i * 20 * 60_000));
      await sql`
        insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                                description_en, location, amount_minor, currency, authority_status, version,
                                first_seen_run, last_changed_run)
        select ${account.id}, 'S' || t.i, ${vehicle!}, 'outstanding', t.offence_at, 'SPD', 'سرعة', 'Speeding', 'X', 1001,
               ${profile.currency}, 'unpaid', 1, 1, 1
        from unnest(${offences}::timestamptz[]) with ordinality as t(offence_at, i)`.execute(test.ownerDb);
      await issuePaymentNumbers(test.db, instantIssuer(), {
        accountId: account.id,
        kind: 'vehicle',
        selection: { scope: 'account' },
        now: new Date(now),
        inlineLines,
      });
      const { rows: lines } = await sql<{ offence_at: Date; after: bigint; at: Date | null }>`
        select offence_at, amount_after_deadline_minor as after, next_deadline_at as at
        from payment_number_lines where account_id = ${account.id} order by offence_at`.execute(test.ownerDb);
      expect(lines).toHaveLength(offences.length);
      const due = lines.map((l) => lineDue(profile, l.offence_at, 1001n, new Date(now)));
      expect(due.some((d) => d.nextDeadlineAt) && due.some((d) => !d.nextDeadlineAt)).toBe(true);
      expect(lines.map((l) => ({ after: l.after, at: l.at }))).toEqual(
        due.map((d) => ({ after: d.amountAfterDeadlineMinor, at: d.nextDeadlineAt })),
      );
    });
  }
});
