/** The nightly maintenance job (handled in jobs/maintenance.job.ts). */
import { z } from 'zod';
import { jobContract } from '../queue.ts';

export const maintenanceJobs = {
  nightly: jobContract('maintenance.nightly', z.object({ timeZone: z.string().min(1) }).strict()),
};
