import { describe, expect, it } from 'vitest';
import { oldestFirst, ticketsOfGroups } from './issuance-tickets.ts';
import type { StagedGroup } from './payment-staging.repo.ts';

const group = (key: string, tickets: string[], amounts: string, offences: string): StagedGroup => ({
  group_key: key,
  vehicle_id: 1n,
  line_hash: '0'.repeat(64),
  line_count: tickets.length,
  total_minor: 0n,
  generation: 0,
  tickets,
  amounts,
  offences,
});

describe('the tickets a set is issued for', () => {
  it('go oldest first, a tie on the offence time ordered by ticket number, each with its amount', () => {
    expect(oldestFirst(['P6', 'P06', 'P1'], ['600', '60', '100'], ['2000', '2000', '1000'])).toEqual([
      { ticketNumber: 'P1', amountMinor: 100n },
      { ticketNumber: 'P06', amountMinor: 60n },
      { ticketNumber: 'P6', amountMinor: 600n },
    ]);
  });

  it('come from a group’s own tickets, or else from its lines, keyed by the group', () => {
    const byGroup = ticketsOfGroups(
      [
        group('7', ['B', 'A'], '2,1', '5,9'),
        { ...group('', [], '', ''), tickets: null, amounts: null, offences: null },
      ],
      [
        { group_key: '', ticket_number: 'Z', amount_minor: 3n, offence: '1' },
        { group_key: '', ticket_number: 'Y', amount_minor: 4n, offence: '2' },
      ],
    );
    expect(byGroup.get('7')).toEqual([
      { ticketNumber: 'B', amountMinor: 2n },
      { ticketNumber: 'A', amountMinor: 1n },
    ]);
    expect(byGroup.get('')).toEqual([
      { ticketNumber: 'Z', amountMinor: 3n },
      { ticketNumber: 'Y', amountMinor: 4n },
    ]);
  });
});
