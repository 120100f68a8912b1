/**
 * Watching one live session: its terminal drawn from the terminal model, following output and
 * resizes, with the command markers alongside (to the right when there is room, else below).
 */
import { Box, Text } from 'ink';
import type { LiveSessionInfo } from '../../client/approvals.js';
import { clock, fit } from '../format.js';
import { useTerminalModel } from '../hooks/useTerminalModel.js';
import { TerminalView } from './TerminalView.js';

const SIDE_MARKERS_MIN_EXTRA = 30;

export function WatchView({ sessionId, info, width, height }: { sessionId: string; info?: LiveSessionInfo; width: number; height: number }) {
  const screen = useTerminalModel(sessionId);
  const side = width - screen.cols >= SIDE_MARKERS_MIN_EXTRA;
  const markerWidth = side ? width - Math.min(screen.cols, width) - 3 : width;
  const markerRows = side ? height - 1 : Math.min(3, Math.max(1, screen.markers.length));
  const termWidth = side ? Math.min(screen.cols, width) : width;
  const termHeight = Math.max(2, height - 1 - (side ? 0 : markerRows + 1));
  const title = screen.title ?? (info ? `${info.user} @ ${info.connection}` : sessionId);
  const status = screen.state === 'live' ? `live ${screen.cols}×${screen.rows}` : screen.state === 'starting' ? 'starting…' : '';
  const markers = screen.markers.slice(-markerRows);
  const markerLines = markers.map((marker) => (
    <Text key={`${marker.at}-${marker.label}`} wrap="truncate-end">
      {fit(`${clock(marker.at)} ${marker.label}`, markerWidth)}
    </Text>
  ));
  return (
    <Box flexDirection="column" height={height}>
      <Text bold wrap="truncate-end">
        {fit(`watching ${title} · ${status}${screen.note ? ` · ${screen.note}` : ''}`, width)}
      </Text>
      {side ? (
        <Box>
          <TerminalView screen={screen} width={termWidth} height={termHeight} />
          <Box flexDirection="column" marginLeft={1} borderStyle="single" borderTop={false} borderBottom={false} borderRight={false} paddingLeft={1} width={markerWidth + 2}>
            <Text dimColor>markers</Text>
            {markerLines}
          </Box>
        </Box>
      ) : (
        <>
          <TerminalView screen={screen} width={termWidth} height={termHeight} />
          <Text dimColor wrap="truncate-end">
            {fit(`── markers ${'─'.repeat(width)}`, width)}
          </Text>
          {markerLines.length > 0 ? markerLines : <Text dimColor>none yet</Text>}
        </>
      )}
    </Box>
  );
}
