/**
 * Payment-network signing secrets at rest: sealed with AES-256-GCM under the product's
 * SECRETS_KEY, bound to their account and network (as additional authenticated data, so a sealed
 * secret copied to another row does not open). Stored as `sealed:v1:<iv>.<tag>.<ciphertext>`
 * (base64url). A secret stored before sealing existed is plain text and is sealed when next read.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'sealed:v1:';

export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

export function sealSecret(key: Buffer, secret: string, boundTo: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(boundTo));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
  return `${PREFIX}${parts.join('.')}`;
}

/** The secret, or an error naming why it does not open (another key, another row, tampered). */
export function openSecret(key: Buffer, stored: string, boundTo: string): string {
  if (!isSealed(stored)) return stored;
  const [iv, tag, ciphertext] = stored
    .slice(PREFIX.length)
    .split('.')
    .map((p) => Buffer.from(p, 'base64url'));
  if (!iv || !tag || !ciphertext || iv.length !== 12 || tag.length !== 16)
    throw new Error('a sealed payment-network secret is malformed');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(boundTo));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(
      'a sealed payment-network secret does not open with SECRETS_KEY (another key, or altered)',
    );
  }
}
