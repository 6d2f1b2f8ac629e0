import { z } from 'zod';
import { id, nextCursor, timestamp } from '../http/answers.ts';

export const exceptionAnswer = z.object({
  id,
  kind: z.string(),
  runId: id.nullable(),
  status: z.enum(['open', 'confirmed', 'dismissed', 'resolved']),
  details: z
    .record(z.string(), z.unknown())
    .describe('the evidence, per kind: tickets, amounts in minor units, the payment and its number'),
  createdAt: timestamp,
  resolvedAt: timestamp.nullable(),
  resolvedBy: id.nullable(),
  resolution: z.string().nullable(),
  resolvedByRun: id.nullable(),
  paymentId: id.nullable(),
  paymentNumberId: id.nullable(),
  resolutionNote: z.string().nullable(),
});

export const exceptionsAnswer = z.object({ exceptions: z.array(exceptionAnswer), nextCursor });

/** A decided mass settlement says how many violations the decision touched. */
export const decidedExceptionAnswer = exceptionAnswer.extend({ violations: z.number().int().optional() });
