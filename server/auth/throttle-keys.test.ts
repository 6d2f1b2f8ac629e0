import { describe, expect, it } from 'vitest';
import { throttleSourceKey } from './throttle-keys.ts';

describe('throttleSourceKey', () => {
  it('groups IPv6 addresses by their /64, however they are written', () => {
    const keys = [
      '2001:db8:abcd:12::1',
      '2001:0db8:abcd:0012:ffff:ffff:ffff:ffff',
      '2001:DB8:ABCD:12:0:0:0:2',
      '2001:db8:abcd:12:1:2:192.0.2.1',
      'fe80::1%eth0',
    ].map(throttleSourceKey);
    expect(keys.slice(0, 4)).toEqual(Array(4).fill('ip6:2001:db8:abcd:12::/64'));
    expect(keys[4]).toBe('ip6:fe80:0:0:0::/64');
    expect(throttleSourceKey('2001:db8:abcd:13::1')).not.toBe(keys[0]);
    expect(throttleSourceKey('::1')).toBe('ip6:0:0:0:0::/64');
  });

  it('counts IPv4 per address, also when written IPv4-mapped', () => {
    expect(throttleSourceKey('192.0.2.7')).toBe('ip:192.0.2.7');
    expect(throttleSourceKey('::ffff:192.0.2.7')).toBe('ip:192.0.2.7');
    expect(throttleSourceKey('192.0.2.8')).not.toBe(throttleSourceKey('192.0.2.7'));
  });
});
