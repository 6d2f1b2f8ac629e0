import { Webhook } from 'standardwebhooks';
import { type AlertChannel, replyExcerpt } from './channel.ts';

export interface WebhookSettings {
  timeoutMs: number;
  /** The signing time (webhook-timestamp): the real clock, which receivers compare with theirs. */
  clock?: () => Date;
}

/**
 * Webhooks per Standard Webhooks: JSON signed by the `standardwebhooks` package with the
 * endpoint's own secret (webhook-id = the idempotency key, so a replay is recognisable by it;
 * webhook-timestamp; webhook-signature). A 2xx answer within the timeout is a delivery;
 * redirects are not followed.
 */
export function createWebhookChannel(settings: WebhookSettings): AlertChannel {
  const clock = settings.clock ?? (() => new Date());
  return {
    async send(alert) {
      if (!alert.secret) throw new Error('the webhook endpoint has no signing secret');
      const at = clock();
      const signature = new Webhook(alert.secret).sign(alert.idempotencyKey, at, alert.json);
      const res = await fetch(alert.destination, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          'webhook-id': alert.idempotencyKey,
          'webhook-timestamp': Math.floor(at.getTime() / 1000).toString(),
          'webhook-signature': signature,
        },
        body: alert.json,
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      if (res.status < 200 || res.status > 299) {
        throw new Error(`the endpoint answered ${res.status}: ${await replyExcerpt(res)}`);
      }
      await res.body?.cancel();
    },
  };
}
