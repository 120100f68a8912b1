/** Live sessions as a table: user (and agent), connection, start, commands so far, held or not. */
import { Box, Text } from 'ink';
import type { LiveSessionInfo } from '../../client/approvals.js';
import { useConsoleState } from '../contexts/ConsoleContext.js';
import { age, clock, fit, who } from '../format.js';

export function SessionList({ items, selected, width, height, now }: { items: LiveSessionInfo[]; selected: number; width: number; height: number; now: number }) {
  const { theme, abilities } = useConsoleState();
  if (items.length === 0) {
    return (
      <Box flexDirection="column" height={height}>
        <Text>No live sessions{abilities && !abilities.watchAll ? ' of yours' : ''}.</Text>
      </Box>
    );
  }
  const whoWidth = Math.max(12, width - 60);
  const row = (cells: string[]) => fit(`${fit(cells[0]!, whoWidth).padEnd(whoWidth)} ${fit(cells[1]!, 14).padEnd(14)} ${fit(cells[2]!, 19).padEnd(19)} ${cells[3]!.padStart(5)}  ${cells[4]!}`, width);
  const fitting = Math.max(1, height - 1);
  const first = Math.min(Math.max(0, selected - fitting + 1), Math.max(0, items.length - fitting));
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>{row(['  USER', 'CONNECTION', 'STARTED', 'CMDS', 'HELD'])}</Text>
      {items.slice(first, first + fitting).map((session, offset) => {
        const isSelected = first + offset === selected;
        return (
          <Text key={session.id} inverse={isSelected} color={!isSelected && session.held && theme.color ? theme.danger : undefined} wrap="truncate-end">
            {row([`${isSelected ? '▸' : ' '} ${who(session.user, session.actor)}`, session.connection, `${clock(session.startedAt)} ${age(session.startedAt, now)}`, String(session.commands), session.held ? '⏸ held' : '-'])}
          </Text>
        );
      })}
    </Box>
  );
}
