import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from './database.ts';
import { APP_ROLE, QUEUE_ROLE } from './logins.ts';
import type { DB } from './schema.ts';

export type Tx = Transaction<DB>;
/** Anything queries run on: the pool or a transaction. */
export type Executor = Kysely<DB>;

/** What the start-up check learns about a connection's login, from the catalogue. */
export interface LoginFacts {
  session_role: string;
  current_role: string;
  superuser: boolean;
  bypass_rls: boolean;
  create_role: boolean;
  replication: boolean;
  owns_database: boolean;
  /** Roles the login belongs to, directly or not: any of them is one `SET ROLE` away. */
  member_of: string[];
  /** Schemas in which the login owns tables, views or sequences (temporary ones aside). */
  owns_in: string[];
  /** Schemas in which the login may create tables. */
  creates_in: string[];
  /** Tenant tables (schema public) the login has any right on. */
  tenant_tables: string[];
  /** pg-boss tables the login may change other rows of, or insert into without row-level security. */
  open_queue_tables: string[];
}

export type LoginKind = 'app' | 'queue';

/**
 * Why a connection may not serve as `kind`, or nothing. The application's login must own nothing
 * and be unable to bypass row-level security or become any other role; it may only enqueue into
 * pg-boss under its tenant policy. The queue's login may own and create in pg-boss's schema only,
 * and touch no tenant table.
 */
export function loginProblems(facts: LoginFacts, kind: LoginKind): string[] {
  const ownSchemas = kind === 'queue' ? ['pgboss'] : [];
  const problems: string[] = [];
  if (facts.session_role !== facts.current_role) {
    problems.push(`it logged in as "${facts.session_role}" and switched to "${facts.current_role}"`);
  }
  if (facts.superuser) problems.push('it is a superuser');
  if (facts.bypass_rls) problems.push('it has BYPASSRLS');
  if (facts.create_role) problems.push('it has CREATEROLE');
  if (facts.replication) problems.push('it has REPLICATION');
  if (facts.owns_database) problems.push('it owns the database');
  if (facts.member_of.length > 0) problems.push(`it can SET ROLE to ${facts.member_of.join(', ')}`);
  const owns = facts.owns_in.filter((s) => !ownSchemas.includes(s));
  if (owns.length > 0) problems.push(`it owns tables in ${owns.join(', ')}`);
  const creates = facts.creates_in.filter((s) => !ownSchemas.includes(s));
  if (creates.length > 0) problems.push(`it may create tables in ${creates.join(', ')}`);
  if (kind === 'queue' && facts.tenant_tables.length > 0) {
    problems.push(`it has rights on tenant tables (${facts.tenant_tables.slice(0, 5).join(', ')})`);
  }
  if (kind === 'app' && facts.open_queue_tables.length > 0) {
    problems.push(`it may change or insert jobs of every tenant in ${facts.open_queue_tables.join(', ')}`);
  }
  return problems;
}

/**
 * Refuses to run on a connection whose login could see past row-level security: checked on the
 * session's own role, since a login that may `SET ROLE` elsewhere (or `RESET ROLE` back to an owner)
 * is walled only as long as nothing asks it to switch.
 */
export async function assertWalledLogin(db: Database, kind: LoginKind): Promise<void> {
  const { rows } = await sql<LoginFacts>`
    with me as (select * from pg_roles where rolname = session_user),
         schemas as (
           select oid, nspname from pg_namespace
           where nspname !~ '^pg_' and nspname <> 'information_schema')
    select session_user::text as session_role, current_user::text as current_role,
      me.rolsuper as superuser, me.rolbypassrls as bypass_rls, me.rolcreaterole as create_role,
      me.rolreplication as replication,
      (select d.datdba = me.oid from pg_database d where d.datname = current_database()) as owns_database,
      array(select m.rolname::text from pg_roles m
            where m.oid <> me.oid and pg_has_role(me.oid, m.oid, 'member') order by 1) as member_of,
      array(select distinct s.nspname::text from pg_class c join schemas s on s.oid = c.relnamespace
            where c.relowner = me.oid order by 1) as owns_in,
      array(select s.nspname::text from schemas s
            where has_schema_privilege(me.oid, s.oid, 'CREATE') order by 1) as creates_in,
      array(select c.relname::text from pg_class c
            where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
              and has_table_privilege(me.oid, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE') order by 1) as tenant_tables,
      array(select c.relname::text from pg_class c join schemas s on s.oid = c.relnamespace
            where s.nspname = 'pgboss' and c.relkind in ('r', 'p')
              and (has_table_privilege(me.oid, c.oid, 'UPDATE, DELETE, TRUNCATE')
                   or (has_table_privilege(me.oid, c.oid, 'INSERT') and not c.relrowsecurity)) order by 1) as open_queue_tables
    from me`.execute(db);
  const facts = rows[0];
  const problems = facts ? loginProblems(facts, kind) : ['its role is not in pg_roles'];
  if (problems.length > 0) {
    const who = facts ? `"${facts.session_role}"` : 'an unknown role';
    const expected = kind === 'app' ? APP_ROLE : QUEUE_ROLE;
    throw new Error(
      `the ${kind === 'app' ? 'application' : 'job queue'}'s database login ${who} could get past row-level security: ` +
        `${problems.join('; ')}. It must log in as its own role ${expected} (see "The tenant wall" in the README)`,
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
