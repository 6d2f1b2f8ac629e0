import { z } from 'zod';
import { roles } from '../accounts/permissions.ts';
import { id, timestamp } from '../http/answers.ts';

const role = z.enum(roles);

const person = {
  user: z.object({ id, email: z.string(), displayName: z.string().nullable(), isOperator: z.boolean() }),
  accounts: z.array(
    z.object({ id, legalNameEn: z.string(), legalNameAr: z.string(), jurisdiction: z.string(), role }),
  ),
  csrfToken: z.string(),
};

export const signedInAnswer = z.object({ ...person, expiresAt: timestamp });

/** A person with their accounts, or an API token with its account and role. */
export const meAnswer = z.union([
  z.object(person),
  z.object({ token: z.object({ id, accountId: id, role }) }),
]);

export const demoAnswer = z.object({
  password: z.string(),
  users: z.array(z.object({ email: z.string(), role: z.string(), account: z.string() })),
});
