import { sql } from 'kysely';
import type { Executor } from '../db/tenant.ts';
import type { Role } from './permissions.ts';

export const accountColumns = [
  'id',
  'kind',
  'legal_name_ar',
  'legal_name_en',
  'registry_number',
  'jurisdiction',
  'currency',
  'time_zone',
  'nightly_run_time',
  'status',
  'created_at',
  'updated_at',
] as const;

export async function findMembershipRole(
  trx: Executor,
  accountId: bigint,
  userId: bigint,
): Promise<Role | undefined> {
  const row = await trx
    .selectFrom('memberships as m')
    .innerJoin('accounts as a', 'a.id', 'm.account_id')
    .select('m.role')
    .where('m.account_id', '=', accountId)
    .where('m.user_id', '=', userId)
    .where('a.status', '!=', 'closed')
    .executeTakeFirst();
  return row?.role as Role | undefined;
}

export function findAccount(trx: Executor, accountId: bigint) {
  return trx.selectFrom('accounts').select(accountColumns).where('id', '=', accountId).executeTakeFirst();
}

export function listAccounts(trx: Executor) {
  return trx.selectFrom('accounts').select(accountColumns).orderBy('id').execute();
}

export function insertAccount(
  trx: Executor,
  account: {
    kind: string;
    legal_name_ar: string;
    legal_name_en: string;
    registry_number: string;
    jurisdiction: string;
    currency: string;
    time_zone: string;
    nightly_run_time: string;
    is_demo?: boolean;
  },
) {
  return trx
    .insertInto('accounts')
    .values(account)
    .onConflict((oc) => oc.columns(['jurisdiction', 'registry_number']).doNothing())
    .returning(accountColumns)
    .executeTakeFirst();
}

export function updateAccount(
  trx: Executor,
  accountId: bigint,
  patch: Partial<{
    legal_name_ar: string;
    legal_name_en: string;
    nightly_run_time: string;
    time_zone: string;
  }>,
) {
  return trx
    .updateTable('accounts')
    .set({ ...patch, updated_at: sql`now()` })
    .where('id', '=', accountId)
    .returning(accountColumns)
    .executeTakeFirstOrThrow();
}

export function findUserIdByEmail(trx: Executor, email: string) {
  return trx.selectFrom('users').select(['id', 'status']).where('email', '=', email).executeTakeFirst();
}

export function insertUser(
  trx: Executor,
  user: {
    email: string;
    display_name: string;
    password_hash: string | null;
    status: 'invited' | 'active';
    is_operator?: boolean;
    invited_to_account_id?: bigint;
  },
) {
  return trx
    .insertInto('users')
    .values(user)
    .onConflict((oc) => oc.column('email').doNothing())
    .returning(['id', 'status'])
    .executeTakeFirst();
}

/**
 * Locks a person's row (shared) and reads what decides whether an invitation may set their
 * password; a concurrent acceptance waits for the add, or the add sees its outcome.
 */
export function lockUserByEmail(trx: Executor, email: string) {
  return trx
    .selectFrom('users')
    .select(['id', 'status', 'invited_to_account_id'])
    .select(sql<boolean>`password_hash is null`.as('no_password'))
    .where('email', '=', email)
    .forShare()
    .executeTakeFirst();
}

/**
 * Sets the first password of a person still invited with none, in the same statement that checks
 * it; answers false when they already have one (or are not invited).
 */
export async function setFirstPassword(
  trx: Executor,
  userId: bigint,
  passwordHash: string,
  displayName: string | undefined,
): Promise<boolean> {
  const result = await trx
    .updateTable('users')
    .set({
      password_hash: passwordHash,
      status: 'active',
      ...(displayName ? { display_name: displayName } : {}),
    })
    .where('id', '=', userId)
    .where('status', '=', 'invited')
    .where('password_hash', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export function listMembers(trx: Executor, accountId: bigint) {
  return trx
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', 'u.display_name', 'u.status', 'm.role', 'm.created_at'])
    .where('m.account_id', '=', accountId)
    .orderBy('u.id')
    .execute();
}

/** Adds a membership; undefined when the user already belongs to the account. */
export function insertMembership(trx: Executor, accountId: bigint, userId: bigint, role: Role) {
  return trx
    .insertInto('memberships')
    .values({ account_id: accountId, user_id: userId, role })
    .onConflict((oc) => oc.columns(['account_id', 'user_id']).doNothing())
    .returning(['user_id', 'role'])
    .executeTakeFirst();
}

/** Locks the account's owner memberships so two owners cannot demote each other at once. */
export async function countOwnersForUpdate(trx: Executor, accountId: bigint): Promise<number> {
  const rows = await trx
    .selectFrom('memberships')
    .select('user_id')
    .where('account_id', '=', accountId)
    .where('role', '=', 'owner')
    .forUpdate()
    .execute();
  return rows.length;
}

export function updateMembershipRole(trx: Executor, accountId: bigint, userId: bigint, role: Role) {
  return trx
    .updateTable('memberships')
    .set({ role, updated_at: sql`now()` })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .returning(['user_id', 'role'])
    .executeTakeFirst();
}

export function deleteMembership(trx: Executor, accountId: bigint, userId: bigint) {
  return trx
    .deleteFrom('memberships')
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .returning('user_id')
    .executeTakeFirst();
}

/** Inserts a pending invitation; undefined when the person already has one pending here. */
export function insertInvitation(
  trx: Executor,
  invitation: {
    accountId: bigint;
    userId: bigint;
    role: Role;
    tokenHash: string;
    invitedBy: bigint | null;
    expiresAt: Date;
    setsPassword: boolean;
  },
) {
  return trx
    .insertInto('invitations')
    .values({
      account_id: invitation.accountId,
      user_id: invitation.userId,
      role: invitation.role,
      token_hash: invitation.tokenHash,
      invited_by: invitation.invitedBy,
      expires_at: invitation.expiresAt,
      sets_password: invitation.setsPassword,
    })
    .onConflict((oc) => oc.columns(['account_id', 'user_id']).where('status', '=', 'pending').doNothing())
    .returning(['id', 'expires_at'])
    .executeTakeFirst();
}

/** Closes a person's pending invitations to this account that have run out, so a new one can be sent. */
export async function expireInvitations(trx: Executor, accountId: bigint, userId: bigint): Promise<void> {
  await trx
    .updateTable('invitations')
    .set({ status: 'expired', decided_at: sql`now()` })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('status', '=', 'pending')
    .where('expires_at', '<=', sql<Date>`now()`)
    .execute();
}

export async function findInvitation(trx: Executor, tokenHash: string) {
  const { rows } = await sql<{
    account_id: bigint;
    id: bigint;
    user_id: bigint;
    role: string;
    expires_at: Date;
    status: string;
    sets_password: boolean;
  }>`select * from find_invitation(${tokenHash})`.execute(trx);
  return rows[0];
}

/**
 * The invitee accepts or declines a pending, unexpired invitation of theirs; answers its account
 * and role, or undefined when there is no such invitation.
 */
export function decideInvitation(
  trx: Executor,
  invitationId: bigint,
  userId: bigint,
  decision: 'accepted' | 'declined',
) {
  return trx
    .updateTable('invitations')
    .set({ status: decision, decided_at: sql`now()` })
    .where('id', '=', invitationId)
    .where('user_id', '=', userId)
    .where('status', '=', 'pending')
    .where('expires_at', '>', sql<Date>`now()`)
    .returning(['account_id', 'role'])
    .executeTakeFirst();
}

/** Ends a person's other pending invitations: they were made before anyone proved who holds the email. */
export async function supersedeInvitations(trx: Executor, userId: bigint, keptId: bigint): Promise<number> {
  const result = await trx
    .updateTable('invitations')
    .set({ status: 'superseded', decided_at: sql`now()` })
    .where('user_id', '=', userId)
    .where('status', '=', 'pending')
    .where('id', '!=', keptId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Pending invitations of an account, for its owners (never whether the person has a password). */
export function listAccountInvitations(trx: Executor, accountId: bigint) {
  return trx
    .selectFrom('invitations as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .select(['i.id', 'u.email', 'i.role', 'i.invited_by', 'i.created_at', 'i.expires_at'])
    .where('i.account_id', '=', accountId)
    .where('i.status', '=', 'pending')
    .where('i.expires_at', '>', sql<Date>`now()`)
    .orderBy('i.id')
    .execute();
}

export function revokeInvitation(trx: Executor, accountId: bigint, invitationId: bigint) {
  return trx
    .updateTable('invitations')
    .set({ status: 'revoked', decided_at: sql`now()` })
    .where('account_id', '=', accountId)
    .where('id', '=', invitationId)
    .where('status', '=', 'pending')
    .returning(['id', 'user_id'])
    .executeTakeFirst();
}

/** A person's pending invitations with the accounts that sent them; needs a withUser transaction. */
export function listUserInvitations(trx: Executor, userId: bigint) {
  return trx
    .selectFrom('invitations as i')
    .innerJoin('accounts as a', 'a.id', 'i.account_id')
    .select([
      'i.id',
      'i.account_id',
      'a.legal_name_en',
      'a.legal_name_ar',
      'a.jurisdiction',
      'i.role',
      'i.created_at',
      'i.expires_at',
    ])
    .where('i.user_id', '=', userId)
    .where('i.status', '=', 'pending')
    .where('i.expires_at', '>', sql<Date>`now()`)
    .where('a.status', '!=', 'closed')
    .orderBy('i.id')
    .execute();
}

export function insertApiToken(
  trx: Executor,
  token: {
    accountId: bigint;
    name: string;
    role: Role;
    tokenHash: string;
    prefix: string;
    createdBy: bigint | null;
  },
) {
  return trx
    .insertInto('api_tokens')
    .values({
      account_id: token.accountId,
      name: token.name,
      role: token.role,
      token_hash: token.tokenHash,
      prefix: token.prefix,
      created_by: token.createdBy,
    })
    .returning(['id', 'name', 'role', 'prefix', 'created_at'])
    .executeTakeFirstOrThrow();
}

export function listApiTokens(trx: Executor, accountId: bigint) {
  return trx
    .selectFrom('api_tokens')
    .select(['id', 'name', 'role', 'prefix', 'created_at', 'last_used_at', 'revoked_at'])
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
}

export function revokeApiToken(trx: Executor, accountId: bigint, tokenId: bigint) {
  return trx
    .updateTable('api_tokens')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where('account_id', '=', accountId)
    .where('id', '=', tokenId)
    .returning(['id', 'revoked_at'])
    .executeTakeFirst();
}
