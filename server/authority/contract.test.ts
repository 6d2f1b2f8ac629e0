import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_ISSUANCE_REQUESTS,
  gatewayJsonSchemas,
  type IssuanceRequest,
  issuanceRequestSchema,
  MAX_ISSUANCE_TICKETS_PER_CALL,
  MAX_REQUEST_BODY_BYTES,
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
