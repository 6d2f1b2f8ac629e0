import path from 'node:path';
import { type SmsStub, startSmsStub } from '../../fixtures/sms/stub.ts';
import { reasonText } from '../i18n/reasons.ts';
import type { Logger } from '../logger.ts';
import type { AlertsConfig, RetryPolicy } from './alerts.settings.ts';
import type { AlertChannel, AlertChannels } from './channels/channel.ts';
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

/** A channel nobody configured: each digest on it is refused with the setting to give (and dead-lettered, shown). */
function unconfigured(reason: 'delivery.no_smtp' | 'delivery.no_sms_provider'): AlertChannel {
  return {
    async send() {
      throw new Error(reasonText(reason));
    },
  };
}

/**
 * The channels of a worker. Where no SMTP server or SMS provider is configured on the quick start
 * (`local`: the embedded database or demo data), the product runs its own: an SMTP server on
 * localhost that keeps what it receives, and the SMS provider stub; both keep messages under the
 * data folder, where the app reads them. Elsewhere a channel left unconfigured refuses its digests
 * with the reason, so owners see it instead of mail that silently goes nowhere.
 */
export async function startAlertDelivery(
  config: AlertsConfig,
  dataDir: string,
  baseUrl: string,
  log: Logger,
  local: boolean,
): Promise<AlertDelivery> {
  let mailbox: LocalMailbox | undefined;
  let smsStub: SmsStub | undefined;
  let smtpUrl = config.smtpUrl;
  if (!smtpUrl && local) {
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
  if (!smsUrl && local) {
    smsStub = await startSmsStub({ dir: localSmsDir(dataDir) });
    smsUrl = smsStub.url;
    log.warn({ url: smsUrl }, 'ALERTS_SMS_URL is not set: alert SMS go to the built-in provider stub');
  }
  const email = smtpUrl
    ? createEmailChannel({ smtpUrl, from: config.from, timeoutMs: config.timeoutMs })
    : unconfigured('delivery.no_smtp');
  const channels: AlertChannels = {
    email,
    sms: smsUrl
      ? createSmsChannel({
          url: smsUrl,
          ...(config.smsApiKey ? { apiKey: config.smsApiKey } : {}),
          timeoutMs: config.timeoutMs,
          maxSegments: config.smsMaxSegments,
        })
      : unconfigured('delivery.no_sms_provider'),
    webhook: createWebhookChannel({ timeoutMs: config.timeoutMs, allowPrivate: config.webhookAllowPrivate }),
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
