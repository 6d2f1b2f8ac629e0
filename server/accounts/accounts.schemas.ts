import { z } from 'zod';
import { id, timestamp } from '../http/answers.ts';
import { jurisdictionCodes } from '../jurisdictions/profiles.ts';
import { roles } from './permissions.ts';

const role = z.enum(roles);
const jurisdiction = z.enum(jurisdictionCodes as ['JO', 'IQ', 'EG']);

export const accountAnswer = z.object({
  id,
  kind: z.string(),
  legalNameAr: z.string(),
  legalNameEn: z.string(),
  registryNumber: z.string(),
  jurisdiction,
  currency: z.string(),
  minorUnits: z.number().int().describe('decimal places of the currency'),
  timeZone: z.string(),
  nightlyRunTime: z.string(),
  status: z.string(),
  createdAt: timestamp,
});

const invitationSent = z.object({
  email: z.string(),
  role,
  status: z.literal('pending'),
  invitation: z.object({ id, token: z.string(), expiresAt: timestamp }),
});

export const invitationAnswer = invitationSent;

export const membersAnswer = z.object({
  users: z.array(
    z.object({
      userId: id,
      email: z.string(),
      displayName: z.string().nullable(),
      status: z.string(),
      role,
      since: timestamp,
    }),
  ),
  invitations: z.array(
    z.object({
      id,
      email: z.string(),
      role,
      invitedBy: z.string().nullable(),
      invitedAt: timestamp,
      expiresAt: timestamp,
    }),
  ),
});

export const myInvitationsAnswer = z.object({
  invitations: z.array(
    z.object({
      id,
      account: z.object({ id, legalNameEn: z.string(), legalNameAr: z.string(), jurisdiction }),
      role,
      invitedAt: timestamp,
      expiresAt: timestamp,
    }),
  ),
});

export const invitationDecisionAnswer = z.object({
  id,
  status: z.enum(['accepted', 'declined']),
  account: z.object({ id }),
  role,
});

export const memberRoleAnswer = z.object({ userId: id, role });

const tokenFields = { id, name: z.string(), role, prefix: z.string(), createdAt: timestamp };

export const tokensAnswer = z.object({
  tokens: z.array(
    z.object({ ...tokenFields, lastUsedAt: timestamp.nullable(), revokedAt: timestamp.nullable() }),
  ),
});

export const tokenCreatedAnswer = z.object({
  ...tokenFields,
  token: z.string().describe('the secret, shown only here'),
});

export const tokenRevokedAnswer = z.object({ id, revokedAt: timestamp });

export const auditAnswer = z.object({
  entries: z.array(
    z.object({
      id,
      at: timestamp,
      actorUserId: id.nullable(),
      actorTokenId: id.nullable(),
      action: z.string(),
      target: z.string().nullable(),
      outcome: z.string(),
      ip: z.string().nullable(),
      details: z.unknown().describe('what the action concerned, per action'),
    }),
  ),
});

export const newcomerAcceptedAnswer = z.object({ userId: id });

export const accountsAnswer = z.object({ accounts: z.array(accountAnswer) });

export const accountCreatedAnswer = z.object({ account: accountAnswer, owner: invitationSent });
