import { z } from 'zod';
import { id } from '../http/answers.ts';

/** A statement not rendered yet: poll `poll` after `retryAfterSeconds` (also the Retry-After header). */
export const renderingAnswer = z.object({
  status: z.literal('rendering'),
  run: z.object({ runId: id, status: z.string() }),
  poll: z.string(),
  retryAfterSeconds: z.number().int(),
});
