/**
 * Whether an error is PostgreSQL's unique-key failure (23505), of the named constraint when one
 * is given: how a writer recognises the duplicate a constraint refused.
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const { code, constraint: refusedBy } = error as { code?: string; constraint?: string };
  return code === '23505' && (constraint === undefined || refusedBy === constraint);
}
