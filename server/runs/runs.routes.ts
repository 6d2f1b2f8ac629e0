import { z } from 'zod';
import { receiveUpload } from '../fleet/upload-receive.ts';
import { eventStream, json } from '../http/answers.ts';
import { envelope } from '../http/errors.ts';
import { actingParty, defineRoute, idParam } from '../http/routes.ts';
import { issueDetails, schemaMessage } from '../i18n/issues.ts';
import { accountDashboard } from './dashboard.service.ts';
import { abortRun } from './run-ending.service.ts';
import { runImportLimits } from './run-imports.service.ts';
import {
  getRun,
  importRun,
  listAccountRuns,
  listChanges,
  listVehicleSummaries,
  startManualRun,
} from './runs.present.ts';
import {
  abortedRunAnswer,
  dashboardAnswer,
  importedRunAnswer,
  runAnswer,
  runChangesAnswer,
  runDetailAnswer,
  runsAnswer,
  runVehiclesAnswer,
} from './runs.schemas.ts';

const runIdParams = z.object({ runId: idParam });
const changeKinds = [
  'new',
  'unchanged',
  'escalated',
  'reduced',
  'settled',
  'cancelled',
  'reappeared',
  'moved',
  'stale',
] as const;
const coversAllPlates = z
  .enum(['true', 'false'], { message: schemaMessage('requests.covers_all_plates') })
  .optional()
  .transform((value) => value === 'true');
/** Waits `ms`, or less when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

const limit = z.coerce.number().int().min(1).max(1000).default(200);

export const runRoutes = [
  defineRoute({
    method: 'get',
    path: '/dashboard',
    responses: { 200: json(dashboardAnswer) },
    tag: 'runs',
    summary:
      'The account at a glance: outstanding now, the last run and its changes, the run in progress, the next nightly run, the next escalation deadlines (amount at stake, what paying now saves), open exceptions, outstanding after each of the last nights',
    access: { kind: 'account', permission: 'fleet.read' },
    handle: async (ctx) => ({
      body: await ctx.tenant((trx) => accountDashboard(trx, ctx.account!.id, new Date())),
    }),
  }),
  defineRoute({
    method: 'post',
    path: '/runs',
    responses: { 202: json(runAnswer, 'started') },
    tag: 'runs',
    summary: 'Start a manual run now (409 with the running run id if one is going)',
    access: { kind: 'account', permission: 'runs.start' },
    handle: async (ctx) => {
      const requestedBy = actingParty(ctx).userId;
      const run = await ctx.tenant((trx) =>
        startManualRun(trx, ctx.queue, ctx.account!.id, requestedBy, ctx.config.runs),
      );
      await ctx.audit({ accountId: ctx.account!.id, action: 'run.started', target: `run:${run.id}` });
      return { status: 202, body: run };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/runs/import',
    responses: { 202: json(importedRunAnswer, 'started') },
    tag: 'runs',
    summary:
      'Start a run answered by an authority\'s bulk export (multipart: CSV or XLSX in "file", optional coversAllPlates=true): the whole file is validated first and a bad one starts nothing; 409 with the running run id if one is going',
    access: { kind: 'account', permission: 'runs.start' },
    multipart: { fields: { coversAllPlates } },
    handle: async (ctx) => {
      const received = await receiveUpload(ctx.req, runImportLimits.maxBytes, {
        formHint: 'with the optional form field "coversAllPlates"',
      });
      const covers = coversAllPlates.safeParse(received.fields.coversAllPlates);
      if (!covers.success) {
        return {
          status: 400,
          body: envelope(
            'invalid_request',
            'the form field "coversAllPlates" must be "true" or "false"',
            issueDetails(covers.error.issues, 'coversAllPlates'),
            ctx.req,
          ),
        };
      }
      const requestedBy = actingParty(ctx).userId;
      const run = await importRun(
        ctx.tenant,
        ctx.queue,
        ctx.account!.id,
        requestedBy,
        received,
        covers.data,
        ctx.config.runs,
      );
      await ctx.audit({
        accountId: ctx.account!.id,
        action: 'run.imported',
        target: `run:${run.id}`,
        details: { fileName: run.import.fileName, sha256: run.import.sha256, coversAllPlates: covers.data },
      });
      return { status: 202, body: run };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/runs',
    responses: { 200: json(runsAnswer) },
    tag: 'runs',
    summary: 'Runs of the account, newest first',
    access: { kind: 'account', permission: 'fleet.read' },
    query: z.object({ limit: limit.pipe(z.number().max(200)), before: idParam.optional() }).strict(),
    handle: async (ctx, { query }) => ({
      body: { runs: await ctx.tenant((trx) => listAccountRuns(trx, ctx.account!.id, query)) },
    }),
  }),
  defineRoute({
    method: 'get',
    path: '/runs/:runId',
    responses: { 200: json(runDetailAnswer) },
    tag: 'runs',
    summary: 'One run: stage, progress (done/total), summary, failed vehicles',
    access: { kind: 'account', permission: 'fleet.read' },
    params: runIdParams,
    handle: async (ctx, { params }) => ({
      body: await ctx.tenant((trx) => getRun(trx, ctx.account!.id, params.runId)),
    }),
  }),
  defineRoute({
    method: 'post',
    path: '/runs/:runId/abort',
    responses: { 200: json(abortedRunAnswer) },
    tag: 'runs',
    summary:
      'Abort a run that has not ended (owners): its pending lookups fail and it ends `failed`; 409 if it has ended',
    access: { kind: 'account', permission: 'runs.abort' },
    params: runIdParams,
    handle: async (ctx, { params }) => {
      const accountId = ctx.account!.id;
      const run = await ctx.tenant(async (trx) => {
        const aborted = await abortRun(trx, ctx.queue, accountId, params.runId);
        return { ...(await getRun(trx, accountId, params.runId)), abortedFrom: aborted.previousStatus };
      });
      await ctx.audit({
        accountId,
        action: 'run.aborted',
        target: `run:${params.runId}`,
        details: { previousStatus: run.abortedFrom },
      });
      return { body: run };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/runs/:runId/events',
    responses: {
      200: eventStream(
        '`progress` events carrying the run as GET /runs/{runId} answers it, then one `end` event',
      ),
    },
    tag: 'runs',
    summary: "A live event stream (text/event-stream) of the run's progress until it ends",
    access: { kind: 'account', permission: 'fleet.read' },
    params: runIdParams,
    handle: async (ctx, { params }) => {
      const accountId = ctx.account!.id;
      const first = await ctx.tenant((trx) => getRun(trx, accountId, params.runId));
      const principal = ctx.principal!;
      const owner = principal.kind === 'token' ? `token:${principal.tokenId}` : `user:${principal.userId}`;
      const stream = ctx.streams.open(owner);
      const { res, req } = ctx;
      try {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
        let closed = false;
        req.on('close', () => {
          closed = true;
        });
        let last = '';
        let run = first;
        for (;;) {
          const text = JSON.stringify(run);
          if (text !== last) {
            res.write(`event: progress\ndata: ${text}\n\n`);
            last = text;
          }
          if (closed || stream.signal.aborted || ['done', 'partial', 'failed'].includes(run.status)) break;
          await pause(500, stream.signal);
          if (stream.signal.aborted) break;
          run = await ctx.tenant((trx) => getRun(trx, accountId, params.runId));
        }
        // On shutdown the stream ends saying so; an EventSource then reconnects (to another process).
        if (!closed) {
          res.end(
            stream.signal.aborted
              ? 'event: end\ndata: {"reason":"shutdown"}\n\n'
              : 'event: end\ndata: {}\n\n',
          );
        }
      } finally {
        stream.done();
      }
      return {};
    },
  }),
  defineRoute({
    method: 'get',
    path: '/runs/:runId/changes',
    responses: { 200: json(runChangesAnswer) },
    tag: 'runs',
    summary: 'What the run concluded per violation; filter by change and vehicle, page with `after`',
    access: { kind: 'account', permission: 'fleet.read' },
    params: runIdParams,
    query: z
      .object({
        change: z.enum(changeKinds).optional(),
        vehicleId: idParam.optional(),
        after: z.string().max(100).optional(),
        limit,
      })
      .strict(),
    handle: async (ctx, { params, query }) => ({
      body: await ctx.tenant((trx) => listChanges(trx, ctx.account!.id, params.runId, query)),
    }),
  }),
  defineRoute({
    method: 'get',
    path: '/runs/:runId/vehicles',
    responses: { 200: json(runVehiclesAnswer) },
    tag: 'runs',
    summary:
      "The run per vehicle: the lookup's outcome, what the authority answered (violations, outstanding and its amount) and the vehicle's changes totalled per change; filter by lookup status, page with `after`",
    access: { kind: 'account', permission: 'fleet.read' },
    params: runIdParams,
    query: z
      .object({
        status: z.enum(['pending', 'ok', 'not_found', 'failed']).optional(),
        after: idParam.optional(),
        limit,
      })
      .strict(),
    handle: async (ctx, { params, query }) => ({
      body: await ctx.tenant((trx) => listVehicleSummaries(trx, ctx.account!.id, params.runId, query)),
    }),
  }),
];
