/**
 * What the authority is asked for, per set: its tickets and amounts, oldest first (offence time,
 * then ticket number), put in that order here from what the staging read in any order. Pure.
 */
import type { IssuanceItem } from '../authority/issuance-client.ts';
import type { StagedGroup, StagedLine } from './payment-staging.repo.ts';

/** Each set's tickets as the authority is asked for them: from the group's own, or else from its lines. */
export function ticketsOfGroups(groups: readonly StagedGroup[], lines: readonly StagedLine[]) {
  const ticketsByGroup = new Map<string, IssuanceItem['tickets']>();
  for (const g of groups)
    if (g.tickets)
      ticketsByGroup.set(g.group_key, oldestFirst(g.tickets, g.amounts!.split(','), g.offences!.split(',')));
  const fromLines = new Map<string, { tickets: string[]; amounts: bigint[]; offences: string[] }>();
  for (const line of lines) {
    let group = fromLines.get(line.group_key);
    if (!group) {
      group = { tickets: [], amounts: [], offences: [] };
      fromLines.set(line.group_key, group);
    }
    group.tickets.push(line.ticket_number);
    group.amounts.push(line.amount_minor);
    group.offences.push(line.offence);
  }
  for (const [key, g] of fromLines) ticketsByGroup.set(key, oldestFirst(g.tickets, g.amounts, g.offences));
  return ticketsByGroup;
}

/**
 * A set's tickets, given in any order with their amounts (decimal text as staged, or read) and
 * offence times (offenceMicros), oldest first.
 */
export function oldestFirst(
  tickets: string[],
  amounts: ReadonlyArray<string | bigint>,
  offences: string[],
): IssuanceItem['tickets'] {
  const order = tickets.map((_, j) => j);
  if (order.length > 1) {
    const at = offences.map(Number);
    order.sort(
      (x, y) => at[x]! - at[y]! || (tickets[x]! < tickets[y]! ? -1 : tickets[x]! > tickets[y]! ? 1 : 0),
    );
  }
  return order.map((j) => ({ ticketNumber: tickets[j]!, amountMinor: BigInt(amounts[j]!) }));
}
