/** Recent commands with their decisions, newest first, and the replay link of the selected one. */
import { Box, Text } from 'ink';
import type { HistoryEntry } from '../contexts/ConsoleContext.js';
import { useConsoleState } from '../contexts/ConsoleContext.js';
import { clock, fit, who } from '../format.js';

export function replayLink(gatewayUrl: string, sessionId: string): string {
  return `${gatewayUrl}/replay/${sessionId}`;
}

function decisionText(entry: HistoryEntry): string {
  const decision = entry.decision ?? 'pending';
  const by = entry.approver ? ` by ${entry.approver}` : '';
  const exit = entry.exitCode !== null ? ` → ${entry.exitCode}` : '';
  return `${decision}${by}${exit}`;
}

export function HistoryList({ selected, width, height }: { selected: number; width: number; height: number }) {
  const { history, gatewayUrl, theme } = useConsoleState();
  if (history.loading && history.entries.length === 0) return <Text>Loading history…</Text>;
  if (history.error) return <Text color={theme.danger}>History unavailable: {history.error}</Text>;
  if (history.entries.length === 0) return <Text>No commands yet.</Text>;
  const fitting = Math.max(1, height - 2);
  const first = Math.min(Math.max(0, selected - fitting + 1), Math.max(0, history.entries.length - fitting));
  const current = history.entries[selected];
  return (
    <Box flexDirection="column" height={height}>
      {history.entries.slice(first, first + fitting).map((entry, offset) => {
        const isSelected = first + offset === selected;
        const denied = entry.decision === 'deny';
        return (
          <Text key={`${entry.sessionId}-${entry.at}-${offset}`} inverse={isSelected} color={!isSelected && denied && theme.color ? theme.danger : undefined} wrap="truncate-end">
            {fit(`${isSelected ? '▸' : ' '} ${clock(entry.at)} ${fit(`${who(entry.user, entry.actor)}@${entry.connection}`, 24).padEnd(24)} ${fit(decisionText(entry), 20).padEnd(20)} $ ${entry.text}`, width)}
          </Text>
        );
      })}
      {current ? (
        <Text dimColor wrap="truncate-end">
          {fit(`replay: ${replayLink(gatewayUrl, current.sessionId)}   (hoop-shell replay ${current.sessionId})`, width)}
        </Text>
      ) : null}
    </Box>
  );
}
