/**
 * An authority that answers a number the account already has, for another set, is at fault:
 * recording refuses it with `payments.authority_number_reused` and records nothing of the request,
 * on both staging paths, instead of leaving the set without a number in silence.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { AuthorityIssuer } from '../../server/authority/issuance-client.ts';
import { composePaymentNumber } from '../../server/payments/payment-number.ts';
import { issueNumbers } from '../../server/payments/payment-numbers.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { instantIssuer } from '../support/issuers.ts';

const test = useTestDatabase();
const now = new Date('2026-11-20T20:00:00Z');

/** A Jordanian account of three vehicles with two outstanding fines each. */
async function fleet() {
  const account = await makeAccount(test.db, 'JO');
  const vehicles = await makeVehicles(
    test.db,
    account.id,
    [0, 1, 2].map((i) => `JO:${i}-RE${account.id}`),
  );
  await sql`
    insert into violations (account_id, ticket_number, vehicle_id, state, offence_at, type_code, description_ar,
                            description_en, location, amount_minor, currency, authority_status, version,
                            first_seen_run, last_changed_run)
    select ${account.id}, 'RE' || ${account.id}::text || '-' || i, (${vehicles}::bigint[])[1 + i % 3], 'outstanding',
           ${now}::timestamptz - make_interval(days => i), 'SPD', 'سرعة', 'Speeding', 'X', 10000 + i, 'JOD', 'unpaid', 1, 1, 1
    from generate_series(0, 5) i`.execute(test.ownerDb);
  return account.id;
}

/** Answers the same number for every set. */
const oneNumberForAll: AuthorityIssuer = {
  async issue(_jurisdiction, items) {
    const number = composePaymentNumber('vehicle', '1', 7n);
    return new Map(
      items.map((item) => [
        item.key,
        {
          status: 'issued' as const,
          number,
          amountMinor: item.tickets.reduce((s, t) => s + t.amountMinor, 0n),
          expiresAt: new Date('2099-01-01T00:00:00Z'),
        },
      ]),
    );
  },
};

const numbersOf = async (accountId: bigint) =>
  (
    await sql<{ number: string; state: string }>`
      select number, state from payment_numbers where account_id = ${accountId} order by id`.execute(
      test.ownerDb,
    )
  ).rows;

describe('an authority answering a number the account already has', () => {
  for (const [path, inlineLines] of [
    ['inline', undefined],
    ['in tables', 0],
  ] as const) {
    it(`is refused and records nothing (staged ${path})`, async () => {
      const accountId = await fleet();
      const request = {
        accountId,
        kinds: ['vehicle'] as const,
        selection: { scope: 'account' } as const,
        now,
        inlineLines,
      };
      await expect(issueNumbers(test.db, oneNumberForAll, request)).rejects.toMatchObject({
        code: 'payments.authority_number_reused',
        status: 502,
      });
      expect(await numbersOf(accountId)).toEqual([]);

      // A number recorded before, answered again for a changed set: the old number stays open.
      const [first] = await issueNumbers(test.db, instantIssuer(), request);
      expect(first).toMatchObject({ issued: 3, open: 3 });
      const before = await numbersOf(accountId);
      await sql`update violations set amount_minor = amount_minor + 1
                where account_id = ${accountId} and ticket_number = ${`RE${accountId}-0`}`.execute(
        test.ownerDb,
      );
      const reusing: AuthorityIssuer = {
        async issue(jurisdiction, items) {
          const answers = await oneNumberForAll.issue(jurisdiction, items);
          for (const answer of answers.values())
            if (answer.status === 'issued') answer.number = before[1]!.number;
          return answers;
        },
      };
      await expect(issueNumbers(test.db, reusing, request)).rejects.toMatchObject({
        code: 'payments.authority_number_reused',
      });
      const after = await numbersOf(accountId);
      // The refresh that saw the changed fine committed before the authority was asked; recording changed nothing.
      expect(after.map((n) => n.number)).toEqual(before.map((n) => n.number));
      expect(after.filter((n) => n.state === 'open')).toHaveLength(2);
    });
  }
});
