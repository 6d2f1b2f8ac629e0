import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gatewayJsonSchemas } from './contract.ts';

describe('gateway contract', () => {
  it('gateway.openapi.json carries exactly the zod schemas', () => {
    const doc = JSON.parse(fs.readFileSync(new URL('./gateway.openapi.json', import.meta.url), 'utf8'));
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas).toEqual(gatewayJsonSchemas());
  });
});
