/**
 * The console's own state (which view, what is selected, the open prompt, the status line) and
 * what follows from it with the gateway's data. Kept in one object so the key handler can read
 * and change it synchronously, however fast keys arrive.
 */
import type { Approval, LiveSessionInfo } from '../client/approvals.js';
import { queueOrder } from './approvals-view.js';
import type { PromptState } from './components/Prompt.js';
import type { ConsoleState } from './contexts/ConsoleContext.js';
import type { Screen } from './key/bindings.js';

export interface UiState {
  screen: Screen;
  /** The first screen was chosen (by the first snapshot or by the user). */
  chosenFirst: boolean;
  help: boolean;
  prompt?: PromptState;
  status?: { text: string; bad?: boolean };
  showDecided: boolean;
  selectedApproval?: string;
  selectedSession?: string;
  historyIndex: number;
  detailsId?: string;
  watchId?: string;
}

export const initialUi: UiState = { screen: 'approvals', chosenFirst: false, help: false, showDecided: false, historyIndex: 0 };

export interface Derived {
  queue: Approval[];
  approvalIndex: number;
  currentApproval?: Approval;
  sessionIndex: number;
  currentSession?: LiveSessionInfo;
}

export function derive(ui: UiState, state: ConsoleState): Derived {
  const queue = queueOrder(state.approvals, ui.showDecided);
  const approvalIndex = Math.max(0, queue.findIndex((a) => a.id === ui.selectedApproval));
  const sessionIndex = Math.max(0, state.sessions.findIndex((s) => s.id === ui.selectedSession));
  return {
    queue,
    approvalIndex,
    currentApproval: ui.screen === 'details' ? state.approvals.find((a) => a.id === ui.detailsId) : queue[approvalIndex],
    sessionIndex,
    currentSession: ui.screen === 'watch' ? state.sessions.find((s) => s.id === ui.watchId) : state.sessions[sessionIndex],
  };
}
