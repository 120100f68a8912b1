/** The top line: who is signed in where, the views with their counts, and the link to the gateway. */
import { Box, Text } from 'ink';
import { useConsoleState } from '../contexts/ConsoleContext.js';
import type { Screen } from '../key/bindings.js';
import { fit, who } from '../format.js';

export function Header({ screen, width }: { screen: Screen; width: number }) {
  const { me, approvals, sessions, link, theme, abilities } = useConsoleState();
  const pending = approvals.filter((approval) => approval.status === 'pending').length;
  const tab = (label: string, active: boolean, key: string) => (
    <Text bold={active} inverse={active}>
      {` ${key} ${label} `}
    </Text>
  );
  const linkText =
    link.state === 'connected'
      ? '● connected'
      : link.state === 'connecting'
        ? '○ connecting…'
        : `○ gateway unreachable: ${link.reason} — reconnecting (attempt ${link.attempt})`;
  const linkColor = theme.color ? (link.state === 'connected' ? theme.ok : theme.danger) : undefined;
  const identity = `${me ? who(me.user, me.actor) : '…'}${abilities && !abilities.approve ? ' (read-only)' : ''}`;
  const left = `hoop-tui ${identity} `;
  const right = fit(linkText, Math.max(1, width - left.length));
  return (
    <Box flexDirection="column" width={width}>
      <Box>
        <Text bold color={theme.accent}>
          hoop-tui
        </Text>
        <Text>{` ${identity} `.padEnd(Math.max(0, width - right.length - 8))}</Text>
        <Text color={linkColor}>{right}</Text>
      </Box>
      <Box>
        {tab(`Approvals${pending ? ` (${pending} pending)` : ''}`, screen === 'approvals' || screen === 'details', '1')}
        {tab(`Sessions (${sessions.length})`, screen === 'sessions' || screen === 'watch', '2')}
        {tab('History', screen === 'history', '3')}
      </Box>
    </Box>
  );
}
