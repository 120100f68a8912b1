/**
 * The approver's side of the API for any client (hoop-shell approvals/approve/deny, hoop-tui,
 * agents): list and decide approvals, see what the caller may do, list sessions, terminate one.
 * Plain calls on a Gateway's JSON API; it never caches or decides anything itself.
 */
import type { ApprovalStatus, ApprovalView } from '../protocol/approval.js';
import type { LiveSessionInfo } from '../protocol/messages.js';

/** An approval as the gateway shows it to the caller (docs/protocol.md "Approvals"). */
export type Approval = ApprovalView;
export type { ApprovalStatus };

export interface Abilities {
  approve: boolean;
  watchAll: boolean;
  terminate: boolean;
  roles: string[];
}

export interface SessionRecord {
  id: string;
  user: string;
  actor: string | null;
  connection: string;
  mode: string;
  state: string;
  started_at: string;
  ended_at: string | null;
  exit_code: number | null;
  end_reason: string | null;
}

export interface CommandRecord {
  id: number;
  session_id: string;
  text: string;
  decision: string | null;
  rule: string | null;
  approver: string | null;
  approval_id: string | null;
  started_at: string;
  ended_at: string | null;
  exit_code: number | null;
}

export type { LiveSessionInfo };

/** What these calls need from the Gateway client (its JSON request). */
export interface JsonRequester {
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

const enc = encodeURIComponent;

export const approvalCalls = {
  list: (gateway: JsonRequester, options: { all?: boolean } = {}) => gateway.request<Approval[]>('GET', `/v1/approvals${options.all ? '?all=true' : ''}`),
  approve: (gateway: JsonRequester, id: string, reason?: string) => gateway.request<Approval>('POST', `/v1/approvals/${enc(id)}/approve`, reason ? { reason } : {}),
  deny: (gateway: JsonRequester, id: string, reason: string) => {
    if (typeof reason !== 'string' || reason.trim() === '') throw new TypeError('deny: a reason is required');
    return gateway.request<Approval>('POST', `/v1/approvals/${enc(id)}/deny`, { reason });
  },
  abilities: (gateway: JsonRequester) => gateway.request<Abilities>('GET', '/v1/abilities'),
  sessions: (gateway: JsonRequester, options: { all?: boolean } = {}) => gateway.request<SessionRecord[]>('GET', `/v1/sessions${options.all ? '?all=true' : ''}`),
  session: (gateway: JsonRequester, id: string) => gateway.request<SessionRecord & { commands: CommandRecord[] }>('GET', `/v1/sessions/${enc(id)}`),
  terminate: (gateway: JsonRequester, id: string, reason?: string) =>
    gateway.request<{ id: string; terminated: true; by: string; reason?: string }>('POST', `/v1/sessions/${enc(id)}/terminate`, reason ? { reason } : {}),
};
