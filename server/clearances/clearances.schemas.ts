import { z } from 'zod';
import { id, nextCursor, timestamp } from '../http/answers.ts';

export const clearanceAnswer = z.object({
  id,
  vehicleId: id,
  plate: z.string(),
  asOf: timestamp,
  asOfRunId: id,
  status: z.enum(['valid', 'revoked']),
  issuedAt: timestamp,
  revokedAt: timestamp.nullable(),
  revokeReason: z.string().nullable(),
  revokedByRun: id.nullable(),
  certificate: z.string().describe('where to download the certificate (PDF)'),
});

export const issuedClearanceAnswer = clearanceAnswer.extend({
  code: z.string().describe('the verification code printed on the certificate'),
  verifyUrl: z.string(),
});

export const clearancesAnswer = z.object({ clearances: z.array(clearanceAnswer), nextCursor });
