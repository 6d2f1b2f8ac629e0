import { z } from 'zod';
import { IssuanceUnavailableError } from '../authority/issuance-client.ts';
import { withTenant } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { json } from '../http/answers.ts';
import { actingParty, defineRoute, idParam } from '../http/routes.ts';
import { schemaMessage } from '../i18n/issues.ts';
import { bilingual, message } from '../i18n/messages.ts';
import { reasonWords } from '../i18n/reasons.ts';
import { type NotificationNetwork, notificationNetworks } from './network-adapters.ts';
import { paymentNumberKinds, readPaymentNumber } from './payment-number.ts';
import { findNumber, listNumbers, numberLines } from './payment-numbers.repo.ts';
import { issuePaymentNumbers } from './payment-numbers.service.ts';
import { ticketsNotPayable } from './payment-staging.repo.ts';
import { listPayments, paymentOutcomes } from './payments.repo.ts';
import {
  issuedNumbersAnswer,
  networkSecretAnswer,
  notificationAnswer,
  paymentNumberAnswer,
  paymentNumbersAnswer,
  paymentsAnswer,
} from './payments.schemas.ts';
import { presentPayment, receiveNotification, rotateNetworkSecret } from './payments.service.ts';
import { presentNumber } from './present-number.ts';
import { settlementRoute } from './settlements.routes.ts';

const limit = z.coerce.number().int().min(1).max(500).default(50);
const ticket = z.string().min(1).max(64);

const selectionSchema = z.discriminatedUnion('scope', [
  z.strictObject({ scope: z.literal('account') }),
  z.strictObject({ scope: z.literal('vehicles'), vehicleIds: z.array(idParam).min(1).max(10_000) }),
  z.strictObject({ scope: z.literal('tickets'), ticketNumbers: z.array(ticket).min(1).max(10_000) }),
  z.strictObject({ scope: z.literal('cost_centre'), costCentre: z.string().min(1).max(200) }),
]);

const numberParam = z.object({
  number: z.string().transform((text, ctx) => {
    const reading = readPaymentNumber(text);
    if (!reading.ok) {
      ctx.addIssue({ code: 'custom', message: schemaMessage(`payments.number_${reading.problem}`) });
      return z.NEVER;
    }
    return reading.number;
  }),
});

export const paymentRoutes = [
  defineRoute({
    method: 'post',
    path: '/payment-numbers',
    responses: {
      201: json(issuedNumbersAnswer, 'numbers issued'),
      200: json(issuedNumbersAnswer, 'the same open numbers, none issued'),
    },
    tag: 'payments',
    summary:
      'Payment numbers for a selection: per vehicle, per violation, or one consolidated; the same set answers the same open number',
    access: { kind: 'account', permission: 'money.write' },
    body: z.strictObject({ kind: z.enum(paymentNumberKinds), selection: selectionSchema }),
    handle: async (ctx, { body }) => {
      if (!ctx.issuer) {
        throw new DomainError('payments.issuer_unavailable', bilingual('payments.issuer_unavailable'), {
          status: 503,
        });
      }
      const selection =
        body.selection.scope === 'vehicles'
          ? { scope: 'vehicles' as const, vehicleIds: body.selection.vehicleIds.map(String) }
          : body.selection;
      try {
        const outcome = await issuePaymentNumbers(ctx.db, ctx.issuer, {
          accountId: ctx.account!.id,
          kind: body.kind,
          selection,
          now: new Date(),
          requestedBy: actingParty(ctx).userId,
        });
        if (outcome.issued > 0) {
          await ctx.audit({
            accountId: ctx.account!.id,
            action: 'payment_numbers.issued',
            target: body.kind,
            details: { issued: outcome.issued, selection: body.selection.scope },
          });
        }
        const { selection: asked } = body;
        const notPayable =
          asked.scope === 'tickets'
            ? await ctx.tenant((trx) => ticketsNotPayable(trx, ctx.account!.id, asked.ticketNumbers))
            : undefined;
        return {
          status: outcome.issued > 0 ? 201 : 200,
          body: {
            paymentNumbers: outcome.numbers.map((n) => presentNumber(n)),
            issued: outcome.issued,
            notPayable,
            refused: outcome.refused.map((r) => ({
              ...r,
              messageAr: reasonWords('ar', 'issuance', r.message),
            })),
          },
        };
      } catch (error) {
        if (error instanceof IssuanceUnavailableError) {
          throw new DomainError(
            'payments.authority_unavailable',
            bilingual('payments.authority_unavailable'),
            {
              status: 502,
              details: {
                reason: error.message,
                reasonAr: reasonWords('ar', 'issuance', error.message),
                messageAr: message('ar', 'payments.authority_unavailable'),
              },
            },
          );
        }
        throw error;
      }
    },
  }),
  defineRoute({
    method: 'get',
    path: '/payment-numbers',
    responses: { 200: json(paymentNumbersAnswer) },
    tag: 'payments',
    summary: 'Payment numbers, newest first; filter by state, kind and vehicle, page with `after`',
    access: { kind: 'account', permission: 'money.read' },
    query: z
      .object({
        state: z.enum(['open', 'paid', 'partially_paid', 'superseded', 'expired']).optional(),
        kind: z.enum(paymentNumberKinds).optional(),
        vehicleId: idParam.optional(),
        after: idParam.optional(),
        limit,
      })
      .strict(),
    handle: async (ctx, { query }) => {
      const rows = await ctx.tenant((trx) => listNumbers(trx, ctx.account!.id, query));
      const page = rows.slice(0, query.limit);
      return {
        body: {
          paymentNumbers: page.map((n) => presentNumber(n)),
          nextCursor: rows.length > query.limit ? page.at(-1)!.id.toString() : null,
        },
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/payment-numbers/:number',
    responses: { 200: json(paymentNumberAnswer) },
    tag: 'payments',
    summary:
      'One payment number with its frozen lines: amounts due now and after the next deadline, per channel',
    access: { kind: 'account', permission: 'money.read' },
    params: numberParam,
    handle: async (ctx, { params }) => ({
      body: await ctx.tenant(async (trx) => {
        const row = await findNumber(trx, ctx.account!.id, params.number);
        if (!row) {
          throw new DomainError('payment_number_not_found', bilingual('payments.number_not_found'), {
            status: 404,
            details: { number: params.number },
          });
        }
        return presentNumber(row, await numberLines(trx, ctx.account!.id, row.id));
      }),
    }),
  }),
  defineRoute({
    method: 'get',
    path: '/payments',
    responses: { 200: json(paymentsAnswer) },
    tag: 'payments',
    summary:
      'Payments received, newest first, each with how it matched; filter by outcome or number, page with `after`',
    access: { kind: 'account', permission: 'money.read' },
    query: z
      .object({
        outcome: z.enum(paymentOutcomes).optional(),
        number: z
          .string()
          .regex(/^[0-9]{10,24}$/)
          .optional(),
        after: idParam.optional(),
        limit,
      })
      .strict(),
    handle: async (ctx, { query }) => {
      const rows = await ctx.tenant((trx) => listPayments(trx, ctx.account!.id, query));
      const page = rows.slice(0, query.limit);
      return {
        body: {
          payments: page.map(presentPayment),
          nextCursor: rows.length > query.limit ? page.at(-1)!.id.toString() : null,
        },
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/payments/notifications',
    responses: { 200: json(notificationAnswer) },
    tag: 'payments',
    summary:
      'Payment notifications from a network (x-payment-network: generic, efawateercom or fawry) for the account in x-account-id, authenticated as that network does (generic and efawateercom: x-payment-timestamp and x-payment-signature v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">; fawry: messageSignature); answered per transaction',
    access: { kind: 'public' },
    handle: async (ctx) => {
      const network = ctx.req.get('x-payment-network') ?? 'generic';
      if (!(notificationNetworks as readonly string[]).includes(network)) {
        throw new DomainError(
          'payment_network_not_found',
          `no notification adapter for network "${network}"`,
          {
            status: 404,
          },
        );
      }
      const account = idParam.safeParse(ctx.req.get('x-account-id') ?? '');
      if (!account.success) {
        throw new DomainError(
          'payments.unsigned',
          'name the account in x-account-id and sign the notification',
          {
            status: 401,
          },
        );
      }
      const rawBody = (ctx.req as unknown as { rawBody?: Buffer }).rawBody;
      if (!rawBody) {
        throw new DomainError('payments.not_json', 'send the notification as application/json', {
          status: 415,
        });
      }
      const body = await withTenant(ctx.db, account.data, (trx) =>
        receiveNotification(trx, ctx.config.secretsKey, account.data, network as NotificationNetwork, {
          headers: {
            timestamp: ctx.req.get('x-payment-timestamp'),
            signature: ctx.req.get('x-payment-signature'),
          },
          rawBody,
          body: ctx.req.body,
          now: new Date(),
        }),
      );
      return { body };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/payments/secrets',
    responses: { 201: json(networkSecretAnswer, 'created') },
    tag: 'payments',
    summary:
      "A new secret for a network's signed notifications (shown once); the previous ones stay valid for overlapSeconds (default a day)",
    access: { kind: 'account', permission: 'money.write' },
    body: z.strictObject({
      network: z.enum(notificationNetworks),
      overlapSeconds: z
        .number()
        .int()
        .min(0)
        .max(7 * 86_400)
        .default(86_400),
    }),
    handle: async (ctx, { body }) => {
      const created = await ctx.tenant((trx) =>
        rotateNetworkSecret(
          trx,
          ctx.config.secretsKey,
          ctx.account!.id,
          body.network,
          new Date(),
          body.overlapSeconds,
        ),
      );
      await ctx.audit({
        accountId: ctx.account!.id,
        action: 'payments.secret_rotated',
        target: body.network,
        details: { overlapSeconds: body.overlapSeconds },
      });
      return { status: 201, body: created };
    },
  }),
  settlementRoute,
];
