import { DateTime } from 'luxon';
import type { Database } from '../db/database.ts';
import {
  claimMaintenanceNight,
  finishMaintenanceNight,
  refreshPlannerStatistics,
} from './maintenance.repo.ts';

export interface MaintenanceOutcome {
  localDate: string;
  timeZone: string;
  ran: boolean;
}

/**
 * The nightly housekeeping. Runs at most once per local night: the claim and the work share one
 * transaction, so a duplicate delivery waits on the claim and then finds the night done.
 */
export async function runNightlyMaintenance(
  db: Database,
  now: Date,
  timeZone: string,
): Promise<MaintenanceOutcome> {
  const localDate = DateTime.fromJSDate(now, { zone: timeZone }).toISODate()!;
  const ran = await db.transaction().execute(async (trx) => {
    if (!(await claimMaintenanceNight(trx, localDate, timeZone))) return false;
    const started = Date.now();
    await refreshPlannerStatistics(trx);
    await finishMaintenanceNight(trx, localDate, timeZone, { analyzeMs: Date.now() - started });
    return true;
  });
  return { localDate, timeZone, ran };
}
