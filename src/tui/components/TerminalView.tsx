/**
 * Draws a watched session's screen (lines from the terminal model) in a box of the given size.
 * When the session's terminal is taller than the box, the rows around the cursor are shown;
 * wider lines are cut. It only draws; the model lives in useTerminalModel.
 */
import { Box, Text } from 'ink';
import type { WatchedScreen } from '../hooks/useTerminalModel.js';

export function TerminalView({ screen, width, height }: { screen: WatchedScreen; width: number; height: number }) {
  const rows = Math.max(1, height);
  // Keep the cursor's row in view: most recent output is near it.
  const lastUsed = Math.max(screen.cursorRow, lastNonEmpty(screen.lines));
  const start = Math.max(0, Math.min(lastUsed + 1 - rows, screen.lines.length - rows));
  const shown = screen.lines.slice(start, start + rows);
  while (shown.length < rows) shown.push('');
  return (
    <Box flexDirection="column" width={width} height={rows}>
      {shown.map((line, index) => (
        <Text key={index} wrap="truncate-end">
          {line.slice(0, width) || ' '}
        </Text>
      ))}
    </Box>
  );
}

function lastNonEmpty(lines: string[]): number {
  for (let index = lines.length - 1; index >= 0; index -= 1) if (lines[index]!.trim() !== '') return index;
  return 0;
}
