import { z } from 'zod';
import { json } from '../http/answers.ts';
import { actingParty, defineRoute, idParam } from '../http/routes.ts';
import { decidedExceptionAnswer, exceptionAnswer, exceptionsAnswer } from './exceptions.schemas.ts';
import { decideSuspectSettlement, listAccountExceptions, resolveWithNote } from './exceptions.service.ts';

const decision = (verb: 'confirm' | 'dismiss', summary: string) =>
  defineRoute({
    method: 'post',
    path: `/exceptions/:exceptionId/${verb}`,
    responses: { 200: json(decidedExceptionAnswer) },
    tag: 'exceptions',
    summary,
    access: { kind: 'account', permission: 'money.write' },
    params: z.object({ exceptionId: idParam }),
    handle: async (ctx, { params }) => ({
      body: await ctx.tenant((trx) =>
        decideSuspectSettlement(trx, ctx.account!.id, params.exceptionId, verb, actingParty(ctx)),
      ),
    }),
  });

export const exceptionRoutes = [
  defineRoute({
    method: 'get',
    path: '/exceptions',
    responses: { 200: json(exceptionsAnswer) },
    tag: 'exceptions',
    summary:
      'What an accountant must decide, newest first, with its evidence; filter by status and kind, page with `before` (nextCursor)',
    access: { kind: 'account', permission: 'money.read' },
    query: z
      .object({
        status: z.enum(['open', 'confirmed', 'dismissed', 'resolved']).optional(),
        kind: z
          .enum([
            'suspect_mass_settlement',
            'amount_mismatch',
            'unknown_reference',
            'superseded_reference',
            'expired_reference',
            'duplicate_payment',
            'paid_still_outstanding',
            'settled_without_payment',
            'payment_reversed',
          ])
          .optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: idParam.optional(),
      })
      .strict(),
    handle: async (ctx, { query }) => ({
      body: await ctx.tenant((trx) => listAccountExceptions(trx, ctx.account!.id, query)),
    }),
  }),
  defineRoute({
    method: 'post',
    path: '/exceptions/:exceptionId/resolve',
    responses: { 200: json(exceptionAnswer) },
    tag: 'exceptions',
    summary: 'Resolve a payment exception with a note saying what was done (audited)',
    access: { kind: 'account', permission: 'money.write' },
    params: z.object({ exceptionId: idParam }),
    body: z.strictObject({ note: z.string().trim().min(3).max(2000) }),
    handle: async (ctx, { params, body }) => ({
      body: await ctx.tenant((trx) =>
        resolveWithNote(trx, ctx.account!.id, params.exceptionId, body.note, actingParty(ctx)),
      ),
    }),
  }),
  decision('confirm', 'Confirm a held mass settlement: the violations still held become settled'),
  decision('dismiss', 'Dismiss a held mass settlement: the violations stay outstanding, no longer suspect'),
];
