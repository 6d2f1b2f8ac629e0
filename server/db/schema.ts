// Generated from the migrated schema by `npm run db:types`; test/db/schema-types.test.ts fails when it drifts.
import type { ColumnType, Generated } from 'kysely';

export type Json = ColumnType<unknown, string, string>;
export type JsonWithDefault = ColumnType<unknown, string | undefined, string>;

export interface MaintenanceRunsTable {
  local_date: string;
  time_zone: string;
  started_at: Generated<Date>;
  finished_at: Date | null;
  details: JsonWithDefault;
}

export interface DB {
  maintenance_runs: MaintenanceRunsTable;
}
