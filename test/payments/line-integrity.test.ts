import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../../server/db/tenant.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';

/**
 * A payment number's lines are tied to it as a foreign key would tie them, checked once per
 * statement (sql/0091): a line names a number of its own account, keeps it, and a number with
 * lines cannot go away. A number is tied to its account the same way (sql/0120), and so is a
 * payment (sql/0150).
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

  it('refuse a payment naming no account, a payment moved to another account, an account deleted from under its payments', async () => {
    // Accounts with nothing else tied to them, so deleting one meets only its payments.
    let registered = 0;
    const bare = async () => {
      registered += 1;
      const { rows } = await sql<{ id: bigint }>`
        insert into accounts (kind, legal_name_ar, legal_name_en, registry_number, jurisdiction, currency, time_zone)
        values ('company', 'شركة', 'Company', ${`BARE-${registered}`}, 'JO', 'JOD', 'Asia/Amman') returning id`.execute(
        test.ownerDb,
      );
      return rows[0]!;
    };
    const jo = await bare();
    const other = await bare();
    await sql`delete from accounts where id = ${other.id}`.execute(test.ownerDb);
    const payment = (accountId: bigint, transactionId: string) => sql`
      insert into payments (account_id, network, transaction_id, source, reference, amount_minor, currency, paid_at,
                            outcome)
      values (${accountId}, 'generic', ${transactionId}, 'notification', 'X', 500, 'JOD', now(), 'unknown_number')`;
    await expect(payment(jo.id + 1_000_000n, 'P-NONE').execute(test.ownerDb)).rejects.toMatchObject({
      code: '23503',
      message: 'a payment names no account',
    });
    await withTenant(test.db, jo.id, (trx) => payment(jo.id, 'P-1').execute(trx));
    await expect(
      sql`update payments set account_id = ${(await bare()).id} where account_id = ${jo.id}`.execute(
        test.ownerDb,
      ),
    ).rejects.toMatchObject({ code: '23503', message: 'a payment keeps its account' });
    await expect(sql`delete from accounts where id = ${jo.id}`.execute(test.ownerDb)).rejects.toMatchObject({
      code: '23503',
      message: 'an account with payments cannot be deleted',
    });
  });

  it("refuse a number or a set's hash of the wrong shape", async () => {
    const jo = await makeAccount(test.db, 'JO');
    const number = (value: string, hash: string) => sql`
      insert into payment_numbers (account_id, number, kind, issuer, selection, line_hash, line_count, total_minor,
                                   total_after_deadline_minor, currency, issued_at, expires_at)
      values (${jo.id}, ${value}, 'violation', 'authority', '{}'::jsonb, ${hash}, 1, 500, 500, 'JOD',
              now(), now() + interval '1 day')`;
    for (const [value, hash] of [
      ['123456789', 'b'.repeat(64)],
      ['1'.repeat(25), 'b'.repeat(64)],
      ['12345678901234567890a', 'b'.repeat(64)],
      ['12345678901234567890', 'b'.repeat(63)],
      ['12345678901234567890', 'B'.repeat(64)],
      ['12345678901234567890', `${'b'.repeat(63)}\n`],
    ])
      await expect(number(value!, hash!).execute(test.ownerDb)).rejects.toMatchObject({ code: '23514' });
    await number('1'.repeat(10), 'b'.repeat(64)).execute(test.ownerDb);
    await number('2'.repeat(24), `${'0123456789abcdef'.repeat(4)}`).execute(test.ownerDb);
  });
});
