import { appendAudit } from '../audit/audit.repo.ts';
import { deleteLoginDevices, revokeUserSessions } from '../auth/auth.repo.ts';
import { normaliseEmail } from '../auth/auth.service.ts';
import { hashPassword, newSecret, sha256 } from '../auth/secrets.ts';
import type { Database } from '../db/database.ts';
import { enterTenant, type Tx, withUser } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { type JurisdictionCode, jurisdictions } from '../jurisdictions/profiles.ts';
import {
  countOwnersForUpdate,
  decideInvitation,
  deleteMembership,
  expireInvitations,
  findAccount,
  findInvitation,
  findMembershipRole,
  insertAccount,
  insertApiToken,
  insertInvitation,
  insertMembership,
  insertUser,
  listAccountInvitations,
  listAccounts,
  listApiTokens,
  listMembers,
  listUserInvitations,
  lockUserByEmail,
  revokeApiToken,
  revokeInvitation,
  setFirstPassword,
  supersedeInvitations,
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

/** The operator opens an account; its first owner is invited (see addMember). */
export async function createAccount(trx: Tx, input: NewAccount, operatorId: bigint | null) {
  const account = await openAccount(trx, input, operatorId);
  const owner = await addMember(trx, BigInt(account.id), { ...input.owner, role: 'owner' }, operatorId);
  return { account, owner };
}

/** Creates the account itself, without members (the demo seed adds its own users directly). */
export async function openAccount(
  trx: Tx,
  input: Omit<NewAccount, 'owner'>,
  operatorId: bigint | null,
  isDemo = false,
) {
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
  await appendAudit(trx, {
    accountId: row.id,
    actorUserId: operatorId,
    action: 'account.created',
    target: `account:${row.id}`,
    details: { jurisdiction: input.jurisdiction, kind: input.kind },
  });
  return presentAccount(row);
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
  const members = (await listMembers(trx, accountId)).map((m) => ({
    userId: m.id.toString(),
    email: m.email,
    displayName: m.display_name,
    status: m.status,
    role: m.role as Role,
    since: m.created_at,
  }));
  const invitations = (await listAccountInvitations(trx, accountId)).map((i) => ({
    id: i.id.toString(),
    email: i.email,
    role: i.role as Role,
    invitedBy: i.invited_by?.toString() ?? null,
    invitedAt: i.created_at,
    expiresAt: i.expires_at,
  }));
  return { users: members, invitations };
}

/** What an owner is told about an invitation: the same whether or not the person is registered. */
export interface AddedMember {
  email: string;
  role: Role;
  status: 'pending';
  invitation: { id: string; token: string; expiresAt: Date };
}

/**
 * Invites a person to the account with a role; nobody becomes a member until they accept. The
 * invitation's link may choose a password only when this add created the person's user row (new
 * to the platform), or re-invites a person this account created who still has no password: the
 * insert that creates the row decides it, so of concurrent adds exactly one may. Anyone else
 * confirms after signing in as themselves. The answer is the same either way, so it does not tell
 * the inviter whether the email is registered.
 */
export async function addMember(
  trx: Tx,
  accountId: bigint,
  input: { email: string; displayName?: string; role: Role },
  invitedBy: bigint | null,
): Promise<AddedMember> {
  const email = normaliseEmail(input.email);
  const created = await insertUser(trx, {
    email,
    display_name: input.displayName ?? '',
    password_hash: null,
    status: 'invited',
    invited_to_account_id: accountId,
  });
  const existing = created ? undefined : await lockUserByEmail(trx, email);
  const userId = created?.id ?? existing?.id;
  if (userId === undefined) throw new Error(`user ${email} neither inserted nor found`);
  const setsPassword =
    created !== undefined ||
    (existing?.status === 'invited' && existing.no_password && existing.invited_to_account_id === accountId);
  if (await findMembershipRole(trx, accountId, userId)) {
    throw new DomainError('already_member', `${email} is already a member of this account`, { status: 409 });
  }
  await expireInvitations(trx, accountId, userId);
  const token = newSecret();
  const invitation = await insertInvitation(trx, {
    accountId,
    userId,
    role: input.role,
    tokenHash: sha256(token),
    invitedBy,
    expiresAt: new Date(Date.now() + INVITATION_DAYS * 86_400_000),
    setsPassword,
  });
  if (!invitation) {
    throw new DomainError('already_invited', `${email} already has a pending invitation to this account`, {
      status: 409,
    });
  }
  return {
    email,
    role: input.role,
    status: 'pending',
    invitation: { id: invitation.id.toString(), token, expiresAt: invitation.expires_at },
  };
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
    action: 'membership.invited',
    target: `invitation:${added.invitation.id}`,
    details: { email: added.email, role: added.role },
  });
  return added;
}

export async function cancelInvitation(trx: Tx, accountId: bigint, invitationId: bigint, actor: Actor) {
  const row = await revokeInvitation(trx, accountId, invitationId);
  if (!row) {
    throw new DomainError('invitation_not_found', 'no pending invitation with this id in this account', {
      status: 404,
    });
  }
  await appendAudit(trx, {
    ...actor,
    accountId,
    action: 'invitation.revoked',
    target: `invitation:${invitationId}`,
  });
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

const invalidInvitation = () =>
  new DomainError('invalid_invitation', 'this invitation is not valid, was already used, or has expired', {
    status: 400,
  });

/**
 * A person new to the platform accepts their invitation by choosing a password. The password is
 * set only while they are still invited with none (checked in the same UPDATE); their other
 * invitations end, their sessions and remembered devices are revoked. An invitation for someone
 * who already has (or may choose) a password elsewhere is accepted after signing in instead.
 */
export async function acceptInvitation(
  db: Database,
  input: { token: string; password: string; displayName?: string },
  ip: string | null,
) {
  const found = await findInvitation(db, sha256(input.token));
  if (found?.status !== 'pending' || found.expires_at.getTime() <= Date.now()) throw invalidInvitation();
  if (!found.sets_password) {
    throw new DomainError(
      'invitation_needs_sign_in',
      'this invitation is for a person who signs in with their own password: sign in, then accept it under /me/invitations',
      { status: 409 },
    );
  }
  const passwordHash = await hashPassword(input.password);
  await withUser(db, found.user_id, async (trx) => {
    await enterTenant(trx, found.account_id);
    if (!(await setFirstPassword(trx, found.user_id, passwordHash, input.displayName)))
      throw invalidInvitation();
    const decided = await decideInvitation(trx, found.id, found.user_id, 'accepted');
    if (!decided) throw invalidInvitation();
    await insertMembership(trx, found.account_id, found.user_id, decided.role as Role);
    const superseded = await supersedeInvitations(trx, found.user_id, found.id);
    await revokeUserSessions(trx, found.user_id);
    await deleteLoginDevices(trx, found.user_id);
    await appendAudit(trx, {
      accountId: found.account_id,
      actorUserId: found.user_id,
      action: 'invitation.accepted',
      target: `invitation:${found.id}`,
      ip,
      details: { role: decided.role, passwordSet: true, otherInvitationsEnded: superseded },
    });
  });
  return { userId: found.user_id.toString() };
}

/** The signed-in person's pending invitations (their consent is asked for, not assumed). */
export async function listMyInvitations(db: Database, userId: bigint) {
  const rows = await withUser(db, userId, (trx) => listUserInvitations(trx, userId));
  return rows.map((r) => ({
    id: r.id.toString(),
    account: {
      id: r.account_id.toString(),
      legalNameEn: r.legal_name_en,
      legalNameAr: r.legal_name_ar,
      jurisdiction: r.jurisdiction,
    },
    role: r.role as Role,
    invitedAt: r.created_at,
    expiresAt: r.expires_at,
  }));
}

/** The signed-in person accepts (becomes a member with the invited role) or declines an invitation. */
export async function decideMyInvitation(
  db: Database,
  userId: bigint,
  invitationId: bigint,
  decision: 'accepted' | 'declined',
  ip: string | null,
) {
  return withUser(db, userId, async (trx) => {
    const decided = await decideInvitation(trx, invitationId, userId, decision);
    if (!decided) {
      throw new DomainError('invitation_not_found', 'no pending invitation of yours with this id', {
        status: 404,
      });
    }
    await enterTenant(trx, decided.account_id);
    if (decision === 'accepted')
      await insertMembership(trx, decided.account_id, userId, decided.role as Role);
    await appendAudit(trx, {
      accountId: decided.account_id,
      actorUserId: userId,
      action: decision === 'accepted' ? 'invitation.accepted' : 'invitation.declined',
      target: `invitation:${invitationId}`,
      ip,
      details: { role: decided.role },
    });
    return {
      id: invitationId.toString(),
      status: decision,
      account: { id: decided.account_id.toString() },
      role: decided.role as Role,
    };
  });
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
