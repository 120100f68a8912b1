/**
 * Human approvals of held commands and API requests. A hold becomes a persisted approval; the
 * caller waits on its outcome. Approvers are users in the rule's groups; the requester (the
 * engineer, also when an agent asked for them) never approves their own request; one deny ends
 * it; `count` distinct approvals release it; the timeout expires it. A restart turns every pending
 * approval into an expired one: the held command is never run later by surprise.
 */
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { GatewayError } from '../../errors.js';
import type { ApprovalView } from '../../protocol/approval.js';
import type { Identity } from '../auth/identity.js';
import { ApprovalStore, type ApprovalRecord } from './approval-store.js';

export interface HoldRequest {
  identity: Identity;
  connection: string;
  sessionId: string;
  command: string;
  apiRequest?: string;
  layer: 'command' | 'api';
  rule: string;
  why: string[];
  groups: string[];
  count: number;
  timeoutSeconds: number;
}

export type HoldOutcome =
  | { status: 'approved'; approval: ApprovalRecord; by: string[] }
  | { status: 'denied'; approval: ApprovalRecord; by?: string; reason: string }
  | { status: 'expired'; approval: ApprovalRecord; reason: string };

export interface Hold {
  approval: ApprovalRecord;
  outcome: Promise<HoldOutcome>;
  /** Ends the hold without a decision (the session ended, the user pressed Ctrl-C). */
  cancel(reason: string): void;
}

interface Waiter {
  resolve(outcome: HoldOutcome): void;
  timer: NodeJS.Timeout;
}

/** Who may see every approval (besides requesters and the rule's approvers). */
export type RoleCheck = (identity: Identity, role: string) => boolean;

export class ApprovalService {
  readonly store: ApprovalStore;
  readonly #events: EventEmitter;
  readonly #hasRole: RoleCheck;
  readonly #waiters = new Map<string, Waiter>();

  constructor(store: ApprovalStore, events: EventEmitter, hasRole: RoleCheck) {
    this.store = store;
    this.#events = events;
    this.#hasRole = hasRole;
  }

  /** At start-up: whatever was pending belonged to sessions that are gone. Returns how many. */
  expireOrphans(reason = 'the gateway restarted while it was held; the command was not run'): number {
    const at = new Date().toISOString();
    let count = 0;
    for (const id of this.store.pendingIds()) {
      if (this.store.finish(id, 'expired', { reason, at })) {
        count++;
        this.#emit(id);
      }
    }
    return count;
  }

  hold(request: HoldRequest): Hold {
    const now = new Date();
    const record: ApprovalRecord = {
      id: randomBytes(5).toString('hex'),
      status: 'pending',
      requester: request.identity.user,
      ...(request.identity.actor ? { actor: request.identity.actor } : {}),
      connection: request.connection,
      sessionId: request.sessionId,
      command: request.command,
      ...(request.apiRequest ? { apiRequest: request.apiRequest } : {}),
      layer: request.layer,
      rule: request.rule,
      why: request.why,
      groups: request.groups,
      count: request.count,
      approvals: [],
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + request.timeoutSeconds * 1000).toISOString(),
    };
    this.store.insert(record);
    let resolveOutcome!: (outcome: HoldOutcome) => void;
    const outcome = new Promise<HoldOutcome>((resolve) => (resolveOutcome = resolve));
    const timer = setTimeout(() => this.#expire(record.id, `no decision within ${formatSeconds(request.timeoutSeconds)}; the approval expired`), request.timeoutSeconds * 1000);
    timer.unref();
    this.#waiters.set(record.id, { resolve: resolveOutcome, timer });
    if (request.groups.length === 0) {
      // A review rule without approvers can never be approved: say so at once instead of waiting.
      queueMicrotask(() => this.#expire(record.id, `rule "${request.rule}" names no approver groups`));
    }
    this.#emit(record.id);
    return { approval: record, outcome, cancel: (reason) => this.#expire(record.id, reason) };
  }

  get(id: string): ApprovalRecord | undefined {
    return this.store.get(id);
  }

  /** Why `identity` may not decide `approval`, or undefined when it may. */
  refusal(identity: Identity, approval: ApprovalRecord): string | undefined {
    if (approval.status !== 'pending') return `approval ${approval.id} is already ${approval.status}`;
    if (identity.user === approval.requester) {
      return approval.actor
        ? `you cannot decide approval ${approval.id}: agent ${approval.actor} asked for it on your behalf`
        : `you cannot decide approval ${approval.id}: you requested it (self-approval is not allowed)`;
    }
    if (identity.actor) return `agent ${identity.actor} cannot decide approvals; a person must`;
    if (!identity.groups.some((group) => approval.groups.includes(group))) return `you are not an approver of approval ${approval.id} (needs a member of ${approval.groups.join(', ') || 'no group'})`;
    if (approval.approvals.some((decision) => decision.by === identity.user)) return `you already approved ${approval.id}; it needs ${approval.count} distinct approvers`;
    return undefined;
  }

  decide(identity: Identity, id: string, decision: 'approve' | 'deny', reason?: string): ApprovalRecord {
    const approval = this.store.get(id);
    if (!approval || !this.canSee(identity, approval)) throw new GatewayError('NOT_FOUND', `no approval ${id}`);
    const trimmed = reason?.trim() || undefined;
    if (decision === 'deny' && !trimmed) throw new GatewayError('BAD_REQUEST', 'a deny needs a reason (--reason TEXT)');
    if (approval.status !== 'pending') throw new GatewayError('SESSION_STATE', `approval ${id} is already ${approval.status}${approval.deniedBy ? ` by ${approval.deniedBy}` : ''}`);
    const refusal = this.refusal(identity, approval);
    if (refusal) {
      const again = approval.approvals.some((entry) => entry.by === identity.user);
      throw new GatewayError(again ? 'SESSION_STATE' : 'FORBIDDEN', refusal);
    }
    const at = new Date().toISOString();
    if (decision === 'deny') {
      this.store.finish(id, 'denied', { deniedBy: identity.user, reason: trimmed, at });
      this.#settle(id, (record) => ({ status: 'denied', approval: record, by: identity.user, reason: trimmed! }));
      return this.store.get(id)!;
    }
    this.store.addApproval(id, identity.user, trimmed, at);
    const updated = this.store.get(id)!;
    if (updated.approvals.length >= updated.count) {
      this.store.finish(id, 'approved', { at });
      this.#settle(id, (record) => ({ status: 'approved', approval: record, by: record.approvals.map((entry) => entry.by) }));
    } else this.#emit(id);
    return this.store.get(id)!;
  }

  /** Requesters see theirs; approvers see those of their groups; admins and auditors see all. */
  canSee(identity: Identity, approval: ApprovalRecord): boolean {
    return (
      approval.requester === identity.user ||
      identity.groups.some((group) => approval.groups.includes(group)) ||
      this.#hasRole(identity, 'admin') ||
      this.#hasRole(identity, 'auditor') ||
      this.#hasRole(identity, 'approver')
    );
  }

  view(approval: ApprovalRecord, identity: Identity): ApprovalView {
    const refusal = this.refusal(identity, approval);
    return { ...approval, canDecide: refusal === undefined, ...(refusal && approval.status === 'pending' ? { cannotDecideBecause: refusal } : {}) };
  }

  list(identity: Identity, all: boolean): ApprovalView[] {
    return this.store
      .list({ all })
      .filter((approval) => this.canSee(identity, approval))
      .map((approval) => this.view(approval, identity));
  }

  /** Stops every timer (gateway stop); pending rows stay pending until the next start expires them. */
  close(): void {
    for (const waiter of this.#waiters.values()) clearTimeout(waiter.timer);
    this.#waiters.clear();
  }

  #expire(id: string, reason: string): void {
    if (!this.#waiters.has(id)) return;
    this.store.finish(id, 'expired', { reason, at: new Date().toISOString() });
    this.#settle(id, (record) => ({ status: 'expired', approval: record, reason }));
  }

  #settle(id: string, build: (record: ApprovalRecord) => HoldOutcome): void {
    const record = this.store.get(id)!;
    const waiter = this.#waiters.get(id);
    this.#waiters.delete(id);
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(build(record));
    }
    this.#emit(id);
  }

  #emit(id: string): void {
    const record = this.store.get(id);
    if (record) this.#events.emit('approval', record);
  }
}

function formatSeconds(seconds: number): string {
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
