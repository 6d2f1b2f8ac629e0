import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Addresses a webhook must not reach unless private receivers are allowed: this machine, private
 * and shared networks, link-local (with cloud metadata at 169.254.169.254), unique-local IPv6,
 * multicast and reserved ranges. IPv4-mapped IPv6 addresses are judged by their IPv4 address.
 */
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class PrivateAddressError extends Error {
  readonly address: string;
  constructor(host: string, address: string) {
    super(
      `the webhook host ${host} resolves to ${address}, a loopback, private, link-local or metadata address; refused (ALERTS_WEBHOOK_ALLOW_PRIVATE=true allows it)`,
    );
    this.name = 'PrivateAddressError';
    this.address = address;
  }
}

/** A URL's host as DNS takes it ([::1] → ::1). */
export const urlHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Every address a host resolves to (an IP literal is its own). */
export async function resolveHost(host: string): Promise<dns.LookupAddress[]> {
  return dns.promises.lookup(host, { all: true, verbatim: true });
}

/** The first private address among a host's addresses, if any. */
export const firstPrivate = (addresses: dns.LookupAddress[]) =>
  addresses.find((a) => isPrivateAddress(a.address))?.address;

/** A host's addresses, or a PrivateAddressError naming the first private one. */
export async function publicAddresses(host: string): Promise<dns.LookupAddress[]> {
  const addresses = await resolveHost(host);
  const bad = firstPrivate(addresses);
  if (bad) throw new PrivateAddressError(host, bad);
  return addresses;
}

/** A `lookup` for an HTTP request that connects to exactly the addresses already checked (no second resolution to rebind). */
export function pinnedLookup(addresses: dns.LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      return;
    }
    const first = addresses.find((a) => !options.family || a.family === options.family) ?? addresses[0]!;
    callback(null, first.address, first.family);
  };
}
