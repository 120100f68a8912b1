/**
 * Roles come from groups (config `roles: {approver: [...], auditor: [...], admin: [...]}`). This
 * module only reads config; it never grants a role a group does not carry.
 */
import type { Identity } from '../auth/identity.js';

/** The roles the rest of hoop-shell asks about (approvals, replay access, hoop-tui). */
export const KNOWN_ROLES = ['approver', 'auditor', 'admin'] as const;

/** Every configured role whose groups include one of the identity's groups, sorted. */
export function rolesOf(roles: Record<string, string[]>, identity: Pick<Identity, 'groups'>): string[] {
  return Object.entries(roles)
    .filter(([, groups]) => identity.groups.some((group) => groups.includes(group)))
    .map(([role]) => role)
    .sort();
}
