import { maintenanceJobs } from '../server/maintenance/maintenance.jobs.ts';
import { runNightlyMaintenance } from '../server/maintenance/maintenance.service.ts';
import { defineJob } from './job.ts';

export const maintenanceJob = defineJob({
  ...maintenanceJobs.nightly,
  work: { localConcurrency: 1 },
  schedule: (config) => ({
    cron: config.maintenance.cron,
    tz: config.maintenance.tz,
    data: { timeZone: config.maintenance.tz },
  }),
  handle: async (ctx, payloads) => {
    for (const { timeZone } of payloads) {
      const outcome = await runNightlyMaintenance(
        ctx.db,
        ctx.now(),
        timeZone,
        ctx.config.maintenance.retention,
      );
      const dropped = (outcome.partitions ?? []).filter((p) => p.outcome === 'dropped');
      ctx.log.info(
        {
          ...outcome,
          partitions: undefined,
          dropped: dropped.map((p) => ({ partition: p.partitionName, bytes: p.bytes })),
          keptPastRetention: (outcome.partitions ?? [])
            .filter((p) => p.outcome !== 'dropped')
            .map((p) => ({ partition: p.partitionName, why: p.outcome })),
        },
        outcome.ran ? 'nightly maintenance done' : 'nightly maintenance already done tonight',
      );
    }
  },
});
