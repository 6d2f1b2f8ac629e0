import { z } from 'zod';
import { id, nextCursor, timestamp } from '../http/answers.ts';

const channel = z.enum(['email', 'sms', 'webhook']);
const language = z.enum(['ar', 'en']);

const recipient = {
  id,
  channel,
  role: z.string().nullable().describe('members of this role, or null for the address'),
  address: z.string().nullable(),
  language,
};

export const alertSettingsAnswer = z.object({
  horizonDays: z.number().int(),
  dailyAllClear: z.boolean(),
  quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
  recipients: z.array(z.object({ ...recipient, hasSecret: z.boolean(), createdAt: timestamp })),
});

export const addedRecipientAnswer = z.object({
  ...recipient,
  secret: z.string().nullable().describe("a webhook's signing secret, shown only here"),
});

export const testSentAnswer = z.object({ digests: z.number().int() });

export const outboxAnswer = z.object({
  digests: z.array(
    z.object({
      id,
      runId: id.nullable(),
      kind: z.string(),
      channel,
      destination: z.string(),
      language,
      idempotencyKey: z.string(),
      status: z.enum(['pending', 'sending', 'sent', 'dead']),
      attempts: z.number().int(),
      nextAttemptAt: timestamp.nullable(),
      lastError: z.string().nullable().describe('why the last attempt failed, as stored (English)'),
      lastErrorAr: z
        .string()
        .nullable()
        .describe('the reason in Arabic, from the catalogue (as stored where none words it)'),
      sentAt: timestamp.nullable(),
      createdAt: timestamp,
      events: z.record(z.string(), z.unknown()).describe('what the digest tells: counts and amounts'),
      history: z.array(
        z.object({
          at: z.string(),
          attempt: z.number().int(),
          outcome: z.string(),
          error: z.string().nullable().describe('why the attempt failed, as stored (English)'),
          errorAr: z
            .string()
            .nullable()
            .describe('the reason in Arabic, from the catalogue (as stored where none words it)'),
        }),
      ),
    }),
  ),
  nextCursor,
});

export const resentAnswer = z.object({ id, status: z.literal('pending') });

export const inboxAnswer = z.object({
  email: z.array(
    z.object({
      messageId: z.string(),
      accountId: id,
      from: z.string(),
      to: z.string(),
      subject: z.string(),
      language: z.string(),
      text: z.string(),
      html: z.string(),
      receivedAt: timestamp,
    }),
  ),
  sms: z.array(
    z.object({
      reference: z.string(),
      accountId: id,
      to: z.string(),
      text: z.string(),
      encoding: z.string(),
      segments: z.number().int(),
      deliveries: z.number().int(),
      receivedAt: timestamp,
    }),
  ),
});
