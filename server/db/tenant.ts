import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from './database.ts';
import type { DB } from './schema.ts';

export type Tx = Transaction<DB>;
/** Anything queries run on: the pool or a transaction. */
export type Executor = Kysely<DB>;

/** The role the application connects as: it owns nothing and cannot bypass row-level security. */
export const APP_ROLE = 'fleet_app';

/** The owner's connection URL, switched to the application role for every connection of a pool. */
export function appRoleUrl(ownerUrl: string): string {
  const url = new URL(ownerUrl);
  url.searchParams.set('options', `-c role=${APP_ROLE}`);
  return url.toString();
}

/** Refuses to run the application as a role that could see past row-level security. */
export async function assertWalledRole(db: Database): Promise<void> {
  const { rows } = await sql<{ role: string; superuser: boolean; bypass: boolean; owned: number }>`
    select current_user as role, r.rolsuper as superuser, r.rolbypassrls as bypass,
           (select count(*)::int from pg_class c where c.relowner = r.oid and c.relkind = 'r'
              and c.relnamespace = 'public'::regnamespace) as owned
    from pg_roles r where r.rolname = current_user`.execute(db);
  const me = rows[0];
  if (!me || me.superuser || me.bypass || me.owned > 0) {
    throw new Error(
      `the application connects as "${me?.role}", which can bypass row-level security (superuser, BYPASSRLS or table owner); it must be ${APP_ROLE}`,
    );
  }
}

/**
 * Runs `work` in a transaction scoped to one tenant: row-level security shows and accepts only
 * that account's rows. The setting is transaction-local, so a pooled connection never carries it over.
 */
export function withTenant<T>(
  db: Database,
  accountId: bigint,
  work: (trx: Tx) => Promise<T>,
  options: { commit?: 'durable' | 'asynchronous' } = {},
): Promise<T> {
  // An asynchronous commit returns before its WAL reaches the disk: only for work whose loss in a
  // database crash is made good by something durable that follows (the caller says what). Otherwise
  // the server's own setting stands (it may ask for more, e.g. a replica's confirmation).
  const asynchronous = options.commit === 'asynchronous';
  return db.transaction().execute(async (trx) => {
    await (asynchronous
      ? sql`select set_config('app.account_id', ${accountId.toString()}, true),
                   set_config('synchronous_commit', 'off', true)`
      : sql`select set_config('app.account_id', ${accountId.toString()}, true)`
    ).execute(trx);
    return work(trx);
  });
}

/** A transaction that sees one user's own memberships (and their accounts) across tenants. */
export function withUser<T>(db: Database, userId: bigint, work: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('app.user_id', ${userId.toString()}, true)`.execute(trx);
    return work(trx);
  });
}

/** A transaction for the platform operator, who creates accounts and sees them all. */
export function asOperator<T>(db: Database, work: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('app.operator', 'on', true)`.execute(trx);
    return work(trx);
  });
}

/**
 * Walls an open transaction to one tenant as well: a person's transaction (withUser) that goes on
 * to write in one account, e.g. accepting their invitation to it.
 */
export async function enterTenant(trx: Tx, accountId: bigint): Promise<void> {
  await sql`select set_config('app.account_id', ${accountId.toString()}, true)`.execute(trx);
}
