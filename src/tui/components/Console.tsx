/**
 * The console's screens and keys: which view is shown, what is selected, the open prompt, the
 * status line. Everything it shows comes from the state context; everything it does goes through
 * the actions context, so it renders the same against a live gateway and in component tests.
 */
import { Box, Text } from 'ink';
import { useLatestInput } from '../hooks/useLatestInput.js';
import { useEffect, useRef } from 'react';
import { cannotDecide } from '../approvals-view.js';
import { derive, type UiState } from '../ui-state.js';
import { useUiStore } from '../hooks/useUiStore.js';
import { useConsoleActions, useConsoleState } from '../contexts/ConsoleContext.js';
import { fit, who } from '../format.js';
import { useNow } from '../hooks/useNow.js';
import { useTerminalSize } from '../hooks/useTerminalSize.js';
import { Command, commandFor, type Screen } from '../key/bindings.js';
import { ApprovalDetails } from './ApprovalDetails.js';
import { ApprovalList } from './ApprovalList.js';
import { Footer } from './Footer.js';
import { Header } from './Header.js';
import { HelpOverlay } from './HelpOverlay.js';
import { HistoryList, replayLink } from './HistoryList.js';
import { Prompt, promptKey, type PromptSpec } from './Prompt.js';
import { SessionList } from './SessionList.js';
import { WatchView } from './WatchView.js';

const VIEWS: Screen[] = ['approvals', 'sessions', 'history'];

export function Console() {
  const state = useConsoleState();
  const actions = useConsoleActions();
  const { columns, rows } = useTerminalSize();
  const now = useNow();
  const store = useUiStore();
  const { screen, help, prompt, status, watchId } = store.ui();
  const { queue, approvalIndex, currentApproval, sessionIndex, currentSession } = derive(store.ui(), state);
  const setStatus = (value: UiState['status']): void => store.update({ status: value });
  const setPrompt = (spec: PromptSpec | undefined): void => store.update({ prompt: spec ? { spec, text: '' } : undefined });

  // First screen: the queue when anything is pending, else the live sessions.
  useEffect(() => {
    const ui = store.ui();
    if (ui.chosenFirst || !state.ready) return;
    store.update({ chosenFirst: true, ...(ui.screen === 'approvals' && !state.approvals.some((a) => a.status === 'pending') ? { screen: 'sessions' } : {}) });
  }, [state.ready]);

  // The link's changes show in the status line: "reconnected" after a gateway restart.
  const lastLink = useRef(state.link.state);
  useEffect(() => {
    if (state.link.state === 'connected' && lastLink.current === 'reconnecting') setStatus({ text: 'reconnected to the gateway' });
    lastLink.current = state.link.state;
  }, [state.link]);

  const report = (work: Promise<void>, done: string): void => {
    work.then(
      () => setStatus({ text: done }),
      (error: Error) => setStatus({ text: error.message, bad: true }),
    );
  };

  const decide = (kind: 'approve' | 'deny'): void => {
    const approval = derive(store.ui(), state).currentApproval;
    if (!approval) return setStatus({ text: 'nothing selected', bad: true });
    const blocked = cannotDecide(approval, state.me?.user, state.abilities?.approve ?? false);
    if (blocked) return setStatus({ text: `cannot ${kind}: ${blocked}`, bad: true });
    const subject = `${who(approval.requester, approval.actor)}: $ ${approval.command}`;
    setPrompt(
      kind === 'approve'
        ? { title: `Approve ${subject}`, label: 'reason (optional)', required: false, onSubmit: (reason) => report(actions.approve(approval.id, reason || undefined), `approved ${approval.id.slice(0, 8)}`) }
        : {
            title: `Deny ${subject}`,
            label: 'reason (required)',
            required: true,
            requiredMessage: 'a reason is required to deny: the requester will read it',
            onSubmit: (reason) => report(actions.deny(approval.id, reason), `denied ${approval.id.slice(0, 8)}`),
          },
    );
  };

  const terminate = (): void => {
    const session = derive(store.ui(), state).currentSession;
    if (!session) return setStatus({ text: 'no session selected', bad: true });
    if (!state.abilities?.terminate) return setStatus({ text: 'only approvers and admins may terminate sessions', bad: true });
    setPrompt({
      title: `Terminate ${who(session.user, session.actor)}'s session on ${session.connection}? They will see your name and reason.`,
      label: 'reason (optional), Enter terminates',
      required: false,
      onSubmit: (reason) => report(actions.terminate(session.id, reason || undefined), `terminated ${who(session.user, session.actor)}'s session`),
    });
  };

  const move = (delta: number): void => {
    const ui = store.ui();
    const { queue, approvalIndex, sessionIndex } = derive(ui, state);
    const clamp = (index: number, length: number): number => Math.min(length - 1, Math.max(0, index));
    if (ui.screen === 'approvals' && queue.length) store.update({ selectedApproval: queue[clamp(approvalIndex + delta, queue.length)]!.id });
    if (ui.screen === 'sessions' && state.sessions.length) store.update({ selectedSession: state.sessions[clamp(sessionIndex + delta, state.sessions.length)]!.id });
    if (ui.screen === 'history') store.update({ historyIndex: clamp(ui.historyIndex + delta, Math.max(1, state.history.entries.length)) });
  };

  const show = (view: Screen): void => {
    store.update({ chosenFirst: true, screen: view, status: undefined });
    if (view === 'history') actions.loadHistory();
  };

  useLatestInput((input, key) => {
    const ui = store.ui();
    if (ui.prompt) {
      const { next, submit } = promptKey(ui.prompt, input, key);
      store.update({ prompt: next });
      if (submit !== undefined) ui.prompt.spec.onSubmit(submit);
      return;
    }
    const { screen } = ui;
    const { currentApproval, currentSession } = derive(ui, state);
    const command = commandFor(screen, input, key);
    if (ui.help && command !== Command.Quit) {
      if (command === Command.Help || key.escape) store.update({ help: false });
      return;
    }
    switch (command) {
      case Command.Help: return store.update({ help: true });
      case Command.Quit: return actions.quit();
      case Command.ShowApprovals: return show('approvals');
      case Command.ShowSessions: return show('sessions');
      case Command.ShowHistory: return show('history');
      case Command.NextView: {
        const base = screen === 'details' ? 'approvals' : screen === 'watch' ? 'sessions' : screen;
        return show(VIEWS[(VIEWS.indexOf(base) + 1) % VIEWS.length]!);
      }
      case Command.Up: return move(-1);
      case Command.Down: return move(1);
      case Command.Open: {
        if (screen === 'approvals' && currentApproval) return store.update({ detailsId: currentApproval.id, screen: 'details', status: undefined });
        if (screen === 'sessions' && currentSession) return store.update({ watchId: currentSession.id, screen: 'watch', status: undefined });
        const entry = state.history.entries[ui.historyIndex];
        if (screen === 'history' && entry) return setStatus({ text: `replay: ${replayLink(state.gatewayUrl, entry.sessionId)}` });
        return;
      }
      case Command.Back:
        if (screen === 'details') return store.update({ screen: 'approvals' });
        if (screen === 'watch') return store.update({ screen: 'sessions' });
        return setStatus(undefined);
      case Command.Approve: return decide('approve');
      case Command.Deny: return decide('deny');
      case Command.ToggleDecided: return store.update((before) => ({ showDecided: !before.showDecided }));
      case Command.Watch: {
        const id = screen === 'details' ? currentApproval?.sessionId : currentSession?.id;
        if (id) store.update({ watchId: id, screen: 'watch', status: undefined });
        return;
      }
      case Command.Terminate: return terminate();
      case Command.Refresh: return actions.loadHistory();
      default: return;
    }
  });

  const width = Math.max(20, columns - 1);
  const bodyHeight = Math.max(3, rows - 6 - (prompt ? 5 : 0));
  const readOnly = state.abilities && !state.abilities.approve && (screen === 'approvals' || screen === 'details');
  let body;
  if (help) body = <HelpOverlay width={width} height={bodyHeight} />;
  else if (screen === 'approvals') body = <ApprovalList items={queue} selected={approvalIndex} width={width} height={bodyHeight - (readOnly ? 1 : 0)} now={now} />;
  else if (screen === 'details')
    body = currentApproval ? <ApprovalDetails approval={currentApproval} width={width} height={bodyHeight - (readOnly ? 1 : 0)} now={now} /> : <Text>That request is gone.</Text>;
  else if (screen === 'sessions') body = <SessionList items={state.sessions} selected={sessionIndex} width={width} height={bodyHeight} now={now} />;
  else if (screen === 'watch') body = watchId ? <WatchView sessionId={watchId} info={currentSession} width={width} height={bodyHeight} /> : null;
  else body = <HistoryList selected={store.ui().historyIndex} width={width} height={bodyHeight} />;

  return (
    <Box flexDirection="column" width={columns} height={rows - 1}>
      <Header screen={screen} width={width} />
      {readOnly ? <Text dimColor>{fit('read-only: you are not an approver, so a and d are disabled; you can still read and watch', width)}</Text> : null}
      <Box flexDirection="column" height={bodyHeight} marginTop={1}>
        {body}
      </Box>
      {prompt ? <Prompt state={prompt} width={width} /> : null}
      <Text color={status?.bad && state.theme.color ? state.theme.danger : undefined} bold={status?.bad} wrap="truncate-end">
        {fit(status?.text ?? ' ', width)}
      </Text>
      <Footer screen={screen} width={width} prompt={Boolean(prompt)} />
    </Box>
  );
}
