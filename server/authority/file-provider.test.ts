import { describe, expect, it } from 'vitest';
import { AuthorityExportError, createFileAuthorityProvider, majorToMinor } from './file-provider.ts';

const header =
  'plate_key,ticket_number,offence_at,type_code,description_ar,description_en,location,amount,currency,status,payment_ref';
const row = (
  plate: string,
  ticket: string,
  amount: string,
  extra: Partial<Record<'currency' | 'at' | 'status', string>> = {},
) =>
  [
    plate,
    ticket,
    extra.at ?? '2025-01-10T08:15:00+03:00',
    'SPD',
    '"تجاوز السرعة المقررة"',
    'Speeding',
    '"عمّان - طريق المطار"',
    amount,
    extra.currency ?? 'JOD',
    extra.status ?? 'unpaid',
    '',
  ].join(',');

describe('majorToMinor', () => {
  it('converts printed amounts exactly', () => {
    expect(majorToMinor('45.000', 3)).toBe(45_000n);
    expect(majorToMinor('45', 3)).toBe(45_000n);
    expect(majorToMinor('0.5', 2)).toBe(50n);
    expect(majorToMinor('250000', 3)).toBe(250_000_000n);
  });
  it('refuses what is not an exact amount', () => {
    for (const bad of ['45.0001', '-1', '1,250', '1e3', '', ' . ', '045'])
      expect(majorToMinor(bad, 3)).toBeUndefined();
  });
});

describe('file authority provider', () => {
  const csv = [
    `\uFEFF${header}`,
    row('JO:13-1', 'T-1', '45.000'),
    row('JO:13-1', 'T-2', '20', { status: 'paid' }),
    row('JO:13-2', 'T-3', '45.5'),
    row('JO:13-3', 'T-4', '10', { currency: 'EGP' }),
    row('JO:13-4', 'T-5', '10', { at: '2025-01-10 08:15' }),
    row('JO:13-5', 'T-6', '10.0001'),
  ].join('\r\n');

  it('answers plates with rows, covered plates without rows, and fails the rest', async () => {
    const provider = createFileAuthorityProvider({
      jurisdiction: 'JO',
      csv,
      coveredPlates: ['JO:13-1', 'JO:13-9'],
    });
    const lookups = await provider.queryPlates(['JO:13-1', 'JO:13-2', 'JO:13-9', 'JO:13-10']);
    const first = lookups.get('JO:13-1');
    expect(
      first?.status === 'ok' && first.violations.map((v) => [v.ticketNumber, v.amountMinor, v.status]),
    ).toEqual([
      ['T-1', 45_000n, 'unpaid'],
      ['T-2', 20_000n, 'paid'],
    ]);
    expect(lookups.get('JO:13-2')).toEqual({
      status: 'ok',
      violations: [expect.objectContaining({ amountMinor: 45_500n })],
    });
    expect(lookups.get('JO:13-9')).toEqual({ status: 'ok', violations: [] });
    expect(lookups.get('JO:13-10')).toEqual({
      status: 'failed',
      attempts: 1,
      lastError: 'plate not covered by the export',
    });
  });

  it('fails a plate with any bad row instead of answering part of it', async () => {
    const provider = createFileAuthorityProvider({
      jurisdiction: 'JO',
      csv,
      coveredPlates: ['JO:13-3', 'JO:13-4', 'JO:13-5'],
    });
    const lookups = await provider.queryPlates(['JO:13-3', 'JO:13-4', 'JO:13-5']);
    expect(lookups.get('JO:13-3')).toMatchObject({
      status: 'failed',
      lastError: expect.stringMatching(/currency EGP/),
    });
    expect(lookups.get('JO:13-4')).toMatchObject({
      status: 'failed',
      lastError: expect.stringMatching(/offenceAt/),
    });
    expect(lookups.get('JO:13-5')).toMatchObject({
      status: 'failed',
      lastError: expect.stringMatching(/line 7: amount/),
    });
  });

  it('refuses a file without the expected columns', () => {
    expect(() => createFileAuthorityProvider({ jurisdiction: 'JO', csv: 'plate,amount\nJO:1,5' })).toThrow(
      AuthorityExportError,
    );
  });
});
