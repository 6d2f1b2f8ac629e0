/** Shapes of the API's answers that the pages read (see /api/v1/openapi.json). */
export interface RunSummary {
  changes: Array<{ change: string; violations: number; amountMinor: string; held: number }>;
  outstanding: { violations: number; amountMinor: string };
  failedVehicles: Array<{
    vehicleId: string;
    plateKey: string;
    attempts: number;
    reason: string;
    reasonAr?: string;
  }>;
  heldSettlements: number;
}

export interface Run {
  id: string;
  kind: 'scheduled' | 'manual' | 'import';
  localNight: string | null;
  status: 'fetching' | 'reconciling' | 'issuing' | 'rendering' | 'done' | 'partial' | 'failed';
  progress: {
    fetching: { done: number; total: number; failed: number };
    reconciling: { done: number; total: number };
  };
  createdAt: string;
  finishedAt: string | null;
  summary: RunSummary | null;
  error: string | null;
  errorAr?: string | null;
  import?: { fileName: string; format: string; coversAllPlates: boolean } | null;
}

export const finished = (run: Run) => ['done', 'partial', 'failed'].includes(run.status);

export interface Dashboard {
  currency: string;
  timeZone: string;
  outstanding: { violations: number; amountMinor: string };
  outsideFleet: { violations: number; amountMinor: string };
  lastRun: Run | null;
  activeRun: Run | null;
  nextScheduledRun: string;
  deadlines: Array<{
    ticketNumber: string;
    vehicleId: string;
    plateKey: string;
    offenceAt: string;
    escalatesAt: string;
    amountMinor: string;
    escalatedAmountMinor: string;
    savesMinor: string;
  }>;
  openExceptions: number;
  history: Array<{
    runId: string;
    kind: string;
    localNight: string | null;
    finishedAt: string;
    violations: number;
    amountMinor: string;
  }>;
}

export interface Vehicle {
  id: string;
  plateKey: string;
  plateDisplay: string;
  registrationNumber: string | null;
  vin: string | null;
  label: string | null;
  costCentre: string | null;
  driver: string | null;
  attributes: Record<string, string>;
  active: boolean;
  activeFrom: string;
  activeUntil: string | null;
}

export interface Violation {
  ticketNumber: string;
  vehicleId: string;
  plateKey?: string;
  state: 'outstanding' | 'settled' | 'cancelled';
  offenceAt: string;
  typeCode: string;
  descriptionAr: string;
  descriptionEn: string;
  location: string;
  amountMinor: string;
  currency: string;
  authorityStatus: string;
  suspectSettlement: boolean;
  preAcquisition: boolean;
}

/** A plate as people write it: the canonical key without its jurisdiction prefix. */
export const plateText = (plateKey: string) => plateKey.replace(/^[A-Z]{2}:/, '');

export interface Change {
  ticketNumber: string;
  vehicleId: string;
  plateKey: string | null;
  previousVehicleId: string | null;
  change: string;
  held: boolean;
  previousAmountMinor: string | null;
  amountMinor: string;
  preAcquisition: boolean;
}

export const changeKinds = [
  'new',
  'escalated',
  'reduced',
  'settled',
  'cancelled',
  'reappeared',
  'moved',
  'stale',
] as const;

export interface UploadIssue {
  row: number;
  column: string | null;
  code: string;
  message: string;
  messageAr: string;
}

export interface UploadReport {
  id: string;
  status: string;
  fileName: string;
  mode: 'replace' | 'merge';
  counts: { rows: number; valid: number; invalid: number; duplicate: number; warnings: number };
  diff: { added: number; removed: number; changed: number; unchanged: number };
  errors: UploadIssue[];
  errorsTruncated: boolean;
  warnings: UploadIssue[];
  warningsTruncated: boolean;
  outcome?: string;
}

/** Roles a person or an API token holds in an account, most powerful first. */
export const roles = ['owner', 'fleet_admin', 'accountant', 'viewer'] as const;
