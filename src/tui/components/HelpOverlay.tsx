/** Every key binding with its description, from the bindings table. */
import { Box, Text } from 'ink';
import { bindings, keyLabel } from '../key/bindings.js';

export function HelpOverlay({ width, height }: { width: number; height: number }) {
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>Keys (? closes)</Text>
      {bindings.map((binding) => (
        <Text key={binding.command} wrap="truncate-end">
          <Text bold>{binding.keys.map(keyLabel).join(', ').padEnd(12)}</Text>
          {binding.description}
        </Text>
      ))}
    </Box>
  );
}
