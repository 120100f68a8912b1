/**
 * The console's screens and keys: which view is shown, what is selected, the open prompt, the
 * status line. Everything it shows comes from the state context; everything it does goes through
 * the actions context, so it renders the same against a live gateway and in component tests.
 */
import { Box, Text } from 'ink';
import { useLatestInput } from '../hooks/useLatestInput.js';
import { useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { Approval } from '../../client/approvals.js';
import { cannotDecide, queueOrder } from '../approvals-view.js';
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
import { Prompt, promptKey, type PromptSpec, type PromptState } from './Prompt.js';
import { SessionList } from './SessionList.js';
import { WatchView } from './WatchView.js';

const VIEWS: Screen[] = ['approvals', 'sessions', 'history'];

export function Console() {
  const state = useConsoleState();
  const actions = useConsoleActions();
  const { columns, rows } = useTerminalSize();
  const now = useNow();
  const [screen, setScreen] = useState<Screen>('approvals');
  const [help, setHelp] = useState(false);
  // The open prompt lives in a ref: keys typed before the next render must see it at once.
  const promptRef = useRef<PromptState | undefined>(undefined);
  const [, redraw] = useReducer((count: number) => count + 1, 0);
  const setPrompt = (spec: PromptSpec | PromptState | undefined): void => {
    promptRef.current = spec && 'spec' in spec ? spec : spec ? { spec, text: '' } : undefined;
    redraw();
  };
  const prompt = promptRef.current;
  const [status, setStatus] = useState<{ text: string; bad?: boolean }>();
  const [showDecided, setShowDecided] = useState(false);
  const [selectedApproval, setSelectedApproval] = useState<string>();
  const [selectedSession, setSelectedSession] = useState<string>();
  const [historyIndex, setHistoryIndex] = useState(0);
  const [detailsId, setDetailsId] = useState<string>();
  const [watchId, setWatchId] = useState<string>();

  const queue = useMemo(() => queueOrder(state.approvals, showDecided), [state.approvals, showDecided]);
  const approvalIndex = Math.max(0, queue.findIndex((a) => a.id === selectedApproval));
  const currentApproval: Approval | undefined = screen === 'details' ? state.approvals.find((a) => a.id === detailsId) : queue[approvalIndex];
  const sessionIndex = Math.max(0, state.sessions.findIndex((s) => s.id === selectedSession));
  const currentSession = screen === 'watch' ? state.sessions.find((s) => s.id === watchId) : state.sessions[sessionIndex];

  // First screen: the queue when anything is pending, else the live sessions.
  const chosenFirst = useRef(false);
  useEffect(() => {
    if (chosenFirst.current || !state.ready) return;
    chosenFirst.current = true;
    if (screen === 'approvals' && !state.approvals.some((a) => a.status === 'pending')) setScreen('sessions');
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
    const approval = currentApproval;
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
    const session = currentSession;
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
    if (screen === 'approvals' && queue.length) setSelectedApproval(queue[Math.min(queue.length - 1, Math.max(0, approvalIndex + delta))]!.id);
    if (screen === 'sessions' && state.sessions.length) setSelectedSession(state.sessions[Math.min(state.sessions.length - 1, Math.max(0, sessionIndex + delta))]!.id);
    if (screen === 'history') setHistoryIndex((index) => Math.min(Math.max(0, state.history.entries.length - 1), Math.max(0, index + delta)));
  };

  const show = (view: Screen): void => {
    chosenFirst.current = true;
    setScreen(view);
    setStatus(undefined);
    if (view === 'history') actions.loadHistory();
  };

  useLatestInput(
    (input, key) => {
      if (promptRef.current) {
        const open = promptRef.current;
        const { next, submit } = promptKey(open, input, key);
        setPrompt(next);
        if (submit !== undefined) open.spec.onSubmit(submit);
        return;
      }
      const command = commandFor(screen, input, key);
      if (help && command !== Command.Quit) {
        if (command === Command.Help || key.escape) setHelp(false);
        return;
      }
      switch (command) {
        case Command.Help: return setHelp(true);
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
        case Command.Open:
          if (screen === 'approvals' && currentApproval) {
            setDetailsId(currentApproval.id);
            return setScreen('details');
          }
          if (screen === 'sessions' && currentSession) {
            setWatchId(currentSession.id);
            return setScreen('watch');
          }
          if (screen === 'history' && state.history.entries[historyIndex]) {
            return setStatus({ text: `replay: ${replayLink(state.gatewayUrl, state.history.entries[historyIndex]!.sessionId)}` });
          }
          return;
        case Command.Back:
          if (screen === 'details') return setScreen('approvals');
          if (screen === 'watch') return setScreen('sessions');
          return setStatus(undefined);
        case Command.Approve: return decide('approve');
        case Command.Deny: return decide('deny');
        case Command.ToggleDecided: return setShowDecided((value) => !value);
        case Command.Watch: {
          const id = screen === 'details' ? currentApproval?.sessionId : currentSession?.id;
          if (!id) return;
          setWatchId(id);
          return setScreen('watch');
        }
        case Command.Terminate: return terminate();
        case Command.Refresh: return actions.loadHistory();
        default: return;
      }
    },
  );

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
  else body = <HistoryList selected={historyIndex} width={width} height={bodyHeight} />;

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
