import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  findAccount,
  findUserIdByEmail,
  insertMembership,
  insertUser,
  listAccounts,
} from '../accounts/accounts.repo.ts';
import { openAccount } from '../accounts/accounts.service.ts';
import type { Role } from '../accounts/permissions.ts';
import { addDemoRecipients } from '../alerts/alerts.service.ts';
import { hashPassword } from '../auth/secrets.ts';
import type { Database } from '../db/database.ts';
import { asOperator, type Tx, withTenant } from '../db/tenant.ts';
import { applyUpload, createUpload } from '../fleet/fleet.service.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import type { JobQueue } from '../queue.ts';
import { findRun, listRuns } from '../runs/runs.repo.ts';
import { type RunSettings, startRun } from '../runs/runs.service.ts';

const FLEET_FIXTURES = path.join(import.meta.dirname, '../../fixtures/fleets');

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

/** Whether this database holds the demo users, whose password is published. */
export async function demoUsersPresent(db: Database): Promise<boolean> {
  return (await findUserIdByEmail(db, DEMO_OPERATOR)) !== undefined;
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
  const opened: Array<{ id: bigint; jurisdiction: JurisdictionCode }> = [];
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
      const row = await openAccount(
        trx,
        { ...account, registryNumber: `DEMO-${account.jurisdiction}-0001` },
        operator?.id ?? null,
        true,
      );
      // Seeded people are members from the start: they exist only in this demo database.
      for (const r of demoRoles) {
        const user = await insertUser(trx, {
          email: demoEmail(r.local, account.jurisdiction),
          display_name: `${r.name} (${account.jurisdiction})`,
          password_hash: passwordHash,
          status: 'active',
        });
        if (user) await insertMembership(trx, BigInt(row.id), user.id, r.role);
      }
      opened.push({ id: BigInt(row.id), jurisdiction: account.jurisdiction });
    }
    return true;
  });
  for (const account of opened) {
    await withTenant(db, account.id, (trx) => addDemoRecipients(trx, account.id, account.jurisdiction));
  }
  return { created, users };
}

const FINISHED = ['done', 'partial', 'failed'];

export interface DemoHistoryDeps {
  db: Database;
  queue: JobQueue;
  runs: RunSettings;
  /** The built-in authority simulator's clock, moved forward only. */
  authorityClock: { setDate(date: string): void };
  /** How long to wait for one night's runs (the worker in this process runs them). */
  timeoutMs?: number;
}

/** Demo accounts that have never run: the ones whose first minute still needs a history. */
export async function demoAccountsWithoutHistory(db: Database): Promise<bigint[]> {
  const accounts = await asOperator(db, (trx) => listAccounts(trx));
  const out: bigint[] = [];
  for (const a of accounts.filter((x) => x.registry_number.startsWith('DEMO-'))) {
    const runs = await withTenant(db, a.id, (trx) => listRuns(trx, a.id, { limit: 1 }));
    if (runs.length === 0) out.push(a.id);
  }
  return out;
}

/**
 * Gives each demo account a fleet (the jurisdiction's clean sample file, through the real upload
 * and apply) and that night's scheduled run for each night in `nights` (YYYY-MM-DD, oldest
 * first), each run by the real pipeline against the simulator with its clock set to that night —
 * so the first sign-in shows changes, escalation deadlines and money, not inserted rows.
 */
export async function seedDemoHistory(deps: DemoHistoryDeps, accountIds: bigint[], nights: string[]) {
  const { db } = deps;
  const actor = { userId: null, tokenId: null, ip: null };
  for (const accountId of accountIds) {
    const tenant = <T>(work: (trx: Tx) => Promise<T>) => withTenant(db, accountId, work);
    const account = await tenant((trx) => findAccount(trx, accountId));
    if (!account) continue;
    const fileName = `${account.jurisdiction.toLowerCase()}-clean.xlsx`;
    const bytes = await fs.readFile(path.join(FLEET_FIXTURES, fileName));
    const { report } = await createUpload(
      tenant,
      accountId,
      actor,
      {
        fileName,
        bytes,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        fields: { mode: 'replace' },
      },
      'replace',
    );
    await tenant((trx) => applyUpload(trx, accountId, BigInt(report.id), actor, { skipInvalidRows: false }));
  }
  for (const night of nights) {
    deps.authorityClock.setDate(night);
    // Each is that night's scheduled run: the authority answers as of that night.
    const started = [];
    for (const accountId of accountIds) {
      const run = await withTenant(db, accountId, (trx) =>
        startRun(
          trx,
          deps.queue,
          { accountId, kind: 'scheduled', localNight: night, requestedBy: null },
          deps.runs,
        ),
      );
      if (run) started.push({ accountId, runId: run.id });
    }
    const deadline = Date.now() + (deps.timeoutMs ?? 120_000);
    for (const { accountId, runId } of started) {
      for (;;) {
        const run = await withTenant(db, accountId, (trx) => findRun(trx, accountId, runId));
        if (run && FINISHED.includes(run.status as string)) break;
        if (Date.now() > deadline)
          throw new Error(`demo run ${runId} of account ${accountId} did not finish`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}
