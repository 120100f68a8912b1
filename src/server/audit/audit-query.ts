/**
 * Answers "which commands ran, who ran them, what was decided" from the audit chain itself (so
 * what an auditor reads is what `verify` vouches for). Read-only.
 */
import { parseDuration } from '../../util/duration.js';
import type { AuditCommand } from '../../protocol/audit.js';
import type { AuditChain, AuditRow } from './audit-chain.js';

export type { AuditCommand };

export interface AuditFilter {
  sessionId?: string;
  user?: string;
  connection?: string;
  since?: string;
  decision?: string;
}

/** `since` is a duration back from now (1h, 7d) or an ISO time. */
export function resolveSince(since: string | undefined, now = Date.now()): string | undefined {
  if (!since) return undefined;
  const seconds = parseDuration(since);
  if (seconds !== undefined) return new Date(now - seconds * 1000).toISOString();
  const time = Date.parse(since);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function names(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/,\s*/).filter(Boolean);
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    if (typeof item === 'string') return [item];
    const entry = item as { user?: unknown; by?: unknown } | null;
    if (typeof entry?.by === 'string') return [entry.by];
    return typeof entry?.user === 'string' ? [entry.user] : [];
  });
}

export function listAuditCommands(chain: AuditChain, filter: AuditFilter): AuditCommand[] {
  const rows = chain.rows({ kinds: ['command'], sessionId: filter.sessionId, user: filter.user, connection: filter.connection, since: filter.since });
  const byKey = new Map<string, AuditCommand>();
  const approvalsWanted = new Set<string>();
  for (const row of rows) {
    const data = JSON.parse(row.data) as Record<string, unknown>;
    const key = `${row.session_id}/${String(data.commandId)}`;
    let command = byKey.get(key);
    if (!command) {
      command = {
        time: row.at,
        sessionId: row.session_id,
        user: row.user,
        actor: row.actor,
        connection: row.connection,
        command: String(data.text ?? ''),
        decision: null,
        rule: null,
        reason: null,
        approval: null,
        approvers: [],
        exitCode: null,
        finishedAt: null,
      };
      byKey.set(key, command);
    }
    if (data.phase === 'decided') {
      command.decision = typeof data.decision === 'string' ? data.decision : null;
      command.rule = typeof data.rule === 'string' ? data.rule : null;
      command.reason = typeof data.reason === 'string' ? data.reason : null;
      command.approval = typeof data.approvalId === 'string' ? data.approvalId : null;
      command.approvers = names(data.approver);
      if (command.approval) approvalsWanted.add(command.approval);
      if (command.decision === 'deny') command.exitCode = 77;
    } else if (data.phase === 'finished') {
      command.exitCode = typeof data.exitCode === 'number' ? data.exitCode : null;
      command.finishedAt = row.at;
    }
  }
  if (approvalsWanted.size > 0) addApprovers([...byKey.values()], chain.rows({ kinds: ['approval'] }));
  const commands = [...byKey.values()];
  if (!filter.decision) return commands;
  const wanted = filter.decision;
  return commands.filter((command) => command.decision === wanted || (wanted === 'review' && command.approval !== null));
}

/** Approval rows (approvals module) may name who decided: take them when the command row does not. */
function addApprovers(commands: AuditCommand[], approvals: AuditRow[]): void {
  const found = new Map<string, string[]>();
  for (const row of approvals) {
    const data = JSON.parse(row.data) as Record<string, unknown>;
    if (typeof data.id !== 'string') continue;
    const who = data.status === 'approved' || data.status === undefined ? [...names(data.approvals), ...names(data.approvers), ...names(data.approvedBy), ...names(data.by)] : [];
    if (who.length > 0) found.set(data.id, [...new Set(who)]);
  }
  for (const command of commands) {
    if (command.approval && command.approvers.length === 0) command.approvers = found.get(command.approval) ?? [];
  }
}
