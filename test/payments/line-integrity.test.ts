import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../../server/db/tenant.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';

/**
 * A payment number's lines are tied to it as a foreign key would tie them, checked once per
 * statement (sql/0091): a line names a number of its own account, keeps it, and a number with
 * lines cannot go away. A number is tied to its account the same way (sql/0120).
 */
const test = useTestDatabase();

async function numberWithLine(accountId: bigint, vehicleId: bigint, number: string) {
  const { rows } = await sql<{ id: bigint }>`
    with n as (
      insert into payment_numbers (account_id, number, kind, issuer, selection, line_hash, line_count, total_minor,
                                   total_after_deadline_minor, currency, issued_at, expires_at)
      values (${accountId}, ${number}, 'violation', 'authority', '{}'::jsonb, repeat('b', 64), 1, 500, 500, 'JOD',
              now(), now() + interval '1 day')
      returning id
    ), l as (
      insert into payment_number_lines (account_id, payment_number_id, ticket_number, vehicle_id, offence_at,
                                        amount_minor, amount_after_deadline_minor)
      select ${accountId}, n.id, 'T-' || ${number}, ${vehicleId}, now(), 500, 500 from n
    )
    select id from n`.execute(test.ownerDb);
  return rows[0]!.id;
}

const line = (accountId: bigint, numberId: bigint, vehicleId: bigint, ticket: string) => sql`
  insert into payment_number_lines (account_id, payment_number_id, ticket_number, vehicle_id, offence_at,
                                    amount_minor, amount_after_deadline_minor)
  values (${accountId}, ${numberId}, ${ticket}, ${vehicleId}, now(), 100, 100)`;

describe('payment number lines and their numbers', () => {
  it('refuse a line naming no number of its account, a line moved to another number, a number deleted from under its lines', async () => {
    const jo = await makeAccount(test.db, 'JO');
    const other = await makeAccount(test.db, 'JO');
    const [vehicle] = await makeVehicles(test.db, jo.id, ['JO:31-1001']);
    const [otherVehicle] = await makeVehicles(test.db, other.id, ['JO:31-2001']);
    const mine = await numberWithLine(jo.id, vehicle!, '10000000000000000001');
    const theirs = await numberWithLine(other.id, otherVehicle!, '10000000000000000002');

    // Written with its number in one statement, a line passes; one naming nothing does not.
    await withTenant(test.db, jo.id, (trx) => line(jo.id, mine, vehicle!, 'T-EXTRA').execute(trx));
    await expect(
      withTenant(test.db, jo.id, (trx) => line(jo.id, mine + 1_000n, vehicle!, 'T-NONE').execute(trx)),
    ).rejects.toMatchObject({ code: '23503' });
    // Another account's number is no number of this account's.
    await expect(line(jo.id, theirs, vehicle!, 'T-THEIRS').execute(test.ownerDb)).rejects.toMatchObject({
      code: '23503',
    });
    // A statement with one bad line among good ones writes none of them.
    await expect(
      sql`insert into payment_number_lines (account_id, payment_number_id, ticket_number, vehicle_id, offence_at,
                                            amount_minor, amount_after_deadline_minor)
          values (${jo.id}, ${mine}, 'T-GOOD', ${vehicle!}, now(), 100, 100),
                 (${jo.id}, ${mine + 1_000n}, 'T-BAD', ${vehicle!}, now(), 100, 100)`.execute(test.ownerDb),
    ).rejects.toMatchObject({ code: '23503' });

    await expect(
      sql`update payment_number_lines set payment_number_id = ${theirs} where payment_number_id = ${mine}`.execute(
        test.ownerDb,
      ),
    ).rejects.toMatchObject({ code: '23503' });
    await expect(
      sql`update payment_numbers set account_id = ${other.id} where id = ${mine}`.execute(test.ownerDb),
    ).rejects.toMatchObject({ code: '23503' });
    await expect(
      sql`delete from payment_numbers where id = ${mine}`.execute(test.ownerDb),
    ).rejects.toMatchObject({
      code: '23503',
    });
    // State updates, as paying and confirming make them, pass.
    await withTenant(test.db, jo.id, (trx) =>
      sql`update payment_number_lines set state = 'paid_pending', paid_minor = amount_minor
          where account_id = ${jo.id} and payment_number_id = ${mine}`.execute(trx),
    );
    const { rows } = await sql<{ lines: number }>`
      select count(*)::int as lines from payment_number_lines where payment_number_id = ${mine}`.execute(
      test.ownerDb,
    );
    expect(rows[0]!.lines).toBe(2);
  });

  it('refuse a number naming no account, and an account deleted from under its numbers', async () => {
    const jo = await makeAccount(test.db, 'JO');
    const [vehicle] = await makeVehicles(test.db, jo.id, ['JO:31-3001']);
    await expect(numberWithLine(jo.id + 1_000_000n, vehicle!, '10000000000000000003')).rejects.toMatchObject({
      code: '23503',
    });
    await numberWithLine(jo.id, vehicle!, '10000000000000000004');
    await expect(sql`delete from accounts where id = ${jo.id}`.execute(test.ownerDb)).rejects.toMatchObject({
      code: '23503',
    });
  });
});
