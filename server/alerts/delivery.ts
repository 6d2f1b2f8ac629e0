import path from 'node:path';
import { type SmsStub, startSmsStub } from '../../fixtures/sms/stub.ts';
import type { Logger } from '../logger.ts';
import type { AlertsConfig, RetryPolicy } from './alerts.settings.ts';
import type { AlertChannels } from './channels/channel.ts';
import { createEmailChannel } from './channels/email.ts';
import { createSmsChannel } from './channels/sms.ts';
import { createWebhookChannel } from './channels/webhook.ts';
import { type LocalMailbox, startLocalMailbox } from './local-mailbox.ts';

/** What the delivery job needs: the channels, the retry policy and the product's address for links. */
export interface AlertDelivery {
  channels: AlertChannels;
  retry: RetryPolicy;
  baseUrl: string;
  close(): Promise<void>;
}

export const localMailDir = (dataDir: string) => path.join(dataDir, 'alerts', 'mail');
export const localSmsDir = (dataDir: string) => path.join(dataDir, 'alerts', 'sms');

/**
 * The channels of a worker. Where no SMTP server or SMS provider is configured (the quick start),
 * the product runs its own: an SMTP server on localhost that keeps what it receives, and the SMS
 * provider stub; both keep messages under the data folder, where the app reads them.
 */
export async function startAlertDelivery(
  config: AlertsConfig,
  dataDir: string,
  baseUrl: string,
  log: Logger,
): Promise<AlertDelivery> {
  let mailbox: LocalMailbox | undefined;
  let smsStub: SmsStub | undefined;
  let smtpUrl = config.smtpUrl;
  if (!smtpUrl) {
    const dir = localMailDir(dataDir);
    mailbox = await startLocalMailbox({ dir, port: config.localSmtpPort }).catch(
      (error: { code?: string }) => {
        // Another process of the product holds the usual port: any free one will do.
        if (error.code !== 'EADDRINUSE') throw error;
        return startLocalMailbox({ dir, port: 0 });
      },
    );
    smtpUrl = mailbox.url;
    log.warn({ url: smtpUrl, dir }, 'ALERTS_SMTP_URL is not set: alert email goes to the local mailbox');
  }
  let smsUrl = config.smsUrl;
  if (!smsUrl) {
    smsStub = await startSmsStub({ dir: localSmsDir(dataDir) });
    smsUrl = smsStub.url;
    log.warn({ url: smsUrl }, 'ALERTS_SMS_URL is not set: alert SMS go to the built-in provider stub');
  }
  const email = createEmailChannel({ smtpUrl, from: config.from, timeoutMs: config.timeoutMs });
  const channels: AlertChannels = {
    email,
    sms: createSmsChannel({
      url: smsUrl,
      ...(config.smsApiKey ? { apiKey: config.smsApiKey } : {}),
      timeoutMs: config.timeoutMs,
      maxSegments: config.smsMaxSegments,
    }),
    webhook: createWebhookChannel({ timeoutMs: config.timeoutMs }),
  };
  return {
    channels,
    retry: config.retry,
    baseUrl,
    async close() {
      await email.close?.();
      await mailbox?.close();
      await smsStub?.close();
    },
  };
}
