/** One audited command as `GET /v1/audit` returns it: shared by the gateway and hoop-shell. */
export interface AuditCommand {
  time: string;
  sessionId: string | null;
  user: string | null;
  actor: string | null;
  connection: string | null;
  command: string;
  /** allow | deny (policy), review when an approval was involved. */
  decision: string | null;
  rule: string | null;
  reason: string | null;
  approval: string | null;
  approvers: string[];
  exitCode: number | null;
  finishedAt: string | null;
}
