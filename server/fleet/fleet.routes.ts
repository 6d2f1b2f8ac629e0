import type { Response } from 'express';
import { z } from 'zod';
import { file, json, XLSX_TYPE } from '../http/answers.ts';
import { envelope } from '../http/errors.ts';
import { actingParty, defineRoute, idParam, type RouteContext } from '../http/routes.ts';
import { issueDetails, schemaMessage } from '../i18n/issues.ts';
import { jurisdictionCodes } from '../jurisdictions/profiles.ts';
import { appliedUploadAnswer, uploadReportAnswer, vehicleAnswer, vehiclesAnswer } from './fleet.schemas.ts';
import {
  type Actor,
  applyUpload,
  createUpload,
  fleetUploadLimits,
  getUploadReport,
  getVehicle,
  searchVehicles,
  templateJurisdiction,
  uploadErrorsFile,
  uploadModes,
  uploadTemplate,
} from './fleet.service.ts';
import { receiveUpload } from './upload-receive.ts';

const actorOf = (ctx: RouteContext): Actor => actingParty(ctx);

function sendXlsx(res: Response, file: { fileName: string; bytes: Buffer }): void {
  const ascii = file.fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  res
    .status(200)
    .set({
      'content-type': XLSX_TYPE,
      'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
      'cache-control': 'no-store',
    })
    .send(file.bytes);
}

const uploadIdParams = z.object({ uploadId: idParam });
const mode = z.enum(uploadModes, { message: schemaMessage('requests.upload_mode') });

export const fleetRoutes = [
  defineRoute({
    method: 'post',
    path: '/uploads',
    responses: {
      201: json(uploadReportAnswer, 'stored and previewed'),
      200: json(uploadReportAnswer, 'the same file was uploaded before: its report'),
    },
    tag: 'fleet',
    summary:
      'Upload a vehicle list (multipart: file in "file", mode=replace|merge): validated, stored and previewed as a diff; nothing is applied yet',
    access: { kind: 'account', permission: 'fleet.write' },
    multipart: { fields: { mode } },
    handle: async (ctx) => {
      const received = await receiveUpload(ctx.req, fleetUploadLimits.maxBytes);
      const parsed = mode.safeParse(received.fields.mode);
      if (!parsed.success) {
        return {
          status: 400,
          body: envelope(
            'invalid_request',
            'the form field "mode" must be "replace" or "merge"',
            issueDetails(parsed.error.issues, 'mode'),
            ctx.req,
          ),
        };
      }
      const { created, report } = await createUpload(
        ctx.tenant,
        ctx.account!.id,
        actorOf(ctx),
        received,
        parsed.data,
      );
      return { status: created ? 201 : 200, body: report };
    },
  }),
  // Before /uploads/:uploadId, which would otherwise take "template.xlsx" for an id.
  defineRoute({
    method: 'get',
    path: '/uploads/template.xlsx',
    responses: { 200: file('the template', XLSX_TYPE) },
    tag: 'fleet',
    summary:
      "A blank vehicle list (xlsx, Arabic and English headers) for a jurisdiction, or for the account's jurisdiction",
    access: { kind: 'signed_in' },
    query: z.object({ jurisdiction: z.enum(jurisdictionCodes).optional() }),
    handle: async (ctx, { query }) => {
      const header = ctx.req.get('x-account-id');
      const accountId = header === undefined ? undefined : idParam.safeParse(header).data;
      const jurisdiction = await templateJurisdiction(ctx.db, ctx.principal!, query.jurisdiction, accountId);
      sendXlsx(ctx.res, await uploadTemplate(jurisdiction));
      return {};
    },
  }),
  defineRoute({
    method: 'get',
    path: '/uploads/:uploadId',
    responses: { 200: json(uploadReportAnswer) },
    tag: 'fleet',
    summary: "An upload's report: status, counts, errors, warnings and the diff against the fleet",
    access: { kind: 'account', permission: 'fleet.read' },
    params: uploadIdParams,
    handle: async (ctx, { params }) => ({
      body: await ctx.tenant((trx) => getUploadReport(trx, ctx.account!.id, params.uploadId)),
    }),
  }),
  defineRoute({
    method: 'get',
    path: '/uploads/:uploadId/errors.xlsx',
    responses: { 200: file('the rejected rows', XLSX_TYPE) },
    tag: 'fleet',
    summary: "An upload's rejected rows with a reason column, to fix and upload again (mode merge)",
    access: { kind: 'account', permission: 'fleet.read' },
    params: uploadIdParams,
    handle: async (ctx, { params }) => {
      sendXlsx(ctx.res, await ctx.tenant((trx) => uploadErrorsFile(trx, ctx.account!.id, params.uploadId)));
      return {};
    },
  }),
  defineRoute({
    method: 'post',
    path: '/uploads/:uploadId/apply',
    responses: { 200: json(appliedUploadAnswer) },
    tag: 'fleet',
    summary:
      'Apply a previewed upload in one transaction; applying it again changes nothing; 409 when the fleet changed since the preview',
    access: { kind: 'account', permission: 'fleet.write' },
    params: uploadIdParams,
    body: z.object({ skipInvalidRows: z.boolean().optional() }).strict(),
    handle: async (ctx, { params, body }) => {
      const result = await ctx.tenant((trx) =>
        applyUpload(trx, ctx.account!.id, params.uploadId, actorOf(ctx), {
          skipInvalidRows: body.skipInvalidRows ?? false,
        }),
      );
      if (result.outcome === 'stale') {
        return {
          status: 409,
          body: envelope(
            'upload.stale',
            'the fleet has changed since this preview; the diff has been recomputed — check it and apply again',
            { upload: result.report },
            ctx.req,
          ),
        };
      }
      return { body: { outcome: result.outcome, ...result.report } };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/vehicles',
    responses: { 200: json(vehiclesAnswer) },
    tag: 'fleet',
    summary:
      'Vehicles of the account, a page at a time; q finds a plate in any written form, or a registration number, VIN or label; costCentre keeps one cost centre (exact)',
    access: { kind: 'account', permission: 'fleet.read' },
    query: z.object({
      q: z.string().max(100).optional(),
      status: z.enum(['active', 'removed', 'all']).default('active'),
      costCentre: z.string().trim().min(1).max(200).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
      after: idParam.optional(),
    }),
    handle: async (ctx, { query }) => ({
      body: await ctx.tenant((trx) => searchVehicles(trx, ctx.account!.id, query)),
    }),
  }),
  defineRoute({
    method: 'get',
    path: '/vehicles/:vehicleId',
    responses: { 200: json(vehicleAnswer) },
    tag: 'fleet',
    summary: 'One vehicle of the account',
    access: { kind: 'account', permission: 'fleet.read' },
    params: z.object({ vehicleId: idParam }),
    handle: async (ctx, { params }) => ({
      body: await ctx.tenant((trx) => getVehicle(trx, ctx.account!.id, params.vehicleId)),
    }),
  }),
];
