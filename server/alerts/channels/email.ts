import nodemailer from 'nodemailer';
import type { AlertChannel } from './channel.ts';

export interface EmailSettings {
  /** smtp://[user:pass@]host:port (STARTTLS when offered) or smtps://… (TLS from the start). */
  smtpUrl: string;
  from: string;
  timeoutMs: number;
}

/**
 * Email over SMTP with nodemailer: an HTML part (dir=rtl for Arabic) and a plain-text part, the
 * idempotency key as Message-ID and in its own header, so a mailbox can drop a second delivery.
 */
export function createEmailChannel(settings: EmailSettings): AlertChannel {
  const url = new URL(settings.smtpUrl);
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 587)),
    secure: url.protocol === 'smtps:',
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    connectionTimeout: settings.timeoutMs,
    greetingTimeout: settings.timeoutMs,
    socketTimeout: settings.timeoutMs,
  });
  return {
    async send(alert) {
      await transport.sendMail({
        from: settings.from,
        to: alert.destination,
        subject: alert.subject,
        text: alert.text,
        html: alert.html,
        messageId: `<${alert.idempotencyKey}@alerts.fleet-fines>`,
        headers: {
          'Idempotency-Key': alert.idempotencyKey,
          'X-Fleet-Account': alert.accountId,
          'Content-Language': alert.language,
        },
      });
    },
    async close() {
      transport.close();
    },
  };
}
