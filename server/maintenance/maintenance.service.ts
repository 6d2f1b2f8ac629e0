import { DateTime } from 'luxon';
import { pruneAuthState } from '../auth/auth.repo.ts';
import type { Database } from '../db/database.ts';
import { claimMaintenanceNight, finishMaintenanceNight } from './maintenance.repo.ts';

/** Ended sessions are kept this long (for the audit trail's sake), then deleted. */
const SESSION_RETENTION_DAYS = 30;

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
    const pruned = await pruneAuthState(trx, SESSION_RETENTION_DAYS);
    await finishMaintenanceNight(trx, localDate, timeZone, { pruned });
    return true;
  });
  return { localDate, timeZone, ran };
}
