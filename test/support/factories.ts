import { randomBytes } from 'node:crypto';
import { insertMembership, insertUser } from '../../server/accounts/accounts.repo.ts';
import { openAccount } from '../../server/accounts/accounts.service.ts';
import { type Role, roles } from '../../server/accounts/permissions.ts';
import { hashPassword } from '../../server/auth/secrets.ts';
import type { AuthorityViolation } from '../../server/authority/contract.ts';
import type { Database } from '../../server/db/database.ts';
import { asOperator, withTenant } from '../../server/db/tenant.ts';
import type { JurisdictionCode } from '../../server/jurisdictions/profiles.ts';

export const TEST_PASSWORD = 'correct horse battery staple';
let passwordHash: Promise<string> | undefined;

export interface AccountFixture {
  id: bigint;
  jurisdiction: JurisdictionCode;
  /** One member per role, all with TEST_PASSWORD. */
  users: Record<Role, { id: bigint; email: string }>;
}

/** An account with one active user per role; emails are unique per call. */
export async function makeAccount(
  db: Database,
  jurisdiction: JurisdictionCode = 'JO',
): Promise<AccountFixture> {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  const hash = await passwordHash;
  const tag = randomBytes(4).toString('hex');
  return asOperator(db, async (trx) => {
    const users = {} as AccountFixture['users'];
    for (const role of roles) {
      const email = `${role}.${tag}@example.test`;
      const user = await insertUser(trx, {
        email,
        display_name: `${role} ${tag}`,
        password_hash: hash,
        status: 'active',
      });
      users[role] = { id: user!.id, email };
    }
    const account = await openAccount(
      trx,
      {
        kind: 'company',
        legalNameAr: `شركة ${tag}`,
        legalNameEn: `Company ${tag}`,
        registryNumber: `REG-${tag}`,
        jurisdiction,
      },
      null,
    );
    const id = BigInt(account.id);
    for (const role of roles) await insertMembership(trx, id, users[role].id, role);
    return { id, jurisdiction, users };
  });
}

export async function makeOperator(db: Database): Promise<{ id: bigint; email: string }> {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  const email = `operator.${randomBytes(4).toString('hex')}@example.test`;
  const user = await asOperator(db, (trx) =>
    insertUser(trx, {
      email,
      display_name: 'operator',
      password_hash: null,
      status: 'active',
      is_operator: true,
    }),
  );
  await db
    .updateTable('users')
    .set({ password_hash: await passwordHash })
    .where('id', '=', user!.id)
    .execute();
  return { id: user!.id, email };
}

/** Active vehicles with the given plate keys (bulk insert); answers their ids in order. */
export async function makeVehicles(
  db: Database,
  accountId: bigint,
  plateKeys: string[],
  activeFrom = new Date('2020-01-01T00:00:00Z'),
): Promise<bigint[]> {
  return withTenant(db, accountId, async (trx) => {
    const ids: bigint[] = [];
    for (let i = 0; i < plateKeys.length; i += 1000) {
      const rows = await trx
        .insertInto('vehicles')
        .values(
          plateKeys.slice(i, i + 1000).map((key) => ({
            account_id: accountId,
            plate_key: key,
            plate: JSON.stringify({ key }),
            plate_display: key,
            active_from: activeFrom,
          })),
        )
        .returning('id')
        .execute();
      ids.push(...rows.map((r) => r.id));
    }
    return ids;
  });
}

/** A fine as the authority answers it: an unpaid JOD 20 speeding ticket in Amman unless `over` says otherwise. */
export const authorityFine = (
  ticketNumber: string,
  over: Partial<AuthorityViolation> = {},
): AuthorityViolation => ({
  ticketNumber,
  offenceAt: '2026-04-01T08:00:00+03:00',
  typeCode: 'SPD',
  descriptionAr: 'تجاوز السرعة',
  descriptionEn: 'Speeding',
  location: 'Amman',
  amountMinor: 20_000n,
  currency: 'JOD',
  status: 'unpaid',
  authorityPaymentRef: null,
  ...over,
});
