/**
 * The generic payment-network adapter's signature: HMAC-SHA256 over `<timestamp>.<raw body>`
 * with a per-account secret, sent as `v1=<hex>`; the timestamp (Unix seconds) must be within the
 * tolerance of our clock. Several secrets may be valid at once while one is being rotated.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function signNotification(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

export type SignatureCheck =
  | { ok: true; signature: string }
  | { ok: false; problem: 'unsigned' | 'stale' | 'bad_signature' };

export function checkSignature(
  secrets: readonly string[],
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: Buffer,
  now: Date,
): SignatureCheck {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return { ok: false, problem: 'unsigned' };
  if (!/^[0-9]{1,12}$/.test(timestamp)) return { ok: false, problem: 'stale' };
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS)
    return { ok: false, problem: 'stale' };
  const given = Buffer.from(signature.trim());
  for (const secret of secrets) {
    const expected = Buffer.from(signNotification(secret, timestamp, rawBody));
    if (expected.length === given.length && timingSafeEqual(expected, given))
      return { ok: true, signature: signature.trim() };
  }
  return { ok: false, problem: 'bad_signature' };
}
