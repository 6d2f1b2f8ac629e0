import { describe, expect, it } from 'vitest';
import { checkSignature, signNotification } from './signature.ts';

const body = Buffer.from('{"transactions":[]}');
const now = new Date('2026-06-01T10:00:00Z');
const ts = String(now.getTime() / 1000);
const secret = 'a'.repeat(40);

describe('notification signatures', () => {
  it('accept the current or an overlapping secret', () => {
    const signature = signNotification(secret, ts, body);
    expect(checkSignature([secret], { timestamp: ts, signature }, body, now)).toEqual({
      ok: true,
      signature,
    });
    expect(checkSignature(['b'.repeat(40), secret], { timestamp: ts, signature }, body, now).ok).toBe(true);
  });
  it('refuse unsigned, stale, forged and altered messages', () => {
    const signature = signNotification(secret, ts, body);
    expect(checkSignature([secret], { timestamp: ts, signature: undefined }, body, now)).toEqual({
      ok: false,
      problem: 'unsigned',
    });
    const old = String(Number(ts) - 301);
    expect(
      checkSignature([secret], { timestamp: old, signature: signNotification(secret, old, body) }, body, now),
    ).toEqual({
      ok: false,
      problem: 'stale',
    });
    expect(checkSignature(['b'.repeat(40)], { timestamp: ts, signature }, body, now).ok).toBe(false);
    expect(
      checkSignature([secret], { timestamp: ts, signature }, Buffer.from('{"transactions":[1]}'), now),
    ).toEqual({
      ok: false,
      problem: 'bad_signature',
    });
  });
});
