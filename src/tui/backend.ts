/**
 * Builds the console's backend from the typed client library: the same documented HTTP and
 * WebSocket API every client uses (no private side door). History is read from the sessions API.
 */
import { approvalCalls } from '../client/approvals.js';
import type { Gateway } from '../client/gateway.js';
import type { HistoryEntry } from './contexts/ConsoleContext.js';
import type { ConsoleBackend } from './hooks/useLiveFeed.js';

/** Sessions whose commands the history view reads (newest first). */
const HISTORY_SESSIONS = 25;

export function gatewayBackend(gateway: Gateway, terminal: { bell(): void; quit(): void }): ConsoleBackend {
  return {
    gatewayUrl: gateway.url,
    whoami: () => gateway.whoami(),
    abilities: () => gateway.abilities(),
    live: () => gateway.live(),
    approve: (id, reason) => gateway.approve(id, reason),
    deny: (id, reason) => gateway.deny(id, reason),
    terminate: (id, reason) => gateway.terminate(id, reason),
    history: () => loadHistory(gateway),
    bell: terminal.bell,
    quit: terminal.quit,
  };
}

async function loadHistory(gateway: Gateway): Promise<HistoryEntry[]> {
  const sessions = (await approvalCalls.sessions(gateway, { all: true })).slice(0, HISTORY_SESSIONS);
  const details = await Promise.all(sessions.map((session) => approvalCalls.session(gateway, session.id).catch(() => undefined)));
  const entries: HistoryEntry[] = [];
  for (const session of details) {
    if (!session) continue;
    for (const command of session.commands) {
      entries.push({
        sessionId: session.id,
        user: session.user,
        actor: session.actor,
        connection: session.connection,
        text: command.text,
        decision: command.decision,
        rule: command.rule,
        approver: command.approver,
        exitCode: command.exit_code,
        at: command.started_at,
      });
    }
  }
  return entries.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}
