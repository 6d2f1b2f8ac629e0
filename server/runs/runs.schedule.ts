import type { JobQueue } from '../queue.ts';
import { runJobs } from './runs.jobs.ts';

/** Cron for a local time `HH:MM[:SS]` every day. */
export function nightlyCron(localTime: string): string {
  const [hours, minutes] = localTime.split(':').map(Number);
  return `${minutes} ${hours} * * *`;
}

/** (Re)writes an account's nightly schedule: its run time, in its own time zone. */
export function scheduleNightlyRun(
  queue: JobQueue,
  account: { id: string | bigint; timeZone: string; nightlyRunTime: string },
): Promise<void> {
  const key = account.id.toString();
  return queue.schedule(runJobs.nightly, key, nightlyCron(account.nightlyRunTime), account.timeZone, {
    accountId: key,
  });
}
