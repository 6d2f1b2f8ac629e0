import { z } from 'zod';
import { id, minorUnits, nextCursor, timestamp } from '../http/answers.ts';

const state = z.enum(['outstanding', 'settled', 'cancelled']);
const authorityStatus = z.enum(['unpaid', 'paid', 'cancelled', 'under_objection']);

const violation = z.object({
  ticketNumber: z.string(),
  vehicleId: id,
  plateKey: z.string(),
  state,
  offenceAt: timestamp,
  typeCode: z.string(),
  descriptionAr: z.string(),
  descriptionEn: z.string(),
  location: z.string(),
  amountMinor: minorUnits,
  currency: z.string(),
  authorityStatus,
  authorityPaymentRef: z.string().nullable(),
  preAcquisition: z.boolean(),
  suspectSettlement: z.boolean(),
  outsideFleetSinceRun: id.nullable(),
  version: z.number().int(),
});

export const violationsAnswer = z.object({ violations: z.array(violation), nextCursor });

export const vehicleViolationsAnswer = z.object({
  vehicleId: id,
  nextCursor,
  violations: z.array(
    violation.extend({
      history: z.array(
        z.object({
          version: z.number().int(),
          runId: id,
          vehicleId: id,
          state,
          amountMinor: minorUnits,
          authorityStatus,
          change: z.string(),
          recordedAt: timestamp,
        }),
      ),
    }),
  ),
});
