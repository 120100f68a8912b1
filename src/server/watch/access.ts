/**
 * Who may watch and who may terminate a session. Roles come from config `roles` (groups → roles);
 * a user in the approver groups of any policy rule counts as an approver too, so the on-call group
 * a rule names can watch the sessions it approves for without a second list.
 * It never grants anything to a token limited to connections (agent tokens) beyond its own sessions.
 */
import type { Identity } from '../auth/identity.js';
import type { Gateway } from '../gateway.js';

export interface Abilities {
  /** May decide approvals (in some group that approves, or role `approver`/`admin`). */
  approve: boolean;
  /** May watch every live session (approver, auditor, admin). Everyone may watch their own. */
  watchAll: boolean;
  /** May terminate any session (approver, admin). */
  terminate: boolean;
  roles: string[];
}

export function isRuleApprover(gateway: Gateway, identity: Identity): boolean {
  return gateway.config.policy.rules.some((rule) => rule.approvers?.groups.some((group) => identity.groups.includes(group)));
}

export function abilitiesOf(gateway: Gateway, identity: Identity): Abilities {
  const roles = Object.keys(gateway.config.roles).filter((role) => gateway.hasRole(identity, role));
  // Agent tokens act for someone; they get no oversight powers of their own.
  if (identity.actor) return { approve: false, watchAll: false, terminate: false, roles };
  const approver = gateway.hasRole(identity, 'approver') || isRuleApprover(gateway, identity);
  const admin = gateway.hasRole(identity, 'admin');
  const auditor = gateway.hasRole(identity, 'auditor');
  return { approve: approver || admin, watchAll: approver || auditor || admin, terminate: approver || admin, roles };
}

/** The session's own user may always watch it (an engineer watching their agent at work). */
export function mayWatch(gateway: Gateway, identity: Identity, session: { identity: Identity }): boolean {
  if (session.identity.user === identity.user && !identity.actor) return true;
  if (identity.actor) return session.identity.user === identity.user && session.identity.actor === identity.actor;
  return abilitiesOf(gateway, identity).watchAll;
}
