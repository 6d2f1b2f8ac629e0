import { appendAudit } from '../audit/audit.repo.ts';
import { normaliseEmail } from '../auth/auth.service.ts';
import { hashPassword, newSecret, sha256 } from '../auth/secrets.ts';
import type { Database } from '../db/database.ts';
import { type Tx, withTenant } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { type JurisdictionCode, jurisdictions } from '../jurisdictions/profiles.ts';
import {
  activateUser,
  countOwnersForUpdate,
  deleteMembership,
  findAccount,
  findInvitation,
  findMembershipRole,
  findUserIdByEmail,
  insertAccount,
  insertApiToken,
  insertInvitation,
  insertMembership,
  insertUser,
  listAccounts,
  listApiTokens,
  listMembers,
  markInvitationAccepted,
  revokeApiToken,
  updateAccount,
  updateMembershipRole,
} from './accounts.repo.ts';
import type { Role } from './permissions.ts';

const INVITATION_DAYS = 7;

export const accountKinds = [
  'company',
  'sole_proprietorship',
  'cooperative',
  'association',
  'professional_office',
  'free_zone_firm',
] as const;
export type AccountKind = (typeof accountKinds)[number];

type AccountRow = NonNullable<Awaited<ReturnType<typeof findAccount>>>;

export function presentAccount(row: AccountRow) {
  const profile = jurisdictions[row.jurisdiction as JurisdictionCode];
  return {
    id: row.id.toString(),
    kind: row.kind,
    legalNameAr: row.legal_name_ar,
    legalNameEn: row.legal_name_en,
    registryNumber: row.registry_number,
    jurisdiction: row.jurisdiction,
    currency: row.currency,
    minorUnits: profile.minorUnits,
    timeZone: row.time_zone,
    nightlyRunTime: row.nightly_run_time.slice(0, 5),
    status: row.status,
    createdAt: row.created_at,
  };
}

export interface NewAccount {
  kind: AccountKind;
  legalNameAr: string;
  legalNameEn: string;
  registryNumber: string;
  jurisdiction: JurisdictionCode;
  nightlyRunTime?: string;
  owner: { email: string; displayName?: string };
}

export interface Invitation {
  token: string;
  expiresAt: Date;
}

/** The operator opens an account; its first owner gets an invitation to set a password. */
export async function createAccount(trx: Tx, input: NewAccount, operatorId: bigint | null, isDemo = false) {
  const profile = jurisdictions[input.jurisdiction];
  const row = await insertAccount(trx, {
    kind: input.kind,
    legal_name_ar: input.legalNameAr,
    legal_name_en: input.legalNameEn,
    registry_number: input.registryNumber,
    jurisdiction: input.jurisdiction,
    currency: profile.currency,
    time_zone: profile.timeZone,
    nightly_run_time: input.nightlyRunTime ?? profile.nightlyRunTime,
    is_demo: isDemo,
  });
  if (!row) {
    throw new DomainError(
      'account_exists',
      `an account with registry number ${input.registryNumber} already exists in ${input.jurisdiction}`,
      { status: 409 },
    );
  }
  const owner = await addMember(trx, row.id, { ...input.owner, role: 'owner' }, operatorId);
  await appendAudit(trx, {
    accountId: row.id,
    actorUserId: operatorId,
    action: 'account.created',
    target: `account:${row.id}`,
    details: { jurisdiction: input.jurisdiction, kind: input.kind },
  });
  return { account: presentAccount(row), owner };
}

export async function listAllAccounts(trx: Tx) {
  return (await listAccounts(trx)).map(presentAccount);
}

export async function getAccount(trx: Tx, accountId: bigint) {
  const row = await findAccount(trx, accountId);
  if (!row) throw new DomainError('account_not_found', 'no such account', { status: 404 });
  return presentAccount(row);
}

export interface AccountSettingsPatch {
  legalNameAr?: string;
  legalNameEn?: string;
  nightlyRunTime?: string;
  timeZone?: string;
}

export async function changeAccountSettings(
  trx: Tx,
  accountId: bigint,
  patch: AccountSettingsPatch,
  actor: Actor,
) {
  const before = await getAccount(trx, accountId);
  const row = await updateAccount(trx, accountId, {
    ...(patch.legalNameAr !== undefined ? { legal_name_ar: patch.legalNameAr } : {}),
    ...(patch.legalNameEn !== undefined ? { legal_name_en: patch.legalNameEn } : {}),
    ...(patch.nightlyRunTime !== undefined ? { nightly_run_time: patch.nightlyRunTime } : {}),
    ...(patch.timeZone !== undefined ? { time_zone: patch.timeZone } : {}),
  });
  const after = presentAccount(row);
  const changed = Object.fromEntries(
    (Object.keys(patch) as Array<keyof AccountSettingsPatch>)
      .filter((k) => before[k] !== after[k])
      .map((k) => [k, { from: before[k], to: after[k] }]),
  );
  await appendAudit(trx, {
    ...actor,
    accountId,
    action: 'account.settings_changed',
    target: `account:${accountId}`,
    details: changed,
  });
  return after;
}

export interface Actor {
  actorUserId: bigint | null;
  actorTokenId: bigint | null;
  ip: string | null;
}

export async function listAccountMembers(trx: Tx, accountId: bigint) {
  return (await listMembers(trx, accountId)).map((m) => ({
    userId: m.id.toString(),
    email: m.email,
    displayName: m.display_name,
    status: m.status,
    role: m.role as Role,
    since: m.created_at,
  }));
}

/**
 * Adds a person to the account with a role. A person new to the platform is created as invited
 * and gets an invitation token to choose a password (the product would email it; the API returns it).
 */
export async function addMember(
  trx: Tx,
  accountId: bigint,
  input: { email: string; displayName?: string; role: Role },
  invitedBy: bigint | null,
): Promise<{ userId: string; email: string; role: Role; invitation: Invitation | null }> {
  const email = normaliseEmail(input.email);
  const user =
    (await insertUser(trx, {
      email,
      display_name: input.displayName ?? '',
      password_hash: null,
      status: 'invited',
    })) ?? (await findUserIdByEmail(trx, email));
  if (!user) throw new Error(`user ${email} neither inserted nor found`);
  const membership = await insertMembership(trx, accountId, user.id, input.role);
  if (!membership) {
    throw new DomainError('already_member', `${email} is already a member of this account`, { status: 409 });
  }
  let invitation: Invitation | null = null;
  if (user.status === 'invited') {
    const token = newSecret();
    const expiresAt = new Date(Date.now() + INVITATION_DAYS * 86_400_000);
    await insertInvitation(trx, {
      accountId,
      userId: user.id,
      role: input.role,
      tokenHash: sha256(token),
      invitedBy,
      expiresAt,
    });
    invitation = { token, expiresAt };
  }
  return { userId: user.id.toString(), email, role: input.role, invitation };
}

export async function inviteMember(
  trx: Tx,
  accountId: bigint,
  input: { email: string; displayName?: string; role: Role },
  actor: Actor,
) {
  const added = await addMember(trx, accountId, input, actor.actorUserId);
  await appendAudit(trx, {
    ...actor,
    accountId,
    action: 'membership.added',
    target: `user:${added.userId}`,
    details: { email: added.email, role: added.role },
  });
  return added;
}

const lastOwner = () =>
  new DomainError('last_owner', 'an account needs at least one owner; make someone else owner first', {
    status: 409,
  });
const memberNotFound = () =>
  new DomainError('member_not_found', 'no such member in this account', { status: 404 });

export async function changeMemberRole(trx: Tx, accountId: bigint, userId: bigint, role: Role, actor: Actor) {
  const owners = await countOwnersForUpdate(trx, accountId);
  const current = await findMembershipRole(trx, accountId, userId);
  if (!current) throw memberNotFound();
  if (current === 'owner' && role !== 'owner' && owners <= 1) throw lastOwner();
  await updateMembershipRole(trx, accountId, userId, role);
  await appendAudit(trx, {
    ...actor,
    accountId,
    action: 'membership.role_changed',
    target: `user:${userId}`,
    details: { from: current, to: role },
  });
  return { userId: userId.toString(), role };
}

export async function removeMember(trx: Tx, accountId: bigint, userId: bigint, actor: Actor): Promise<void> {
  const owners = await countOwnersForUpdate(trx, accountId);
  const current = await findMembershipRole(trx, accountId, userId);
  if (!current) throw memberNotFound();
  if (current === 'owner' && owners <= 1) throw lastOwner();
  await deleteMembership(trx, accountId, userId);
  await appendAudit(trx, {
    ...actor,
    accountId,
    action: 'membership.removed',
    target: `user:${userId}`,
    details: { role: current },
  });
}

/** Sets the password of an invited person; the token works once and expires. */
export async function acceptInvitation(
  db: Database,
  input: { token: string; password: string; displayName?: string },
  ip: string | null,
) {
  const invalid = () =>
    new DomainError('invalid_invitation', 'this invitation is not valid, was already used, or has expired', {
      status: 400,
    });
  const found = await findInvitation(db, sha256(input.token));
  if (!found || found.accepted_at || found.expires_at.getTime() < Date.now()) throw invalid();
  const passwordHash = await hashPassword(input.password);
  await withTenant(db, found.account_id, async (trx) => {
    if (!(await markInvitationAccepted(trx, found.account_id, found.id))) throw invalid();
    await activateUser(trx, found.user_id, passwordHash, input.displayName);
    await appendAudit(trx, {
      accountId: found.account_id,
      actorUserId: found.user_id,
      action: 'invitation.accepted',
      target: `user:${found.user_id}`,
      ip,
    });
  });
  return { userId: found.user_id.toString() };
}

export async function createApiToken(
  trx: Tx,
  accountId: bigint,
  input: { name: string; role: Role },
  actor: Actor,
) {
  const token = `fft_${newSecret()}`;
  const row = await insertApiToken(trx, {
    accountId,
    name: input.name,
    role: input.role,
    tokenHash: sha256(token),
    prefix: token.slice(0, 10),
    createdBy: actor.actorUserId,
  });
  await appendAudit(trx, {
    ...actor,
    accountId,
    action: 'api_token.created',
    target: `api_token:${row.id}`,
    details: { name: input.name, role: input.role },
  });
  return {
    id: row.id.toString(),
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdAt: row.created_at,
    token,
  };
}

export async function listAccountApiTokens(trx: Tx, accountId: bigint) {
  return (await listApiTokens(trx, accountId)).map((t) => ({
    id: t.id.toString(),
    name: t.name,
    role: t.role,
    prefix: t.prefix,
    createdAt: t.created_at,
    lastUsedAt: t.last_used_at,
    revokedAt: t.revoked_at,
  }));
}

export async function revokeAccountApiToken(trx: Tx, accountId: bigint, tokenId: bigint, actor: Actor) {
  const row = await revokeApiToken(trx, accountId, tokenId);
  if (!row)
    throw new DomainError('api_token_not_found', 'no such API token in this account', { status: 404 });
  await appendAudit(trx, {
    ...actor,
    accountId,
    action: 'api_token.revoked',
    target: `api_token:${tokenId}`,
  });
  return { id: row.id.toString(), revokedAt: row.revoked_at };
}
