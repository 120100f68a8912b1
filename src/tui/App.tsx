/** The whole app: the live feed's state and actions published to the console's views. */
import { Console } from './components/Console.js';
import { ConsoleProvider } from './contexts/ConsoleContext.js';
import { useLiveFeed, type ConsoleBackend } from './hooks/useLiveFeed.js';
import type { Theme } from './theme.js';

export function App({ backend, theme }: { backend: ConsoleBackend; theme: Theme }) {
  const { state, actions } = useLiveFeed(backend, theme);
  return (
    <ConsoleProvider state={state} actions={actions}>
      <Console />
    </ConsoleProvider>
  );
}
