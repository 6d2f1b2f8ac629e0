import type { Tx } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { listVersions, listViolations, type ViolationFilter, vehicleExists } from './violations.repo.ts';

type ViolationRow = Awaited<ReturnType<typeof listViolations>>[number];

function presentViolation(v: ViolationRow) {
  return {
    ticketNumber: v.ticket_number,
    vehicleId: v.vehicle_id.toString(),
    plateKey: v.plate_key,
    state: v.state,
    offenceAt: v.offence_at,
    typeCode: v.type_code,
    descriptionAr: v.description_ar,
    descriptionEn: v.description_en,
    location: v.location,
    amountMinor: v.amount_minor.toString(),
    currency: v.currency,
    authorityStatus: v.authority_status,
    authorityPaymentRef: v.authority_payment_ref,
    preAcquisition: v.pre_acquisition,
    suspectSettlement: v.suspect_since_run !== null,
    /** Its vehicle left the fleet: concluded once by this run, counted apart from the fleet's outstanding. */
    outsideFleetSinceRun: v.outside_fleet_since_run?.toString() ?? null,
    version: v.version,
  };
}

export async function listCurrentViolations(trx: Tx, accountId: bigint, filter: ViolationFilter) {
  const rows = await listViolations(trx, accountId, filter);
  return {
    violations: rows.map(presentViolation),
    nextCursor: rows.length === filter.limit ? rows.at(-1)!.ticket_number : null,
  };
}

/** A page of a vehicle's violations (by ticket number, `after` the last one seen), each with its history. */
export async function vehicleViolations(
  trx: Tx,
  accountId: bigint,
  vehicleId: bigint,
  page: { limit: number; after?: string; state?: string },
) {
  if (!(await vehicleExists(trx, accountId, vehicleId))) {
    throw new DomainError('vehicle_not_found', 'no such vehicle in this account', { status: 404 });
  }
  const found = await listViolations(trx, accountId, { ...page, vehicleId, limit: page.limit + 1 });
  const rows = found.slice(0, page.limit);
  const versions = await listVersions(
    trx,
    accountId,
    rows.map((r) => r.ticket_number),
  );
  return {
    vehicleId: vehicleId.toString(),
    nextCursor: found.length > page.limit ? rows.at(-1)!.ticket_number : null,
    violations: rows.map((v) => ({
      ...presentViolation(v),
      history: versions
        .filter((h) => h.ticket_number === v.ticket_number)
        .map((h) => ({
          version: h.version,
          runId: h.run_id.toString(),
          vehicleId: h.vehicle_id.toString(),
          state: h.state,
          amountMinor: h.amount_minor.toString(),
          authorityStatus: h.authority_status,
          change: h.change,
          recordedAt: h.recorded_at,
        })),
    })),
  };
}
