/**
 * The approvals queue: one block per held command — who asked (and through which agent), where,
 * the exact command, the rule and why, what is still needed, age and time left. Requests the
 * signed-in user cannot decide (their own, above all) are shown dimmed with the reason.
 */
import { Box, Text } from 'ink';
import type { Approval } from '../../client/approvals.js';
import { cannotDecide, outcome, stillNeeded, whyText } from '../approvals-view.js';
import { useConsoleState } from '../contexts/ConsoleContext.js';
import { age, fit, timeLeft, who } from '../format.js';

const LINES_PER_ITEM = 4;

export function ApprovalList({ items, selected, width, height, now }: { items: Approval[]; selected: number; width: number; height: number; now: number }) {
  const { me, abilities, theme } = useConsoleState();
  if (items.length === 0) {
    return (
      <Box flexDirection="column" height={height}>
        <Text>No commands are waiting for approval.</Text>
        <Text dimColor>New holds appear here at once, with a bell. v shows decided requests.</Text>
      </Box>
    );
  }
  const fitting = Math.max(1, Math.floor(height / LINES_PER_ITEM));
  const first = Math.min(Math.max(0, selected - fitting + 1), Math.max(0, items.length - fitting));
  const visible = items.slice(first, first + fitting);
  return (
    <Box flexDirection="column" height={height}>
      {visible.map((approval, offset) => {
        const index = first + offset;
        const isSelected = index === selected;
        const blocked = cannotDecide(approval, me?.user, abilities?.approve ?? false);
        const pending = approval.status === 'pending';
        const dim = !pending || Boolean(blocked);
        const status = pending ? `⏸ ${stillNeeded(approval)} · ${age(approval.createdAt, now)} · ${timeLeft(approval.expiresAt, now)}` : `${approval.status === 'approved' ? '✓' : '✗'} ${outcome(approval)}`;
        const statusColor = theme.color ? (approval.status === 'denied' || approval.status === 'expired' ? theme.danger : approval.status === 'approved' ? theme.ok : undefined) : undefined;
        const command = approval.apiRequest && approval.apiRequest !== approval.command ? `${approval.command}  [API: ${approval.apiRequest}]` : approval.command;
        return (
          <Box key={approval.id} flexDirection="column" height={LINES_PER_ITEM}>
            <Text inverse={isSelected} bold={isSelected} wrap="truncate-end">
              {fit(`${isSelected ? '▸' : ' '} ${who(approval.requester, approval.actor)} @ ${approval.connection}   ${approval.id.slice(0, 8)}`, width)}
            </Text>
            <Text bold={!dim} dimColor={dim} wrap="truncate-end">
              {fit(`    $ ${command}`, width)}
            </Text>
            <Text dimColor wrap="truncate-end">
              {fit(`    rule "${approval.rule}": ${whyText(approval)}`, width)}
            </Text>
            <Text color={statusColor} dimColor={!statusColor && dim} wrap="truncate-end">
              {fit(`    ${status}${pending && blocked ? ` · ⊘ ${blocked}` : pending && outcome(approval) ? ` · ${outcome(approval)}` : ''}`, width)}
            </Text>
          </Box>
        );
      })}
    </Box>
  );
}
