import { z } from 'zod';
import { schemaMessage } from '../i18n/issues.ts';
import { reasonText } from '../i18n/reasons.ts';
import { type JurisdictionCode, jurisdictions } from '../jurisdictions/profiles.ts';

/**
 * The authority gateway's wire contract (mirrors gateway.openapi.json). Amounts travel as
 * decimal strings of minor units so no JSON number — and so no float — ever carries money.
 */

export const jurisdictionCodeSchema = z.enum(['JO', 'IQ', 'EG']);

/** The gateway refuses a request body over this many bytes with 413, whatever the call. */
export const MAX_REQUEST_BODY_BYTES = 1_000_000;

/** Default and maximum plates per query; the gateway rejects larger requests with 400. */
export const DEFAULT_MAX_PLATES_PER_REQUEST = 100;

export const plateKeySchema = z.string().min(1).max(64);

export const plateQuerySchema = z.object({
  plateKey: plateKeySchema,
  /** The vehicle registration (licence) number, where the authority wants it alongside the plate. */
  registrationNumber: z.string().min(1).max(64).optional(),
});

export const violationsQueryRequestSchema = z.object({
  jurisdiction: jurisdictionCodeSchema,
  plates: z.array(plateQuerySchema).min(1),
});
export type ViolationsQueryRequest = z.infer<typeof violationsQueryRequestSchema>;

export const violationStatuses = ['unpaid', 'paid', 'cancelled', 'under_objection'] as const;
export type ViolationStatus = (typeof violationStatuses)[number];

/** Non-negative integer in minor units, as a canonical decimal string (no sign, no leading zeros). */
export const amountMinorSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,17})$/, schemaMessage('requests.minor_units_string'));

export const wireViolationSchema = z.strictObject({
  ticketNumber: z.string().min(1).max(64),
  offenceAt: z.iso.datetime({ offset: true }),
  typeCode: z.string().min(1).max(32),
  descriptionAr: z.string().min(1).max(500),
  descriptionEn: z.string().min(1).max(500),
  location: z.string().min(1).max(500),
  amountMinor: amountMinorSchema,
  currency: z.enum(['JOD', 'IQD', 'EGP']),
  status: z.enum(violationStatuses),
  authorityPaymentRef: z.string().min(1).max(64).nullable(),
});
export type WireViolation = z.infer<typeof wireViolationSchema>;

export const plateResultSchema = z.discriminatedUnion('status', [
  z.strictObject({
    plateKey: plateKeySchema,
    status: z.literal('ok'),
    violations: z.array(wireViolationSchema),
  }),
  z.strictObject({ plateKey: plateKeySchema, status: z.literal('not_found') }),
  z.strictObject({
    plateKey: plateKeySchema,
    status: z.literal('error'),
    code: z.string().min(1).max(64),
    message: z.string().max(2000),
  }),
]);
export type PlateResult = z.infer<typeof plateResultSchema>;

/** Results are checked one by one (a bad plate fails that plate), so the envelope keeps them unknown. */
export const violationsQueryEnvelopeSchema = z.object({
  jurisdiction: jurisdictionCodeSchema,
  asOf: z.iso.datetime({ offset: true }),
  results: z.array(z.unknown()),
});

export const violationsQueryResponseSchema = z.object({
  jurisdiction: jurisdictionCodeSchema,
  asOf: z.iso.datetime({ offset: true }),
  results: z.array(plateResultSchema),
});
export type ViolationsQueryResponse = z.infer<typeof violationsQueryResponseSchema>;

export const gatewayErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
export type GatewayError = z.infer<typeof gatewayErrorSchema>;

/**
 * Issuance: payable numbers for sets of tickets. Each request carries an idempotency key: the
 * gateway answers the same number for the same key however often it is asked (a retry after a
 * lost answer, or many workers at once). Numbers are numeric, of a fixed length per kind, with
 * ISO 7064 MOD 97-10 check digits (server/payments/payment-number.ts reads them).
 */
export const DEFAULT_MAX_ISSUANCE_REQUESTS = 100;
/** The most tickets one number covers; a bigger set is refused by the contract, so it is never sent. */
export const MAX_TICKETS_PER_NUMBER = 5000;
/**
 * The most tickets one issuance call carries, across its sets (a set is never split). A ticket
 * takes at most ~120 bytes on the wire (64-character number, 18-digit amount, the JSON around
 * them), so a call of 100 sets with this many tickets stays near 620 kB, well under
 * MAX_REQUEST_BODY_BYTES (contract.test.ts builds that worst case), and any set the contract
 * allows fits alone.
 */
export const MAX_ISSUANCE_TICKETS_PER_CALL = MAX_TICKETS_PER_NUMBER;

export const issuanceTicketSchema = z.strictObject({
  ticketNumber: z.string().min(1).max(64),
  /** The amount the payer is asked for: the gateway refuses a number whose amounts are not current. */
  amountMinor: amountMinorSchema,
});

export const issuanceRequestItemSchema = z.strictObject({
  key: z.string().min(1).max(128),
  kind: z.enum(['violation', 'vehicle', 'consolidated']),
  tickets: z.array(issuanceTicketSchema).min(1).max(MAX_TICKETS_PER_NUMBER),
});

export const issuanceRequestSchema = z.strictObject({
  jurisdiction: jurisdictionCodeSchema,
  requests: z.array(issuanceRequestItemSchema).min(1),
});
export type IssuanceRequest = z.infer<typeof issuanceRequestSchema>;

export const issuanceResultSchema = z.discriminatedUnion('status', [
  z.strictObject({
    key: z.string().min(1).max(128),
    status: z.literal('issued'),
    number: z.string().regex(/^[0-9]{10,24}$/),
    kind: z.enum(['violation', 'vehicle', 'consolidated']),
    amountMinor: amountMinorSchema,
    expiresAt: z.iso.datetime({ offset: true }),
  }),
  z.strictObject({
    key: z.string().min(1).max(128),
    status: z.literal('refused'),
    code: z.string().min(1).max(64),
    message: z.string().max(2000),
  }),
]);
export type IssuanceResult = z.infer<typeof issuanceResultSchema>;

export const issuanceResponseSchema = z.strictObject({
  jurisdiction: jurisdictionCodeSchema,
  results: z.array(issuanceResultSchema),
});

/** A bill pull: what is due on a number now, as a payment network asks before taking money. */
export const billSchema = z.strictObject({
  number: z.string().regex(/^[0-9]{10,24}$/),
  status: z.enum(['open', 'paid', 'partially_paid', 'expired']),
  currency: z.enum(['JOD', 'IQD', 'EGP']),
  dueAmountMinor: amountMinorSchema,
  paidAmountMinor: amountMinorSchema,
  issuedAt: z.iso.datetime({ offset: true }),
  expiresAt: z.iso.datetime({ offset: true }),
  partialPayment: z.strictObject({
    allowed: z.boolean(),
    minAmountMinor: amountMinorSchema,
    maxAmountMinor: amountMinorSchema,
  }),
  tickets: z.array(z.string().min(1).max(64)),
});
export type Bill = z.infer<typeof billSchema>;

/** A violation as the product sees it: validated, amount as bigint. */
export interface AuthorityViolation {
  ticketNumber: string;
  /** ISO 8601 with offset, exactly as the authority sent it. */
  offenceAt: string;
  typeCode: string;
  descriptionAr: string;
  descriptionEn: string;
  location: string;
  amountMinor: bigint;
  currency: 'JOD' | 'IQD' | 'EGP';
  status: ViolationStatus;
  authorityPaymentRef: string | null;
}

/** One plate's lookup outcome. Only `ok` says anything about the plate's violations. */
export type PlateLookup =
  | { status: 'ok'; violations: AuthorityViolation[] }
  | { status: 'not_found' }
  | { status: 'failed'; attempts: number; lastError: string };

/** What the product queries: the HTTP gateway client or an imported bulk export. */
export interface AuthorityProvider {
  queryPlates(plateKeys: readonly string[], signal?: AbortSignal): Promise<Map<string, PlateLookup>>;
}

/**
 * Whether `text` holds a control character (Unicode Cc: U+0000–U+001F, U+007F–U+009F), other
 * than tab and line breaks when `breaksAllowed`. None in identifiers; free text may break lines.
 * A loop over code units: the answers of a night pass through here, and it allocates nothing.
 */
function hasControl(text: string, breaksAllowed: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) {
      if (!(breaksAllowed && (c === 0x09 || c === 0x0a || c === 0x0d))) return true;
    } else if (c >= 0x7f && c <= 0x9f) return true;
  }
  return false;
}
/** No traffic fine on record is older than this; an earlier date is a broken answer. */
const EARLIEST_OFFENCE = Date.parse('1980-01-01T00:00:00Z');
/** An offence after the answer's own time (beyond a day of clock and zone slack) is a broken answer. */
const FUTURE_SLACK_MS = 24 * 60 * 60 * 1000;

/** What is wrong with one violation's texts or date, or undefined. */
function implausibility(v: WireViolation, asOf: number): string | undefined {
  for (const [field, value] of [
    ['ticketNumber', v.ticketNumber],
    ['typeCode', v.typeCode],
    ['authorityPaymentRef', v.authorityPaymentRef],
  ] as const) {
    if (value !== null && hasControl(value, false)) return `${field} has a control character`;
  }
  for (const [field, value] of [
    ['descriptionAr', v.descriptionAr],
    ['descriptionEn', v.descriptionEn],
    ['location', v.location],
  ] as const) {
    if (hasControl(value, true)) return `${field} has a control character`;
  }
  const offence = Date.parse(v.offenceAt);
  if (!Number.isFinite(offence) || offence < EARLIEST_OFFENCE)
    return `offenceAt ${v.offenceAt} is not a plausible date`;
  if (offence > asOf + FUTURE_SLACK_MS) return `offenceAt ${v.offenceAt} is after the answer's time`;
  return undefined;
}

/**
 * Checks one `ok` plate's violations beyond their shape: the jurisdiction's currency, each ticket
 * once, no control characters, and offence dates between 1980 and the answer's time (`asOf`).
 * Returns the problem, or the violations with amounts as bigint.
 */
export function toAuthorityViolations(
  jurisdiction: JurisdictionCode,
  violations: readonly WireViolation[],
  asOf: Date,
): { ok: true; violations: AuthorityViolation[] } | { ok: false; problem: string } {
  const currency = jurisdictions[jurisdiction].currency;
  const seen = new Set<string>();
  const out: AuthorityViolation[] = [];
  const answeredAt = asOf.getTime();
  for (const v of violations) {
    if (v.currency !== currency) {
      return {
        ok: false,
        problem: reasonText('lookup.ticket_currency', {
          ticket: v.ticketNumber,
          currency: v.currency,
          expected: currency,
        }),
      };
    }
    const problem = implausibility(v, answeredAt);
    if (problem)
      return {
        ok: false,
        problem: reasonText('lookup.ticket_problem', {
          ticket: JSON.stringify(v.ticketNumber),
          detail: problem,
        }),
      };
    if (seen.has(v.ticketNumber))
      return { ok: false, problem: reasonText('lookup.ticket_twice', { ticket: v.ticketNumber }) };
    seen.add(v.ticketNumber);
    out.push({ ...v, amountMinor: BigInt(v.amountMinor) });
  }
  return { ok: true, violations: out };
}

/**
 * The contract's JSON Schemas, as gateway.openapi.json carries them under components.schemas
 * (a test keeps the two equal, so the zod schemas and the OpenAPI document cannot drift).
 */
export function gatewayJsonSchemas(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  registry.add(violationsQueryRequestSchema, { id: 'ViolationsQueryRequest' });
  registry.add(plateQuerySchema, { id: 'PlateQuery' });
  registry.add(violationsQueryResponseSchema, { id: 'ViolationsQueryResponse' });
  registry.add(plateResultSchema, { id: 'PlateResult' });
  registry.add(wireViolationSchema, { id: 'Violation' });
  registry.add(gatewayErrorSchema, { id: 'GatewayError' });
  registry.add(issuanceRequestSchema, { id: 'IssuanceRequest' });
  registry.add(issuanceRequestItemSchema, { id: 'IssuanceRequestItem' });
  registry.add(issuanceTicketSchema, { id: 'IssuanceTicket' });
  registry.add(issuanceResponseSchema, { id: 'IssuanceResponse' });
  registry.add(issuanceResultSchema, { id: 'IssuanceResult' });
  registry.add(billSchema, { id: 'Bill' });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _, $id: __, ...rest } = schema as Record<string, unknown>;
      return [id, rest];
    }),
  );
}
