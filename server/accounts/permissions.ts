/** Roles a person (or an API token) holds in one account. */
export const roles = ['owner', 'fleet_admin', 'accountant', 'viewer'] as const;
export type Role = (typeof roles)[number];

/**
 * What each role may do. Owners run the account (users, settings, tokens, audit); fleet admins
 * run the fleet (vehicles, uploads, runs); accountants handle money (statements, payment numbers,
 * payments, exceptions); everyone in an account may read it.
 */
const grants = {
  'account.read': ['owner', 'fleet_admin', 'accountant', 'viewer'],
  'account.manage': ['owner'],
  'users.manage': ['owner'],
  'tokens.manage': ['owner'],
  'audit.read': ['owner'],
  'fleet.read': ['owner', 'fleet_admin', 'accountant', 'viewer'],
  'fleet.write': ['owner', 'fleet_admin'],
  'runs.start': ['owner', 'fleet_admin'],
  'runs.abort': ['owner'],
  'money.read': ['owner', 'accountant', 'viewer'],
  'money.write': ['owner', 'accountant'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof grants;
export const permissions = Object.keys(grants) as Permission[];

export function can(role: Role, permission: Permission): boolean {
  return (grants[permission] as readonly Role[]).includes(role);
}

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}
