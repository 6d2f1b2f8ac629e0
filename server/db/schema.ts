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

export interface AlertAttemptsTable {
  account_id: bigint;
  digest_id: bigint;
  attempt: number;
  at: Date;
  outcome: string;
  error: string | null;
}

export interface AlertDigestsTable {
  account_id: bigint;
  id: Generated<bigint>;
  run_id: bigint | null;
  recipient_id: bigint;
  kind: string;
  channel: string;
  destination: string;
  language: string;
  events: Json;
  idempotency_key: string;
  status: Generated<string>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  lease_until: Date | null;
  last_error: string | null;
  sent_at: Date | null;
  created_at: Generated<Date>;
}

export interface AlertRecipientsTable {
  account_id: bigint;
  id: Generated<bigint>;
  channel: string;
  role: string | null;
  address: string | null;
  language: Generated<string>;
  secret: string | null;
  active: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface AlertSettingsTable {
  account_id: bigint;
  horizon_days: Generated<number>;
  daily_all_clear: Generated<boolean>;
  quiet_start: string | null;
  quiet_end: string | null;
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

export interface AuthorityGateTable {
  authority: string;
  max_requests: number;
  window_ms: number;
  max_in_flight: number;
  lease_ms: number;
  recent_starts: Generated<bigint[]>;
  leases: JsonWithDefault;
  updated_at: Generated<Date>;
}

export interface ClearancesTable {
  account_id: bigint;
  id: Generated<bigint>;
  vehicle_id: bigint;
  plate_display: string;
  as_of: Date;
  as_of_run_id: bigint;
  code_hash: string;
  status: Generated<string>;
  issued_by: bigint | null;
  issued_by_token: bigint | null;
  created_at: Generated<Date>;
  revoked_at: Date | null;
  revoked_by: bigint | null;
  revoked_by_token: bigint | null;
  revoked_by_run: bigint | null;
  revoke_reason: string | null;
}

export interface DocumentContentsTable {
  account_id: bigint;
  sha256: string;
  content: Buffer;
  created_at: Generated<Date>;
}

export interface DocumentsTable {
  account_id: bigint;
  id: Generated<bigint>;
  kind: string;
  subject: string;
  format: string;
  language: string;
  file_name: string;
  content_type: string;
  sha256: string;
  byte_size: bigint;
  storage: Generated<string>;
  created_at: Generated<Date>;
}

export interface ExceptionsTable {
  account_id: bigint;
  id: Generated<bigint>;
  kind: string;
  run_id: bigint | null;
  status: Generated<string>;
  details: JsonWithDefault;
  created_at: Generated<Date>;
  resolved_at: Date | null;
  resolved_by: bigint | null;
  resolution: string | null;
  resolved_by_run: bigint | null;
  payment_id: bigint | null;
  payment_number_id: bigint | null;
  resolution_note: string | null;
}

export interface FleetStateTable {
  account_id: bigint;
  version: Generated<bigint>;
  updated_at: Generated<Date>;
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
  sets_password: Generated<boolean>;
  status: Generated<string>;
  decided_at: Date | null;
}

export interface LoginDevicesTable {
  token_hash: string;
  user_id: bigint;
  created_at: Generated<Date>;
  last_used_at: Generated<Date>;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: Date;
}

export interface LookupBatchesTable {
  account_id: bigint;
  run_id: bigint;
  batch_no: number | null;
  marked: number;
  failed: number;
  answers_counted: boolean;
  answers_stored: number;
  answers_minor: bigint;
  answers_outstanding: number;
  answers_outstanding_minor: bigint;
  recorded_at: Generated<Date>;
}

export interface LookupViolationsTable {
  account_id: bigint;
  run_id: bigint;
  vehicle_id: bigint;
  ticket_number: string;
  offence_at: Date;
  type_code: string;
  description_ar: string;
  description_en: string;
  location: string;
  amount_minor: bigint;
  currency: string;
  authority_status: string;
  authority_payment_ref: string | null;
  other_vehicle_ids: Generated<bigint[]>;
  pre_acquisition: Generated<boolean>;
}

export interface LookupsTable {
  account_id: bigint;
  run_id: bigint;
  vehicle_id: bigint;
  plate_key: string;
  vehicle_active_from: Date;
  batch_no: number;
  status: Generated<string>;
  attempts: Generated<number>;
  last_error: string | null;
  answered_at: Date | null;
  answered_violations: number | null;
  answered_outstanding: number | null;
  answered_outstanding_minor: bigint | null;
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

export interface NightPartitionsTable {
  lo: bigint;
  hi: bigint;
  opened_at: Date | null;
  closed_at: Date | null;
}

export interface PaymentNetworkSecretsTable {
  account_id: bigint;
  id: Generated<bigint>;
  network: string;
  secret: string;
  created_at: Generated<Date>;
  valid_until: Date | null;
}

export interface PaymentNotificationsSeenTable {
  account_id: bigint;
  network: string;
  signature: string;
  received_at: Generated<Date>;
}

export interface PaymentNumberLinesTable {
  account_id: bigint;
  payment_number_id: bigint;
  ticket_number: string;
  vehicle_id: bigint;
  offence_at: Date;
  amount_minor: bigint;
  amount_after_deadline_minor: bigint;
  next_deadline_at: Date | null;
  state: Generated<string>;
  paid_minor: Generated<bigint>;
}

export interface PaymentNumbersTable {
  account_id: bigint;
  id: Generated<bigint>;
  number: string;
  kind: string;
  issuer: string;
  selection: Json;
  vehicle_id: bigint | null;
  line_hash: string;
  line_count: number;
  total_minor: bigint;
  total_after_deadline_minor: bigint;
  next_deadline_at: Date | null;
  currency: string;
  issued_at: Date;
  expires_at: Date;
  state: Generated<string>;
  paid_minor: Generated<bigint>;
  state_changed_at: Date | null;
  issued_by_run: bigint | null;
  requested_by: bigint | null;
}

export interface PaymentsTable {
  account_id: bigint;
  id: Generated<bigint>;
  network: string;
  transaction_id: string;
  source: string;
  reference: string;
  payment_number_id: bigint | null;
  amount_minor: bigint;
  fee_minor: Generated<bigint>;
  currency: string;
  paid_at: Date;
  settled_on: string | null;
  channel: string | null;
  outcome: string;
  received_at: Generated<Date>;
  evidence: JsonWithDefault;
  reversed_at: Date | null;
  reversal_transaction_id: string | null;
  number_state: string | null;
  number_total_minor: bigint | null;
  paid_before_minor: bigint | null;
}

export interface RunChangesTable {
  account_id: bigint;
  run_id: bigint;
  ticket_number: string;
  vehicle_id: bigint;
  previous_vehicle_id: bigint | null;
  change: string;
  held: Generated<boolean>;
  previous_amount_minor: bigint | null;
  amount_minor: bigint;
  pre_acquisition: Generated<boolean>;
}

export interface RunImportsTable {
  account_id: bigint;
  run_id: bigint;
  file_name: string;
  sha256: string;
  format: string;
  covers_all_plates: Generated<boolean>;
  content: Buffer;
  created_at: Generated<Date>;
}

export interface RunsTable {
  account_id: bigint;
  id: Generated<bigint>;
  kind: string;
  local_night: string | null;
  status: Generated<string>;
  requested_by: bigint | null;
  lookups_total: Generated<number>;
  lookups_done: Generated<number>;
  lookups_failed: Generated<number>;
  created_at: Generated<Date>;
  fetched_at: Date | null;
  reconciled_at: Date | null;
  finished_at: Date | null;
  summary: Json | null;
  error: string | null;
  snapshotted_at: Date | null;
  answers_counted: Generated<boolean>;
  answers_stored: Generated<number>;
  answers_minor: Generated<bigint>;
  answers_outstanding: Generated<number>;
  answers_outstanding_minor: Generated<bigint>;
}

export interface SessionAccountsTable {
  account_id: bigint;
  session_id: string;
  first_at: Generated<Date>;
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

export interface UploadIssuesTable {
  account_id: bigint;
  upload_id: bigint;
  seq: number;
  row_number: number;
  severity: string;
  column_name: string | null;
  code: string;
  message: string;
  message_ar: string;
}

export interface UploadRejectsTable {
  account_id: bigint;
  upload_id: bigint;
  row_number: number;
  cells: Json;
}

export interface UploadRowsTable {
  account_id: bigint;
  upload_id: bigint;
  plate_key: string;
  row_number: number;
  plate: Json;
  plate_display: string;
  registration_number: string | null;
  vin: string | null;
  label: string | null;
  cost_centre: string | null;
  driver: string | null;
  attributes: JsonWithDefault;
}

export interface UploadsTable {
  account_id: bigint;
  id: Generated<bigint>;
  file_name: string;
  file_sha256: string | null;
  byte_size: bigint;
  format: string | null;
  mode: string;
  status: Generated<string>;
  file_error: Json | null;
  columns: JsonWithDefault;
  present_fields: Generated<string[]>;
  attribute_headers: Generated<string[]>;
  header_row_number: number | null;
  row_count: Generated<number>;
  valid_count: Generated<number>;
  invalid_count: Generated<number>;
  duplicate_count: Generated<number>;
  warning_count: Generated<number>;
  diff_added: Generated<number>;
  diff_removed: Generated<number>;
  diff_changed: Generated<number>;
  diff_unchanged: Generated<number>;
  base_version: Generated<bigint>;
  created_by: bigint | null;
  created_by_token: bigint | null;
  created_at: Generated<Date>;
  applied_at: Date | null;
  applied_by: bigint | null;
  applied_by_token: bigint | null;
}

export interface UsersTable {
  id: Generated<bigint>;
  email: string;
  display_name: Generated<string>;
  password_hash: string | null;
  is_operator: Generated<boolean>;
  status: Generated<string>;
  created_at: Generated<Date>;
  invited_to_account_id: bigint | null;
}

export interface VehiclePastPeriodsTable {
  account_id: bigint;
  vehicle_id: bigint;
  active_from: Date;
  active_until: Date;
}

export interface VehiclesTable {
  account_id: bigint;
  id: Generated<bigint>;
  plate_key: string;
  plate: Json;
  plate_display: string;
  registration_number: string | null;
  vin: string | null;
  label: string | null;
  cost_centre: string | null;
  driver: string | null;
  attributes: JsonWithDefault;
  active_from: Generated<Date>;
  active_until: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ViolationVersionsTable {
  account_id: bigint;
  ticket_number: string;
  version: number;
  run_id: bigint;
  vehicle_id: bigint;
  state: string;
  amount_minor: bigint;
  authority_status: string;
  authority_payment_ref: string | null;
  change: string;
  recorded_at: Generated<Date>;
}

export interface ViolationsTable {
  account_id: bigint;
  ticket_number: string;
  vehicle_id: bigint;
  state: string;
  offence_at: Date;
  type_code: string;
  description_ar: string;
  description_en: string;
  location: string;
  amount_minor: bigint;
  currency: string;
  authority_status: string;
  authority_payment_ref: string | null;
  pre_acquisition: Generated<boolean>;
  suspect_since_run: bigint | null;
  version: number;
  first_seen_run: bigint;
  last_changed_run: bigint;
  suspect_nights: Generated<number>;
  outside_fleet_since_run: bigint | null;
}

export interface DB {
  accounts: AccountsTable;
  alert_attempts: AlertAttemptsTable;
  alert_digests: AlertDigestsTable;
  alert_recipients: AlertRecipientsTable;
  alert_settings: AlertSettingsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  authority_gate: AuthorityGateTable;
  clearances: ClearancesTable;
  document_contents: DocumentContentsTable;
  documents: DocumentsTable;
  exceptions: ExceptionsTable;
  fleet_state: FleetStateTable;
  invitations: InvitationsTable;
  login_devices: LoginDevicesTable;
  login_throttle: LoginThrottleTable;
  lookup_batches: LookupBatchesTable;
  lookup_violations: LookupViolationsTable;
  lookups: LookupsTable;
  maintenance_runs: MaintenanceRunsTable;
  memberships: MembershipsTable;
  night_partitions: NightPartitionsTable;
  payment_network_secrets: PaymentNetworkSecretsTable;
  payment_notifications_seen: PaymentNotificationsSeenTable;
  payment_number_lines: PaymentNumberLinesTable;
  payment_numbers: PaymentNumbersTable;
  payments: PaymentsTable;
  run_changes: RunChangesTable;
  run_imports: RunImportsTable;
  runs: RunsTable;
  session_accounts: SessionAccountsTable;
  sessions: SessionsTable;
  upload_issues: UploadIssuesTable;
  upload_rejects: UploadRejectsTable;
  upload_rows: UploadRowsTable;
  uploads: UploadsTable;
  users: UsersTable;
  vehicle_past_periods: VehiclePastPeriodsTable;
  vehicles: VehiclesTable;
  violation_versions: ViolationVersionsTable;
  violations: ViolationsTable;
}
