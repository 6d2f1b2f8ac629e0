import { reasonText } from '../../i18n/reasons.ts';
import { smsText } from '../sms-text.ts';
import { type AlertChannel, replyExcerpt } from './channel.ts';

export interface SmsSettings {
  /** The provider's send endpoint: POST JSON { to, text, reference }. */
  url: string;
  apiKey?: string;
  timeoutMs: number;
  /** The most parts one digest may take; longer ones are cut and end with the link. */
  maxSegments: number;
}

/**
 * SMS through an HTTP provider: the digest cut to the length rules (GSM-7 or UCS-2 parts), with
 * the idempotency key as the provider's reference and `Idempotency-Key` header.
 */
export function createSmsChannel(settings: SmsSettings): AlertChannel {
  return {
    async send(alert) {
      const { text, size } = smsText(alert.lines, alert.link, settings.maxSegments);
      const res = await fetch(settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': alert.idempotencyKey,
          ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
        },
        body: JSON.stringify({
          to: alert.destination,
          text,
          encoding: size.encoding,
          segments: size.segments,
          reference: alert.idempotencyKey,
          accountId: alert.accountId,
        }),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      if (!res.ok)
        throw new Error(
          reasonText('delivery.sms_answered', { status: res.status, detail: await replyExcerpt(res) }),
        );
    },
  };
}
