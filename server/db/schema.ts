// Generated from the migrated schema by `npm run db:types`; test/db/schema-types.test.ts fails when it drifts.
import type { ColumnType, Generated } from 'kysely';

export type Json = ColumnType<unknown, string, string>;
export type JsonWithDefault = ColumnType<unknown, string | undefined, string>;

export interface AccountsTable {
  id: Generated<bigint>;
  kind: string;
  legal_name_ar: string;
  legal_name_en: string;
  registry_number: string;
  jurisdiction: string;
  currency: string;
  time_zone: string;
  nightly_run_time: Generated<string>;
  status: Generated<string>;
  is_demo: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ApiTokensTable {
  account_id: bigint;
  id: Generated<bigint>;
  name: string;
  role: string;
  token_hash: string;
  prefix: string;
  created_by: bigint | null;
  created_at: Generated<Date>;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface AuditLogTable {
  id: Generated<bigint>;
  account_id: bigint | null;
  at: Generated<Date>;
  actor_user_id: bigint | null;
  actor_token_id: bigint | null;
  action: string;
  target: string | null;
  outcome: Generated<string>;
  ip: string | null;
  details: JsonWithDefault;
}

export interface InvitationsTable {
  account_id: bigint;
  id: Generated<bigint>;
  user_id: bigint;
  role: string;
  token_hash: string;
  invited_by: bigint | null;
  created_at: Generated<Date>;
  expires_at: Date;
  accepted_at: Date | null;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: Date;
}

export interface MaintenanceRunsTable {
  local_date: string;
  time_zone: string;
  started_at: Generated<Date>;
  finished_at: Date | null;
  details: JsonWithDefault;
}

export interface MembershipsTable {
  account_id: bigint;
  user_id: bigint;
  role: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SessionsTable {
  id: string;
  user_id: bigint;
  csrf_token: string;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  expires_at: Date;
  revoked_at: Date | null;
  ip: string | null;
  user_agent: string | null;
}

export interface UsersTable {
  id: Generated<bigint>;
  email: string;
  display_name: Generated<string>;
  password_hash: string | null;
  is_operator: Generated<boolean>;
  status: Generated<string>;
  created_at: Generated<Date>;
}

export interface DB {
  accounts: AccountsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  invitations: InvitationsTable;
  login_throttle: LoginThrottleTable;
  maintenance_runs: MaintenanceRunsTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  users: UsersTable;
}
