import { z } from 'zod';
import { sendDocument } from '../documents/send.ts';
import { file, json } from '../http/answers.ts';
import { actingParty, defineRoute, idParam, type RouteContext } from '../http/routes.ts';
import { clearanceAnswer, clearancesAnswer, issuedClearanceAnswer } from './clearances.schemas.ts';

import {
  certificateDownload,
  clearancesOfAccount,
  issueClearance,
  revokeByPerson,
} from './clearances.service.ts';

const publicUrl = (ctx: RouteContext) =>
  ctx.config.publicUrl ?? `${ctx.req.protocol}://${ctx.req.get('host')}`;
const clearanceParams = z.object({ clearanceId: idParam });

export const clearanceRoutes = [
  defineRoute({
    method: 'post',
    path: '/vehicles/:vehicleId/clearance',
    responses: { 201: json(issuedClearanceAnswer, 'issued') },
    tag: 'clearances',
    summary:
      'Issue a clearance certificate for a vehicle with nothing outstanding as of its last successful lookup; 409 with the outstanding, held or stale violations or the failed lookup otherwise. The verification code is answered once.',
    access: { kind: 'account', permission: 'money.write' },
    params: z.object({ vehicleId: idParam }),
    body: z.object({}).strict(),
    handle: async (ctx, { params }) => ({
      status: 201,
      body: await ctx.tenant((trx) =>
        issueClearance(trx, ctx.account!.id, params.vehicleId, actingParty(ctx), publicUrl(ctx), new Date()),
      ),
    }),
  }),
  defineRoute({
    method: 'get',
    path: '/clearances',
    responses: { 200: json(clearancesAnswer) },
    tag: 'clearances',
    summary:
      'Clearance certificates of the account, newest first; filter by vehicle and status, page with `before`',
    access: { kind: 'account', permission: 'money.read' },
    query: z
      .object({
        vehicleId: idParam.optional(),
        status: z.enum(['valid', 'revoked']).optional(),
        before: idParam.optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      })
      .strict(),
    handle: async (ctx, { query }) => ({
      body: await ctx.tenant((trx) => clearancesOfAccount(trx, ctx.account!.id, query)),
    }),
  }),
  defineRoute({
    method: 'get',
    path: '/clearances/:clearanceId/certificate.pdf',
    responses: { 200: file('the certificate', 'application/pdf') },
    tag: 'clearances',
    summary: 'The certificate as issued (Arabic and English), byte-identical on every download',
    access: { kind: 'account', permission: 'money.read' },
    params: clearanceParams,
    handle: async (ctx, { params }) => {
      const download = await ctx.tenant((trx) =>
        certificateDownload(trx, ctx.account!.id, params.clearanceId, actingParty(ctx)),
      );
      sendDocument(ctx.res, download);
      return {};
    },
  }),
  defineRoute({
    method: 'post',
    path: '/clearances/:clearanceId/revoke',
    responses: { 200: json(clearanceAnswer) },
    tag: 'clearances',
    summary:
      'Revoke a certificate with a reason (owner or accountant); the verification page then says revoked',
    access: { kind: 'account', permission: 'money.write' },
    params: clearanceParams,
    body: z.object({ reason: z.string().trim().min(3).max(500) }).strict(),
    handle: async (ctx, { params, body }) => ({
      body: await ctx.tenant((trx) =>
        revokeByPerson(trx, ctx.account!.id, params.clearanceId, body.reason, actingParty(ctx)),
      ),
    }),
  }),
];
