/** A value as jsonb text: bigint (ids, money in minor units) as decimal strings, never floats. */
export function toJsonb(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
}
