import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSealed, openSecret, sealSecret } from './secret-sealing.ts';

describe('sealed network secrets', () => {
  const key = randomBytes(32);

  it('open to the secret with the same key and row, never showing it sealed', () => {
    const sealed = sealSecret(key, 'whsec_abc', '7:generic');
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('whsec_abc');
    expect(openSecret(key, sealed, '7:generic')).toBe('whsec_abc');
    expect(sealSecret(key, 'whsec_abc', '7:generic')).not.toBe(sealed); // a fresh IV each time
  });

  it('do not open with another key, for another row, or altered', () => {
    const sealed = sealSecret(key, 'whsec_abc', '7:generic');
    expect(() => openSecret(randomBytes(32), sealed, '7:generic')).toThrow(/does not open/);
    expect(() => openSecret(key, sealed, '8:generic')).toThrow(/does not open/);
    const altered = `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(() => openSecret(key, altered, '7:generic')).toThrow(/does not open|malformed/);
  });

  it('read a secret stored before sealing as it is', () => {
    expect(openSecret(key, 'whsec_plain', '7:generic')).toBe('whsec_plain');
  });
});
