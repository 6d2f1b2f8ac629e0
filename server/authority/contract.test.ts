import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_ISSUANCE_REQUESTS,
  gatewayJsonSchemas,
  type IssuanceRequest,
  issuanceRequestSchema,
  MAX_ISSUANCE_TICKETS_PER_CALL,
  MAX_REQUEST_BODY_BYTES,
  toAuthorityViolations,
  type WireViolation,
} from './contract.ts';

describe('gateway contract', () => {
  it('gateway.openapi.json carries exactly the zod schemas', () => {
    const doc = JSON.parse(fs.readFileSync(new URL('./gateway.openapi.json', import.meta.url), 'utf8'));
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas).toEqual(gatewayJsonSchemas());
  });

  it('the biggest issuance call the client makes stays well under the body limit', () => {
    /** The most sets and tickets per call, every field as long as the schema allows, in `char`s. */
    const worstCase = (char: string): IssuanceRequest => ({
      jurisdiction: 'JO',
      requests: Array.from({ length: DEFAULT_MAX_ISSUANCE_REQUESTS }, (_, i) => ({
        key: `${i}`.padEnd(128, char),
        kind: 'consolidated',
        tickets: Array.from(
          { length: MAX_ISSUANCE_TICKETS_PER_CALL / DEFAULT_MAX_ISSUANCE_REQUESTS },
          (_, j) => ({
            ticketNumber: `${i}-${j}`.padEnd(64, char),
            amountMinor: '999999999999999999',
          }),
        ),
      })),
    });
    const bytes = (body: IssuanceRequest) =>
      Buffer.byteLength(JSON.stringify(issuanceRequestSchema.parse(body)));
    expect(bytes(worstCase('X'))).toBeLessThan(0.65 * MAX_REQUEST_BODY_BYTES);
    // Even ticket numbers of Arabic letters (two bytes each) fit.
    expect(bytes(worstCase('ث'))).toBeLessThan(MAX_REQUEST_BODY_BYTES);
  });
});

describe('control characters in an answer', () => {
  const violation: WireViolation = {
    ticketNumber: 'JO-20250110-0000000001',
    offenceAt: '2025-01-10T08:15:00+03:00',
    typeCode: 'SPD',
    descriptionAr: 'تجاوز السرعة المقررة',
    descriptionEn: 'Speeding',
    location: 'عمّان - طريق المطار',
    amountMinor: '45000',
    currency: 'JOD',
    status: 'unpaid',
    authorityPaymentRef: null,
  };
  const refused = (over: Partial<WireViolation>) =>
    !toAuthorityViolations('JO', [{ ...violation, ...over }], new Date('2025-01-15T00:00:00Z')).ok;

  it('are exactly Unicode Cc in identifiers, and Cc but tab and line breaks in free text', () => {
    // Every Cc code point is below U+00A0; the rest checks neighbours and look-alikes (line and
    // paragraph separators, a byte-order mark, a lone surrogate).
    const codes = [...Array.from({ length: 0x800 }, (_, c) => c), 0x2028, 0x2029, 0xfeff, 0xd800, 0xfffd];
    for (const c of codes) {
      const char = String.fromCharCode(c);
      const control = /\p{Cc}/u.test(char);
      expect(refused({ typeCode: `S${char}D` }), `U+${c.toString(16)} in typeCode`).toBe(control);
      const breaks = char === '\t' || char === '\n' || char === '\r';
      expect(refused({ location: `A${char}B` }), `U+${c.toString(16)} in location`).toBe(control && !breaks);
    }
    // An astral character (a surrogate pair) is text, not control.
    expect(refused({ descriptionEn: 'Speeding 🚗' })).toBe(false);
  });
});
