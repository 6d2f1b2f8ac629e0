import { z } from 'zod';
import { empty, json } from '../http/answers.ts';
import { defineRoute, idParam } from '../http/routes.ts';
import { schemaMessage } from '../i18n/issues.ts';
import {
  addedRecipientAnswer,
  alertSettingsAnswer,
  inboxAnswer,
  outboxAnswer,
  resentAnswer,
  testSentAnswer,
} from './alerts.schemas.ts';
import {
  addRecipient,
  alertSettings,
  listOutbox,
  removeRecipient,
  resendDigest,
  saveAlertSettings,
  testSend,
} from './alerts.service.ts';
import { localMailDir, localSmsDir } from './delivery.ts';
import { readJsonFiles, readKeptMail } from './local-mailbox.ts';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, schemaMessage('requests.local_time_range'));

export const alertRoutes = [
  defineRoute({
    method: 'get',
    path: '/alerts/settings',
    responses: { 200: json(alertSettingsAnswer) },
    tag: 'alerts',
    summary: "The account's alert settings: horizon, daily all-clear, quiet hours and recipients",
    access: { kind: 'account', permission: 'account.manage' },
    handle: async (ctx) => ({ body: await ctx.tenant((trx) => alertSettings(trx, ctx.account!.id)) }),
  }),
  defineRoute({
    method: 'put',
    path: '/alerts/settings',
    responses: { 200: json(alertSettingsAnswer) },
    tag: 'alerts',
    summary:
      'Sets the deadline horizon (days, default 7), the nightly all-clear and quiet hours (local HH:MM in the account zone; email and SMS wait until they end)',
    access: { kind: 'account', permission: 'account.manage' },
    body: z
      .object({
        horizonDays: z
          .number()
          .int()
          .min(1, schemaMessage('requests.days_at_least', { count: 1 }))
          .max(60, schemaMessage('requests.days_at_most', { count: 60 })),
        dailyAllClear: z.boolean(),
        quietHours: z.object({ start: hhmm, end: hhmm }).strict().nullable(),
      })
      .strict(),
    handle: async (ctx, { body }) => {
      const saved = await ctx.tenant((trx) => saveAlertSettings(trx, ctx.account!.id, body));
      await ctx.audit({ accountId: ctx.account!.id, action: 'alerts.settings', details: body });
      return { body: saved };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/alerts/recipients',
    responses: { 201: json(addedRecipientAnswer, 'added') },
    tag: 'alerts',
    summary:
      "Adds a recipient: every member with a role (email), or one address — an email, an international phone number (SMS) or an https webhook URL; a webhook's signing secret is answered once",
    access: { kind: 'account', permission: 'account.manage' },
    body: z
      .object({
        channel: z.enum(['email', 'sms', 'webhook']),
        role: z.enum(['owner', 'fleet_admin', 'accountant', 'viewer']).optional(),
        address: z.string().max(2000).optional(),
        language: z.enum(['ar', 'en']).default('ar'),
      })
      .strict()
      .refine((b) => (b.role === undefined) !== (b.address === undefined), {
        message: schemaMessage('requests.role_or_address'),
        path: ['address'],
      }),
    handle: async (ctx, { body }) => {
      const added = await ctx.tenant((trx) =>
        addRecipient(trx, ctx.account!.id, body, {
          allowPrivateWebhooks: ctx.config.alerts.webhookAllowPrivate,
        }),
      );
      await ctx.audit({
        accountId: ctx.account!.id,
        action: 'alerts.recipient_added',
        target: added.id,
        details: { channel: added.channel, role: added.role, address: added.address },
      });
      return { status: 201, body: added };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/alerts/recipients/:recipientId',
    responses: { 204: empty },
    tag: 'alerts',
    summary: 'Stops alerts to a recipient (its past digests stay in the outbox)',
    access: { kind: 'account', permission: 'account.manage' },
    params: z.object({ recipientId: idParam }),
    handle: async (ctx, { params }) => {
      await ctx.tenant((trx) => removeRecipient(trx, ctx.account!.id, params.recipientId));
      await ctx.audit({
        accountId: ctx.account!.id,
        action: 'alerts.recipient_removed',
        target: params.recipientId.toString(),
      });
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/alerts/recipients/:recipientId/test',
    responses: { 202: json(testSentAnswer, 'queued') },
    tag: 'alerts',
    summary: 'Sends a test alert to a recipient through the outbox (see it there, with its outcome)',
    access: { kind: 'account', permission: 'account.manage' },
    params: z.object({ recipientId: idParam }),
    handle: async (ctx, { params }) => ({
      status: 202,
      body: await ctx.tenant((trx) => testSend(trx, ctx.queue, ctx.account!.id, params.recipientId)),
    }),
  }),
  defineRoute({
    method: 'get',
    path: '/alerts/outbox',
    responses: { 200: json(outboxAnswer) },
    tag: 'alerts',
    summary:
      'Alert digests newest first, with status (pending, sending, sent, dead), attempts and each attempt’s outcome; page with `before` (nextCursor)',
    access: { kind: 'account', permission: 'account.manage' },
    query: z
      .object({
        status: z.enum(['pending', 'sending', 'sent', 'dead']).optional(),
        runId: idParam.optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: idParam.optional(),
      })
      .strict(),
    handle: async (ctx, { query }) => ({
      body: await ctx.tenant((trx) =>
        listOutbox(trx, ctx.account!.id, {
          limit: query.limit,
          ...(query.status ? { status: query.status } : {}),
          ...(query.runId !== undefined ? { runId: query.runId } : {}),
          ...(query.before !== undefined ? { before: query.before } : {}),
        }),
      ),
    }),
  }),
  defineRoute({
    method: 'post',
    path: '/alerts/outbox/:digestId/resend',
    responses: { 202: json(resentAnswer, 'queued') },
    tag: 'alerts',
    summary: 'Sends a sent or dead-lettered digest again, with the same idempotency key',
    access: { kind: 'account', permission: 'account.manage' },
    params: z.object({ digestId: idParam }),
    handle: async (ctx, { params }) => {
      const body = await ctx.tenant((trx) =>
        resendDigest(trx, ctx.queue, ctx.account!.id, params.digestId, new Date()),
      );
      await ctx.audit({
        accountId: ctx.account!.id,
        action: 'alerts.resend',
        target: params.digestId.toString(),
      });
      return { status: 202, body };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/alerts/inbox',
    responses: { 200: json(inboxAnswer) },
    tag: 'alerts',
    summary:
      "Quick start only: the email the product's own local SMTP server kept and the SMS its provider stub received, for this account",
    access: { kind: 'account', permission: 'account.read' },
    query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }).strict(),
    handle: async (ctx, { query }) => {
      const accountId = ctx.account!.id.toString();
      const sms = readJsonFiles<{ accountId: string | null; receivedAt: string }>(
        localSmsDir(ctx.config.dataDir),
      )
        .filter((s) => s.accountId === accountId)
        .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt))
        .slice(0, query.limit);
      return { body: { email: readKeptMail(localMailDir(ctx.config.dataDir), accountId, query.limit), sms } };
    },
  }),
];
