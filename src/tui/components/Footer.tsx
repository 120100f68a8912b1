/** The bottom line: the keys that work on this screen, built from the bindings table. */
import { Box, Text } from 'ink';
import { bindingsFor, keyLabel, type Screen } from '../key/bindings.js';

const SHORT: Record<string, string> = {
  'app.help': 'help',
  'app.quit': 'quit',
  'view.next': 'next view',
  'item.open': 'open',
  'item.back': 'back',
  'approval.approve': 'approve',
  'approval.deny': 'deny',
  'session.watch': 'watch',
  'session.terminate': 'terminate',
};

export function Footer({ screen, width, prompt }: { screen: Screen; width: number; prompt: boolean }) {
  const items = prompt
    ? ['Enter submit', 'Esc cancel']
    : bindingsFor(screen)
        .filter((binding) => binding.footer)
        .map((binding) => `${keyLabel(binding.keys[0]!)} ${SHORT[binding.command] ?? binding.command}`);
  return (
    <Box width={width}>
      <Text dimColor wrap="truncate-end">
        {items.join('  ')}
      </Text>
    </Box>
  );
}
