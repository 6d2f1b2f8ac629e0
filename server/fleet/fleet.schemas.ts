import { z } from 'zod';
import { id, nextCursor, timestamp } from '../http/answers.ts';
import { uploadModes } from './fleet.service.ts';

const issue = z.object({
  row: z.number().int(),
  column: z.string().nullable(),
  code: z.string(),
  message: z.string(),
  messageAr: z.string(),
});

export const uploadReportAnswer = z.object({
  id,
  status: z.enum(['previewed', 'applied', 'rejected']),
  fileName: z.string(),
  mode: z.enum(uploadModes),
  format: z.enum(['csv', 'xlsx']).nullable(),
  sha256: z.string().nullable(),
  byteSize: z.number().int(),
  counts: z.object({
    rows: z.number().int(),
    valid: z.number().int(),
    invalid: z.number().int(),
    duplicate: z.number().int(),
    warnings: z.number().int(),
  }),
  diff: z.object({
    added: z.number().int(),
    removed: z.number().int(),
    changed: z.number().int(),
    unchanged: z.number().int(),
  }),
  stale: z.boolean(),
  columns: z.array(
    z.object({
      header: z.string(),
      field: z.string().nullable(),
      note: z.object({ en: z.string(), ar: z.string() }).optional(),
    }),
  ),
  errors: z.array(issue),
  errorsTruncated: z.boolean(),
  warnings: z.array(issue),
  warningsTruncated: z.boolean(),
  fileError: z.object({ code: z.string(), message: z.string(), messageAr: z.string() }).nullable(),
  createdAt: timestamp,
  appliedAt: timestamp.nullable(),
});

export const appliedUploadAnswer = uploadReportAnswer.extend({
  outcome: z.enum(['applied', 'already_applied']),
});

export const vehicleAnswer = z.object({
  id,
  plateKey: z.string(),
  plateDisplay: z.string(),
  plate: z.record(z.string(), z.unknown()).describe("the plate's parts, per plate scheme"),
  registrationNumber: z.string().nullable(),
  vin: z.string().nullable(),
  label: z.string().nullable(),
  costCentre: z.string().nullable(),
  driver: z.string().nullable(),
  attributes: z.record(z.string(), z.string()).describe('extra columns of the upload, by header'),
  active: z.boolean(),
  activeFrom: timestamp,
  activeUntil: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const vehiclesAnswer = z.object({ vehicles: z.array(vehicleAnswer), nextCursor });
