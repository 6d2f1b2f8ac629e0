import { z } from 'zod';
import { listAudit } from '../audit/audit.repo.ts';
import { asOperator } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { empty, json } from '../http/answers.ts';
import { actingParty, defineRoute, idParam, type RouteContext } from '../http/routes.ts';
import { schemaMessage } from '../i18n/issues.ts';
import { jurisdictionCodes } from '../jurisdictions/profiles.ts';
import {
  accountAnswer,
  accountCreatedAnswer,
  accountsAnswer,
  auditAnswer,
  invitationAnswer,
  invitationDecisionAnswer,
  memberRoleAnswer,
  membersAnswer,
  myInvitationsAnswer,
  newcomerAcceptedAnswer,
  tokenCreatedAnswer,
  tokenRevokedAnswer,
  tokensAnswer,
} from './accounts.schemas.ts';
import {
  acceptInvitation,
  accountKinds,
  cancelInvitation,
  changeAccountSettings,
  changeMemberRole,
  createAccount,
  createApiToken,
  decideMyInvitation,
  getAccount,
  inviteMember,
  listAccountApiTokens,
  listAccountMembers,
  listAllAccounts,
  listMyInvitations,
  removeMember,
  revokeAccountApiToken,
} from './accounts.service.ts';
import { roles } from './permissions.ts';

const actorOf = (ctx: RouteContext) => {
  const { userId, tokenId, ip } = actingParty(ctx);
  return { actorUserId: userId, actorTokenId: tokenId, ip };
};

const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, schemaMessage('requests.local_time'));
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz.includes('/');
  } catch {
    return false;
  }
}, schemaMessage('requests.time_zone'));
const name = z.string().trim().min(1).max(300);
const email = z.string().trim().email().max(320);
const password = z
  .string()
  .min(12, schemaMessage('requests.password_length', { count: 12 }))
  .max(1024);
const role = z.enum(roles);
const userIdParams = z.object({ userId: idParam });
const tokenIdParams = z.object({ tokenId: idParam });
const invitationIdParams = z.object({ invitationId: idParam });

/** The signed-in person (invitations are a person's to decide, never an API token's). */
const personOf = (ctx: RouteContext): bigint => {
  if (ctx.principal?.kind !== 'session') {
    throw new DomainError('not_a_session', 'only a signed-in person decides their own invitations', {
      status: 403,
    });
  }
  return ctx.principal.userId;
};

export const accountRoutes = [
  defineRoute({
    method: 'get',
    path: '/account',
    responses: { 200: json(accountAnswer) },
    tag: 'account',
    summary: 'The account named by x-account-id (or the API token): settings and jurisdiction profile',
    access: { kind: 'account', permission: 'account.read' },
    handle: async (ctx) => ({ body: await ctx.tenant((trx) => getAccount(trx, ctx.account!.id)) }),
  }),
  defineRoute({
    method: 'patch',
    path: '/account',
    responses: { 200: json(accountAnswer) },
    tag: 'account',
    summary: 'Change account settings: legal names, nightly run time, time zone',
    access: { kind: 'account', permission: 'account.manage' },
    body: z
      .object({ legalNameAr: name, legalNameEn: name, nightlyRunTime: localTime, timeZone })
      .partial()
      .strict()
      .refine((b) => Object.keys(b).length > 0, schemaMessage('requests.settings_empty')),
    handle: async (ctx, { body }) => {
      // The minute's nightly job reads the time and zone as they are: no schedule to rewrite.
      const account = await ctx.tenant((trx) =>
        changeAccountSettings(trx, ctx.account!.id, body, actorOf(ctx)),
      );
      return { body: account };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/account/users',
    responses: { 200: json(membersAnswer) },
    tag: 'users',
    summary: 'Members of the account and their roles, and the invitations still waiting for an answer',
    access: { kind: 'account', permission: 'users.manage' },
    handle: async (ctx) => ({ body: await ctx.tenant((trx) => listAccountMembers(trx, ctx.account!.id)) }),
  }),
  defineRoute({
    method: 'post',
    path: '/account/users',
    responses: { 201: json(invitationAnswer, 'invited') },
    tag: 'users',
    summary:
      'Invite a person with a role: they become a member when they accept (the answer is the same whether or not the email is registered)',
    access: { kind: 'account', permission: 'users.manage' },
    body: z.object({ email, role, displayName: name.optional() }).strict(),
    handle: async (ctx, { body }) => ({
      status: 201,
      body: await ctx.tenant((trx) => inviteMember(trx, ctx.account!.id, body, actorOf(ctx))),
    }),
  }),
  defineRoute({
    method: 'delete',
    path: '/account/invitations/:invitationId',
    responses: { 204: empty },
    tag: 'users',
    summary: 'Withdraw a pending invitation',
    access: { kind: 'account', permission: 'users.manage' },
    params: invitationIdParams,
    handle: async (ctx, { params }) => {
      await ctx.tenant((trx) => cancelInvitation(trx, ctx.account!.id, params.invitationId, actorOf(ctx)));
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/me/invitations',
    responses: { 200: json(myInvitationsAnswer) },
    tag: 'users',
    summary: "The signed-in person's pending invitations to accounts, waiting for their consent",
    access: { kind: 'signed_in' },
    handle: async (ctx) => ({ body: { invitations: await listMyInvitations(ctx.db, personOf(ctx)) } }),
  }),
  defineRoute({
    method: 'post',
    path: '/me/invitations/:invitationId/accept',
    responses: { 200: json(invitationDecisionAnswer) },
    tag: 'users',
    summary: 'Accept an invitation: become a member of its account with its role',
    access: { kind: 'signed_in' },
    params: invitationIdParams,
    handle: async (ctx, { params }) => ({
      body: await decideMyInvitation(ctx.db, personOf(ctx), params.invitationId, 'accepted', ctx.ip),
    }),
  }),
  defineRoute({
    method: 'post',
    path: '/me/invitations/:invitationId/decline',
    responses: { 200: json(invitationDecisionAnswer) },
    tag: 'users',
    summary: 'Decline an invitation',
    access: { kind: 'signed_in' },
    params: invitationIdParams,
    handle: async (ctx, { params }) => ({
      body: await decideMyInvitation(ctx.db, personOf(ctx), params.invitationId, 'declined', ctx.ip),
    }),
  }),
  defineRoute({
    method: 'patch',
    path: '/account/users/:userId',
    responses: { 200: json(memberRoleAnswer) },
    tag: 'users',
    summary: "Change a member's role (takes effect on their next request)",
    access: { kind: 'account', permission: 'users.manage' },
    params: userIdParams,
    body: z.object({ role }).strict(),
    handle: async (ctx, { params, body }) => ({
      body: await ctx.tenant((trx) =>
        changeMemberRole(trx, ctx.account!.id, params.userId, body.role, actorOf(ctx)),
      ),
    }),
  }),
  defineRoute({
    method: 'delete',
    path: '/account/users/:userId',
    responses: { 204: empty },
    tag: 'users',
    summary: 'Remove a member from the account',
    access: { kind: 'account', permission: 'users.manage' },
    params: userIdParams,
    handle: async (ctx, { params }) => {
      await ctx.tenant((trx) => removeMember(trx, ctx.account!.id, params.userId, actorOf(ctx)));
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/account/tokens',
    responses: { 200: json(tokensAnswer) },
    tag: 'tokens',
    summary: 'API tokens of the account (never their secrets)',
    access: { kind: 'account', permission: 'tokens.manage' },
    handle: async (ctx) => ({
      body: { tokens: await ctx.tenant((trx) => listAccountApiTokens(trx, ctx.account!.id)) },
    }),
  }),
  defineRoute({
    method: 'post',
    path: '/account/tokens',
    responses: { 201: json(tokenCreatedAnswer, 'created') },
    tag: 'tokens',
    summary:
      'Create an API token for an ERP system, scoped to this account and a role; the secret is shown once',
    access: { kind: 'account', permission: 'tokens.manage' },
    body: z.object({ name: z.string().trim().min(1).max(100), role }).strict(),
    handle: async (ctx, { body }) => ({
      status: 201,
      body: await ctx.tenant((trx) => createApiToken(trx, ctx.account!.id, body, actorOf(ctx))),
    }),
  }),
  defineRoute({
    method: 'delete',
    path: '/account/tokens/:tokenId',
    responses: { 200: json(tokenRevokedAnswer) },
    tag: 'tokens',
    summary: 'Revoke an API token; it stops working at once',
    access: { kind: 'account', permission: 'tokens.manage' },
    params: tokenIdParams,
    handle: async (ctx, { params }) => ({
      body: await ctx.tenant((trx) =>
        revokeAccountApiToken(trx, ctx.account!.id, params.tokenId, actorOf(ctx)),
      ),
    }),
  }),
  defineRoute({
    method: 'get',
    path: '/account/audit',
    responses: { 200: json(auditAnswer) },
    tag: 'audit',
    summary: 'The audit log of the account, newest first',
    access: { kind: 'account', permission: 'audit.read' },
    query: z
      .object({ limit: z.coerce.number().int().min(1).max(500).default(100), before: idParam.optional() })
      .strict(),
    handle: async (ctx, { query }) => {
      const rows = await ctx.tenant((trx) => listAudit(trx, ctx.account!.id, query));
      return {
        body: {
          entries: rows.map((r) => ({
            id: r.id.toString(),
            at: r.at,
            actorUserId: r.actor_user_id?.toString() ?? null,
            actorTokenId: r.actor_token_id?.toString() ?? null,
            action: r.action,
            target: r.target,
            outcome: r.outcome,
            ip: r.ip,
            details: r.details,
          })),
        },
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/invitations/accept',
    responses: { 200: json(newcomerAcceptedAnswer) },
    tag: 'users',
    summary:
      'Accept an invitation as a person new to the platform: choose a password (at least 12 characters); anyone else signs in and accepts under /me/invitations',
    access: { kind: 'public' },
    body: z.object({ token: z.string().min(10).max(200), password, displayName: name.optional() }).strict(),
    handle: async (ctx, { body }) => ({ body: await acceptInvitation(ctx.db, body, ctx.ip) }),
  }),
  defineRoute({
    method: 'get',
    path: '/accounts',
    responses: { 200: json(accountsAnswer) },
    tag: 'operator',
    summary: 'All accounts (platform operator)',
    access: { kind: 'operator' },
    handle: async (ctx) => ({ body: { accounts: await asOperator(ctx.db, (trx) => listAllAccounts(trx)) } }),
  }),
  defineRoute({
    method: 'post',
    path: '/accounts',
    responses: { 201: json(accountCreatedAnswer, 'opened, its owner invited') },
    tag: 'operator',
    summary: 'Open an account for a business, with its first owner (platform operator)',
    access: { kind: 'operator' },
    body: z
      .object({
        kind: z.enum(accountKinds),
        legalNameAr: name,
        legalNameEn: name,
        registryNumber: z.string().trim().min(1).max(64),
        jurisdiction: z.enum(jurisdictionCodes as ['JO', 'IQ', 'EG']),
        nightlyRunTime: localTime.optional(),
        owner: z.object({ email, displayName: name.optional() }).strict(),
      })
      .strict(),
    handle: async (ctx, { body }) => {
      const operatorId = actingParty(ctx).userId;
      const created = await asOperator(ctx.db, (trx) => createAccount(trx, body, operatorId));
      return { status: 201, body: created };
    },
  }),
];
