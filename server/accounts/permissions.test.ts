import { describe, expect, it } from 'vitest';
import { can, permissions, roles } from './permissions.ts';

describe('permissions', () => {
  it('lets owners do everything', () => {
    for (const permission of permissions) expect(can('owner', permission)).toBe(true);
  });

  it('keeps viewers read-only', () => {
    const writable = permissions.filter((p) => can('viewer', p));
    expect(writable.every((p) => p.endsWith('.read'))).toBe(true);
  });

  it('separates fleet work from money work', () => {
    expect(can('fleet_admin', 'fleet.write')).toBe(true);
    expect(can('fleet_admin', 'money.write')).toBe(false);
    expect(can('accountant', 'money.write')).toBe(true);
    expect(can('accountant', 'fleet.write')).toBe(false);
    expect(can('accountant', 'runs.start')).toBe(false);
  });

  it('reserves users, settings, tokens and the audit log for owners', () => {
    for (const role of roles.filter((r) => r !== 'owner')) {
      for (const p of ['users.manage', 'account.manage', 'tokens.manage', 'audit.read'] as const) {
        expect(can(role, p)).toBe(false);
      }
    }
  });
});
