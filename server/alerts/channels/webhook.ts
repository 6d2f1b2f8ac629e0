import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { reasonText } from '../../i18n/reasons.ts';
import { pinnedLookup, publicAddresses, urlHost } from '../webhook-address.ts';
import type { AlertChannel } from './channel.ts';

export interface WebhookSettings {
  timeoutMs: number;
  /** Loopback, private, link-local and metadata addresses allowed (ALERTS_WEBHOOK_ALLOW_PRIVATE). */
  allowPrivate: boolean;
  /** The signing time (webhook-timestamp): the real clock, which receivers compare with theirs. */
  clock?: () => Date;
}

/**
 * Webhooks per Standard Webhooks: JSON signed by the `standardwebhooks` package with the
 * endpoint's own secret (webhook-id = the idempotency key, so a replay is recognisable by it;
 * webhook-timestamp; webhook-signature). A 2xx answer within the timeout is a delivery;
 * redirects are not followed. Unless private addresses are allowed, the host is resolved before
 * each send, refused when any of its addresses is private, and the connection goes to the
 * addresses checked.
 */
export function createWebhookChannel(settings: WebhookSettings): AlertChannel {
  const clock = settings.clock ?? (() => new Date());
  return {
    async send(alert) {
      if (!alert.secret) throw new Error(reasonText('delivery.webhook_no_secret'));
      const url = new URL(alert.destination);
      const host = urlHost(url);
      const lookup = settings.allowPrivate ? undefined : pinnedLookup(await publicAddresses(host));
      const at = clock();
      const signature = new Webhook(alert.secret).sign(alert.idempotencyKey, at, alert.json);
      const body = Buffer.from(alert.json);
      const { status, excerpt } = await post(url, {
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          'webhook-id': alert.idempotencyKey,
          'webhook-timestamp': Math.floor(at.getTime() / 1000).toString(),
          'webhook-signature': signature,
        },
        body,
        timeoutMs: settings.timeoutMs,
        // An IP literal is connected to as it is; it was checked as its own address.
        ...(lookup && !isIP(host) ? { lookup } : {}),
      });
      if (status < 200 || status > 299)
        throw new Error(reasonText('delivery.endpoint_answered', { status, detail: excerpt }));
    },
  };
}

/** One POST; the answer's status and, for an error message, its first characters. */
function post(
  url: URL,
  options: {
    headers: Record<string, string>;
    body: Buffer;
    timeoutMs: number;
    lookup?: ReturnType<typeof pinnedLookup>;
  },
): Promise<{ status: number; excerpt: string }> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  const signal = AbortSignal.timeout(options.timeoutMs);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: options.headers,
        signal,
        ...(options.lookup ? { lookup: options.lookup } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status <= 299) {
          res.resume();
          res.on('end', () => resolve({ status, excerpt: '' }));
          res.on('error', (error) => reject(signal.aborted ? signal.reason : error));
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (text.length >= 200) res.destroy();
        });
        const done = () => resolve({ status, excerpt: text.slice(0, 200).replace(/\s+/g, ' ').trim() });
        res.on('end', done);
        res.on('close', done);
      },
    );
    // A timeout rejects with the signal's TimeoutError, which the outbox reports as such.
    req.on('error', (error) => reject(signal.aborted ? signal.reason : error));
    req.end(options.body);
  });
}
