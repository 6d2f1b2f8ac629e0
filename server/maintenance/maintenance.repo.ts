import { sql } from 'kysely';
import type { Database } from '../db/database.ts';

type Executor = Pick<Database, 'insertInto' | 'updateTable'> &
  Parameters<ReturnType<typeof sql>['execute']>[0];

/** Claims one local night for maintenance; `false` when that night was already done. */
export async function claimMaintenanceNight(
  trx: Executor,
  localDate: string,
  timeZone: string,
): Promise<boolean> {
  const claimed = await trx
    .insertInto('maintenance_runs')
    .values({ local_date: localDate, time_zone: timeZone })
    .onConflict((oc) => oc.columns(['local_date', 'time_zone']).doNothing())
    .returning('local_date')
    .executeTakeFirst();
  return claimed !== undefined;
}

export async function finishMaintenanceNight(
  trx: Executor,
  localDate: string,
  timeZone: string,
  details: Record<string, unknown>,
): Promise<void> {
  await trx
    .updateTable('maintenance_runs')
    .set({ finished_at: sql`now()`, details: JSON.stringify(details) })
    .where('local_date', '=', localDate)
    .where('time_zone', '=', timeZone)
    .execute();
}
