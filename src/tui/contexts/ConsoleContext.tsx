/**
 * What the console shows (state) and what it can do (actions), published through two separate
 * contexts so views re-render on state and actions stay stable. Both hooks throw outside their
 * provider: a view rendered without data fails loudly instead of showing an empty screen.
 */
import { createContext, useContext, type ReactNode } from 'react';
import type { Abilities, Approval, LiveSessionInfo } from '../../client/approvals.js';
import type { Theme } from '../theme.js';

export type LinkStatus =
  | { state: 'connecting' }
  | { state: 'connected'; since: number; reconnected: boolean }
  | { state: 'reconnecting'; attempt: number; reason: string };

export interface HistoryEntry {
  sessionId: string;
  user: string;
  actor: string | null;
  connection: string;
  text: string;
  decision: string | null;
  rule: string | null;
  approver: string | null;
  exitCode: number | null;
  at: string;
}

export interface ConsoleState {
  gatewayUrl: string;
  me: { user: string; groups: string[]; actor?: string } | undefined;
  abilities: Abilities | undefined;
  link: LinkStatus;
  /** The first snapshot of approvals and sessions has arrived. */
  ready: boolean;
  /** Every approval the feed has seen, newest first (pending and decided). */
  approvals: Approval[];
  sessions: LiveSessionInfo[];
  history: { entries: HistoryEntry[]; loading: boolean; error?: string };
  theme: Theme;
}

/** What a watch delivers; the console feeds it into a terminal model. */
export interface WatchListener {
  started(info: { cols: number; rows: number; recent: Buffer; user: string; actor?: string; connection: string; markers?: { label: string; at: string }[] }): void;
  output(data: Buffer): void;
  resize(cols: number, rows: number): void;
  marker(label: string, at: string): void;
  skipped(bytes: number): void;
  ended(reason: string | undefined): void;
  refused(message: string): void;
}

export interface ConsoleActions {
  approve(id: string, reason?: string): Promise<void>;
  deny(id: string, reason: string): Promise<void>;
  terminate(sessionId: string, reason?: string): Promise<void>;
  /** Starts watching; returns the function that stops. */
  watch(sessionId: string, listener: WatchListener): () => void;
  loadHistory(): void;
  quit(): void;
}

const StateContext = createContext<ConsoleState | undefined>(undefined);
const ActionsContext = createContext<ConsoleActions | undefined>(undefined);

export function ConsoleProvider({ state, actions, children }: { state: ConsoleState; actions: ConsoleActions; children: ReactNode }) {
  return (
    <ActionsContext.Provider value={actions}>
      <StateContext.Provider value={state}>{children}</StateContext.Provider>
    </ActionsContext.Provider>
  );
}

export function useConsoleState(): ConsoleState {
  const state = useContext(StateContext);
  if (!state) throw new Error('useConsoleState must be used inside <ConsoleProvider>');
  return state;
}

export function useConsoleActions(): ConsoleActions {
  const actions = useContext(ActionsContext);
  if (!actions) throw new Error('useConsoleActions must be used inside <ConsoleProvider>');
  return actions;
}
