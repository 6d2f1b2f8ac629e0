import { findUserIdByEmail, insertUser } from '../accounts/accounts.repo.ts';
import { addMember, createAccount } from '../accounts/accounts.service.ts';
import type { Role } from '../accounts/permissions.ts';
import { hashPassword } from '../auth/secrets.ts';
import type { Database } from '../db/database.ts';
import { asOperator } from '../db/tenant.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';

/** Demo data only: created on the embedded quick start (or with DEMO=true), never otherwise. */
export const DEMO_PASSWORD = 'demo-password-2026';
export const DEMO_OPERATOR = 'operator@demo.fleet';

const demoAccounts: Array<{
  jurisdiction: JurisdictionCode;
  legalNameEn: string;
  legalNameAr: string;
  kind: 'company' | 'cooperative' | 'free_zone_firm';
}> = [
  {
    jurisdiction: 'JO',
    legalNameEn: 'Petra Logistics Co.',
    legalNameAr: 'شركة البتراء للخدمات اللوجستية',
    kind: 'company',
  },
  {
    jurisdiction: 'IQ',
    legalNameEn: 'Tigris Transport Cooperative',
    legalNameAr: 'جمعية دجلة التعاونية للنقل',
    kind: 'cooperative',
  },
  {
    jurisdiction: 'EG',
    legalNameEn: 'Nile Free Zone Trading',
    legalNameAr: 'النيل للتجارة - منطقة حرة',
    kind: 'free_zone_firm',
  },
];

const demoRoles: Array<{ role: Role; local: string; name: string }> = [
  { role: 'owner', local: 'owner', name: 'Owner' },
  { role: 'fleet_admin', local: 'fleet', name: 'Fleet admin' },
  { role: 'accountant', local: 'accountant', name: 'Accountant' },
];

export function demoEmail(local: string, jurisdiction: JurisdictionCode): string {
  return `${local}.${jurisdiction.toLowerCase()}@demo.fleet`;
}

export interface DemoOutcome {
  created: boolean;
  users: Array<{ email: string; role: string; account: string }>;
}

/** Every demo user with their role and account, as the sign-in page and the start-up log name them. */
export function demoUsers(): DemoOutcome['users'] {
  const users: DemoOutcome['users'] = [{ email: DEMO_OPERATOR, role: 'operator', account: '(all)' }];
  for (const account of demoAccounts) {
    for (const r of demoRoles)
      users.push({
        email: demoEmail(r.local, account.jurisdiction),
        role: r.role,
        account: account.legalNameEn,
      });
  }
  return users;
}

/** Creates the demo operator and one account per jurisdiction with an owner, a fleet admin and an accountant. */
export async function seedDemo(db: Database): Promise<DemoOutcome> {
  const users = demoUsers();
  const created = await asOperator(db, async (trx) => {
    if (await findUserIdByEmail(trx, DEMO_OPERATOR)) return false;
    const passwordHash = await hashPassword(DEMO_PASSWORD);
    const operator = await insertUser(trx, {
      email: DEMO_OPERATOR,
      display_name: 'Platform operator',
      password_hash: passwordHash,
      status: 'active',
      is_operator: true,
    });
    for (const account of demoAccounts) {
      for (const r of demoRoles) {
        await insertUser(trx, {
          email: demoEmail(r.local, account.jurisdiction),
          display_name: `${r.name} (${account.jurisdiction})`,
          password_hash: passwordHash,
          status: 'active',
        });
      }
      const { account: row } = await createAccount(
        trx,
        {
          ...account,
          registryNumber: `DEMO-${account.jurisdiction}-0001`,
          owner: { email: demoEmail('owner', account.jurisdiction) },
        },
        operator?.id ?? null,
        true,
      );
      for (const r of demoRoles.filter((d) => d.role !== 'owner')) {
        await addMember(
          trx,
          BigInt(row.id),
          { email: demoEmail(r.local, account.jurisdiction), role: r.role },
          operator?.id ?? null,
        );
      }
    }
    return true;
  });
  return { created, users };
}
