/**
 * One approval in full, with its session's recent output underneath (via watch) so the approver
 * sees the context before deciding.
 */
import { Box, Text } from 'ink';
import type { Approval } from '../../client/approvals.js';
import { cannotDecide, outcome, stillNeeded, whyText } from '../approvals-view.js';
import { useConsoleState } from '../contexts/ConsoleContext.js';
import { age, clock, fit, timeLeft, who } from '../format.js';
import { useTerminalModel } from '../hooks/useTerminalModel.js';
import { TerminalView } from './TerminalView.js';

export function ApprovalDetails({ approval, width, height, now }: { approval: Approval; width: number; height: number; now: number }) {
  const { me, abilities } = useConsoleState();
  const screen = useTerminalModel(approval.sessionId);
  const blocked = cannotDecide(approval, me?.user, abilities?.approve ?? false);
  const lines: [string, string][] = [
    ['requester', who(approval.requester, approval.actor)],
    ['connection', approval.connection],
    ['command', approval.command],
    ...(approval.apiRequest ? ([['API request', approval.apiRequest]] as [string, string][]) : []),
    ['rule', `${approval.rule} — ${whyText(approval)}`],
    ['status', approval.status === 'pending' ? `pending · ${stillNeeded(approval)} · ${timeLeft(approval.expiresAt, now)}` : (outcome(approval) ?? approval.status)],
    ['held', `${clock(approval.createdAt)} (${age(approval.createdAt, now)})`],
  ];
  if (approval.status === 'pending' && outcome(approval)) lines.push(['so far', outcome(approval)!]);
  if (approval.status === 'pending' && blocked) lines.push(['you', `⊘ ${blocked}`]);
  const termHeight = Math.max(3, height - lines.length - 2);
  return (
    <Box flexDirection="column" height={height}>
      {lines.map(([label, value]) => (
        <Text key={label} wrap="truncate-end">
          <Text bold>{label.padEnd(12)}</Text>
          {fit(value, width - 12)}
        </Text>
      ))}
      <Text dimColor wrap="truncate-end">
        {fit(`── session ${approval.sessionId.slice(0, 8)} ${screen.state === 'live' ? '(live)' : screen.note ? `(${screen.note})` : ''} ${'─'.repeat(width)}`, width)}
      </Text>
      {screen.state === 'refused' || (screen.state === 'ended' && screen.lines.length === 0) ? (
        <Text dimColor>{screen.note}</Text>
      ) : (
        <TerminalView screen={screen} width={width} height={termHeight} />
      )}
    </Box>
  );
}
