/**
 * An approval as clients see it (HTTP `/v1/approvals`, the WebSocket `approval` push, hoop-shell
 * approvals, hoop-tui). Shared by the gateway and every client; plain data, no behaviour.
 */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

export interface ApprovalDecisionView {
  by: string;
  reason?: string;
  at: string;
}

export interface ApprovalView {
  id: string;
  status: ApprovalStatus;
  /** The engineer the request is for (a token's `sub`). */
  requester: string;
  /** The agent that asked on the requester's behalf, if any. */
  actor?: string;
  connection: string;
  sessionId: string;
  /** Exactly what will run (secrets masked), or the API request's description for API-layer holds. */
  command: string;
  /** `DELETE /api/v1/namespaces/default/pods/web-1` for holds at the Kubernetes API layer. */
  apiRequest?: string;
  layer: 'command' | 'api';
  rule: string;
  /** Why the rule matched, one phrase per field. */
  why: string[];
  /** Approvers are users in any of these groups. */
  groups: string[];
  /** Distinct approvals needed. */
  count: number;
  approvals: ApprovalDecisionView[];
  deniedBy?: string;
  /** The deny reason, or why it expired. */
  reason?: string;
  createdAt: string;
  expiresAt: string;
  decidedAt?: string;
  /** Whether the caller may approve or deny it now. */
  canDecide: boolean;
  /** Why the caller may not, when canDecide is false and it is pending. */
  cannotDecideBecause?: string;
}
