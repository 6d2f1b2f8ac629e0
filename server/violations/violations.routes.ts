import { z } from 'zod';
import { json } from '../http/answers.ts';
import { defineRoute, idParam } from '../http/routes.ts';
import { schemaMessage } from '../i18n/issues.ts';
import { listCurrentViolations, vehicleViolations } from './violations.present.ts';
import { vehicleViolationsAnswer, violationsAnswer } from './violations.schemas.ts';

const minorAmount = z
  .string()
  .regex(/^\d{1,18}$/, schemaMessage('requests.minor_units_digits'))
  .transform((v) => BigInt(v));
const limit = z.coerce.number().int().min(1).max(1000).default(200);

export const violationRoutes = [
  defineRoute({
    method: 'get',
    path: '/violations',
    responses: { 200: json(violationsAnswer) },
    tag: 'violations',
    summary:
      'Current state of the account’s violations with their plates; filter by state, vehicle, cost centre, offence date (`from` inclusive, `to` exclusive, ISO dates or times) and amount in minor units, page with `after`',
    access: { kind: 'account', permission: 'fleet.read' },
    query: z
      .object({
        state: z.enum(['outstanding', 'settled', 'cancelled']).optional(),
        vehicleId: idParam.optional(),
        costCentre: z.string().trim().min(1).max(200).optional(),
        from: z.coerce.date().optional(),
        to: z.coerce.date().optional(),
        minAmountMinor: minorAmount.optional(),
        maxAmountMinor: minorAmount.optional(),
        after: z.string().max(100).optional(),
        limit,
      })
      .strict(),
    handle: async (ctx, { query }) => ({
      body: await ctx.tenant((trx) => listCurrentViolations(trx, ctx.account!.id, query)),
    }),
  }),
  defineRoute({
    method: 'get',
    path: '/vehicles/:vehicleId/violations',
    responses: { 200: json(vehicleViolationsAnswer) },
    tag: 'violations',
    summary:
      "A vehicle's violations with each one's history of versions, by ticket number; filter by state, page with `after` (the previous page's `nextCursor`)",
    access: { kind: 'account', permission: 'fleet.read' },
    params: z.object({ vehicleId: idParam }),
    query: z
      .object({
        state: z.enum(['outstanding', 'settled', 'cancelled']).optional(),
        after: z.string().max(100).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      })
      .strict(),
    handle: async (ctx, { params, query }) => ({
      body: await ctx.tenant((trx) => vehicleViolations(trx, ctx.account!.id, params.vehicleId, query)),
    }),
  }),
];
