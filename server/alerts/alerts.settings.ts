import path from 'node:path';
import { z } from 'zod';

/** The outbox's delivery job: drains due digests (one account's when named, else every account's). */
export const ALERTS_DELIVER_QUEUE = 'alerts.deliver';

const positive = z.coerce.number().int().positive();
const env = z.object({
  ALERTS_SMTP_URL: z
    .string()
    .refine((v) => /^smtps?:\/\//.test(v) && URL.canParse(v), 'must be an smtp:// or smtps:// URL')
    .optional(),
  ALERTS_SMS_URL: z
    .string()
    .refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), 'must be an http(s) URL')
    .optional(),
  ALERTS_SMS_API_KEY: z.string().min(1).optional(),
  ALERTS_FROM: z.string().min(3).default('Fleet fines alerts <alerts@fleet-fines.localhost>'),
  ALERTS_TIMEOUT_MS: positive.default(10_000),
  ALERTS_MAX_ATTEMPTS: positive.default(8),
  ALERTS_RETRY_BASE_SECONDS: positive.default(30),
  ALERTS_RETRY_MAX_SECONDS: positive.default(3600),
  ALERTS_SMS_MAX_SEGMENTS: positive.max(10).default(3),
  ALERTS_LOCAL_SMTP_PORT: z.coerce.number().int().min(0).max(65535).default(2525),
});

export interface AlertsConfig {
  /** Where email goes; unset on the quick start, where the product's own SMTP server keeps it. */
  smtpUrl: string | undefined;
  smsUrl: string | undefined;
  smsApiKey: string | undefined;
  from: string;
  timeoutMs: number;
  retry: RetryPolicy;
  smsMaxSegments: number;
  localSmtpPort: number;
  /** The quick start's mailbox and SMS record (files), viewable in the app. */
  localInboxDir: string;
}

export interface RetryPolicy {
  maxAttempts: number;
  baseSeconds: number;
  maxSeconds: number;
}

/** The alerts' settings, from the environment (the product's data folder holds the local inbox). */
export function alertsConfig(source: NodeJS.ProcessEnv, dataDir: string): AlertsConfig {
  const e = env.parse(source);
  return {
    smtpUrl: e.ALERTS_SMTP_URL,
    smsUrl: e.ALERTS_SMS_URL,
    smsApiKey: e.ALERTS_SMS_API_KEY,
    from: e.ALERTS_FROM,
    timeoutMs: e.ALERTS_TIMEOUT_MS,
    retry: {
      maxAttempts: e.ALERTS_MAX_ATTEMPTS,
      baseSeconds: e.ALERTS_RETRY_BASE_SECONDS,
      maxSeconds: e.ALERTS_RETRY_MAX_SECONDS,
    },
    smsMaxSegments: e.ALERTS_SMS_MAX_SEGMENTS,
    localSmtpPort: e.ALERTS_LOCAL_SMTP_PORT,
    localInboxDir: path.join(dataDir, 'alerts'),
  };
}

/** After failed attempt `attempt` (1-based): when to try again, doubling from the base up to the cap; null past the limit. */
export function retryAt(now: Date, attempt: number, policy: RetryPolicy): Date | null {
  if (attempt >= policy.maxAttempts) return null;
  const seconds = Math.min(policy.baseSeconds * 2 ** (attempt - 1), policy.maxSeconds);
  return new Date(now.getTime() + seconds * 1000);
}
