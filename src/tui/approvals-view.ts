/** Which approvals the queue shows, in what order, and how one reads as text (shared by views). */
import type { Approval } from '../client/approvals.js';

/** Pending first (soonest to expire on top), then decided ones when asked (latest first). */
export function queueOrder(approvals: Approval[], showDecided: boolean): Approval[] {
  const pending = approvals.filter((a) => a.status === 'pending').sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt));
  if (!showDecided) return pending;
  const decided = approvals
    .filter((a) => a.status !== 'pending')
    .sort((a, b) => Date.parse(b.decidedAt ?? b.createdAt) - Date.parse(a.decidedAt ?? a.createdAt));
  return [...pending, ...decided];
}

export function whyText(approval: Approval): string {
  const why = approval.why as string[] | string;
  return Array.isArray(why) ? why.join('; ') : why;
}

/** "needs 1 more of oncall" / "needs 2 more of oncall, sre". */
export function stillNeeded(approval: Approval): string {
  const more = Math.max(0, approval.count - approval.approvals.length);
  return `needs ${more} more of ${approval.groups.join(', ') || '(no group)'}`;
}

/** Why the signed-in user cannot decide this one, or undefined when they can. */
export function cannotDecide(approval: Approval, me: string | undefined, canApprove: boolean): string | undefined {
  if (approval.status !== 'pending') return `already ${approval.status}`;
  if (me && approval.requester === me) return 'your own request: someone else must decide';
  if (!approval.canDecide) return approval.cannotDecideBecause ?? (canApprove ? 'you are not in an approver group of this rule' : 'read-only: you are not an approver');
  return undefined;
}

/** "approved by bob, carol" / "denied by bob: not now" / "expired". */
export function outcome(approval: Approval): string | undefined {
  if (approval.status === 'approved') return `approved by ${approval.approvals.map((a) => a.by).join(', ')}`;
  if (approval.status === 'denied') return `denied by ${approval.deniedBy ?? '?'}${approval.reason ? `: ${approval.reason}` : ''}`;
  if (approval.status === 'expired') return `expired${approval.reason ? `: ${approval.reason}` : ''}`;
  if (approval.approvals.length > 0) return `approved so far by ${approval.approvals.map((a) => a.by).join(', ')}`;
  return undefined;
}
