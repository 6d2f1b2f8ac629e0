/** Reading a fleet's vehicles: one by id, or a page of a search. */
import type { Executor } from '../db/tenant.ts';

export const vehicleColumns = [
  'id',
  'plate_key',
  'plate',
  'plate_display',
  'registration_number',
  'vin',
  'label',
  'cost_centre',
  'driver',
  'attributes',
  'active_from',
  'active_until',
  'created_at',
  'updated_at',
] as const;

export function findVehicle(trx: Executor, accountId: bigint, vehicleId: bigint) {
  return trx
    .selectFrom('vehicles')
    .select(vehicleColumns)
    .where('account_id', '=', accountId)
    .where('id', '=', vehicleId)
    .executeTakeFirst();
}

export type VehicleRow = NonNullable<Awaited<ReturnType<typeof findVehicle>>>;

export interface VehicleSearch {
  status: 'active' | 'removed' | 'all';
  /** Exact cost centre, as the fleet file wrote it. */
  costCentre?: string;
  /** Exact canonical plate, when the search text parses as a plate. */
  plateKey?: string;
  /** Text to find at the start of the registration number or VIN, or anywhere in the label or plate. */
  text?: string;
  after?: bigint;
  limit: number;
}

const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export function listVehicles(trx: Executor, accountId: bigint, search: VehicleSearch) {
  let query = trx
    .selectFrom('vehicles')
    .select(vehicleColumns)
    .where('account_id', '=', accountId)
    .orderBy('id')
    .limit(search.limit);
  if (search.status === 'active') query = query.where('active_until', 'is', null);
  if (search.status === 'removed') query = query.where('active_until', 'is not', null);
  if (search.after !== undefined) query = query.where('id', '>', search.after);
  if (search.costCentre !== undefined) query = query.where('cost_centre', '=', search.costCentre);
  const { plateKey, text } = search;
  if (plateKey !== undefined || text !== undefined) {
    query = query.where((eb) => {
      const any = [];
      if (plateKey !== undefined) any.push(eb('plate_key', '=', plateKey));
      if (text !== undefined) {
        const prefix = `${likeEscape(text)}%`;
        const contains = `%${likeEscape(text)}%`;
        any.push(
          eb('registration_number', 'ilike', prefix),
          eb('vin', 'ilike', prefix),
          eb('label', 'ilike', contains),
          eb('plate_display', 'ilike', contains),
        );
      }
      return eb.or(any);
    });
  }
  return query.execute();
}
