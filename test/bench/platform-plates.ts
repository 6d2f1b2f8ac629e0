import type { JurisdictionCode } from '../../server/jurisdictions/profiles.ts';

/** The plate key of the platform benchmark's i-th vehicle (unique across the platform). */
export function platformPlateKey(jurisdiction: JurisdictionCode, i: number): string {
  return `${jurisdiction}:${10 + (i % 80)}-${100000 + i}`;
}
