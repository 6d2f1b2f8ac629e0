import { z } from 'zod';
import type { DocumentFormat } from '../documents/documents.repo.ts';
import { contentDisposition, downloadDocument } from '../documents/documents.service.ts';
import { sendDocument } from '../documents/send.ts';
import { file, json, XLSX_TYPE } from '../http/answers.ts';
import { actingParty, defineRoute, idParam, type RouteDef } from '../http/routes.ts';
import { schemaMessage } from '../i18n/issues.ts';
import { renderingAnswer } from './statements.schemas.ts';
import { accountTimeZone, findRunStatement } from './statements.service.ts';
import { vehicleStatementDownload } from './vehicle-statement.ts';
import { violationsCsv } from './violations-csv.ts';

export const langQuery = z
  .object({
    lang: z.enum(['ar', 'en'], { message: schemaMessage('requests.document_language') }).default('ar'),
  })
  .strict();

const actorOf = actingParty;

const RETRY_AFTER_SECONDS = 5;

const runStatementRoute = (format: DocumentFormat): RouteDef =>
  defineRoute({
    method: 'get',
    path: `/runs/:runId/statement.${format}`,
    responses: {
      200: file('the statement', format === 'pdf' ? 'application/pdf' : XLSX_TYPE),
      202: json(renderingAnswer, 'not rendered yet: poll again'),
    },
    tag: 'statements',
    summary: `The run's statement as ${format.toUpperCase()} (?lang=ar|en, Arabic by default), byte-identical on every download; 202 with where to poll while it is being rendered`,
    access: { kind: 'account', permission: 'money.read' },
    params: z.object({ runId: idParam }),
    query: langQuery,
    handle: async (ctx, { params, query }) => {
      const accountId = ctx.account!.id;
      const found = await ctx.tenant(async (trx) => {
        const statement = await findRunStatement(trx, accountId, params.runId, format, query.lang);
        if ('pending' in statement) return statement;
        return { download: await downloadDocument(trx, accountId, statement.document!, actorOf(ctx)) };
      });
      if ('download' in found) {
        sendDocument(ctx.res, found.download);
        return {};
      }
      ctx.res.set({ 'retry-after': String(RETRY_AFTER_SECONDS), location: ctx.req.originalUrl });
      return {
        status: 202,
        body: {
          status: 'rendering',
          run: found.pending,
          poll: ctx.req.originalUrl,
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        },
      };
    },
  });

export const statementRoutes: RouteDef[] = [
  runStatementRoute('xlsx'),
  runStatementRoute('pdf'),
  defineRoute({
    method: 'get',
    path: '/vehicles/:vehicleId/statement.pdf',
    responses: { 200: file('the statement', 'application/pdf') },
    tag: 'statements',
    summary:
      "One vehicle's statement (?lang=ar|en): its outstanding violations and their history, as of the account's last finished run; the same bytes until another run finishes",
    access: { kind: 'account', permission: 'money.read' },
    params: z.object({ vehicleId: idParam }),
    query: langQuery,
    handle: async (ctx, { params, query }) => {
      const download = await ctx.tenant((trx) =>
        vehicleStatementDownload(
          trx,
          ctx.account!.id,
          params.vehicleId,
          query.lang,
          actorOf(ctx),
          new Date(),
        ),
      );
      sendDocument(ctx.res, download);
      return {};
    },
  }),
  defineRoute({
    method: 'get',
    path: '/violations.csv',
    responses: { 200: file('the violations', 'text/csv') },
    tag: 'statements',
    summary:
      "The account's violations as CSV for ERP import (UTF-8, CRLF, formulas escaped); filter by state",
    access: { kind: 'account', permission: 'money.read' },
    query: z.object({ state: z.enum(['outstanding', 'settled', 'cancelled']).optional() }).strict(),
    handle: async (ctx, { query }) => {
      const accountId = ctx.account!.id;
      await ctx.tenant(async (trx) => {
        const zone = await accountTimeZone(trx, accountId);
        ctx.res.status(200).set({
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': contentDisposition(`violations_${accountId}_${query.state ?? 'all'}.csv`),
          'cache-control': 'private, no-store',
        });
        for await (const chunk of violationsCsv(trx, accountId, zone, query.state)) ctx.res.write(chunk);
      });
      ctx.res.end();
      await ctx.audit({ accountId, action: 'violations.exported', details: { state: query.state ?? null } });
      return {};
    },
  }),
];
