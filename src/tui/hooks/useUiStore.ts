/** The console's UI state in a ref, changed synchronously and redrawn after (see ui-state.ts). */
import { useReducer, useRef } from 'react';
import { initialUi, type UiState } from '../ui-state.js';

export function useUiStore(): { ui: () => UiState; update: (patch: Partial<UiState> | ((ui: UiState) => Partial<UiState>)) => void } {
  const ref = useRef<UiState>(initialUi);
  const [, redraw] = useReducer((count: number) => count + 1, 0);
  const storeRef = useRef({
    ui: () => ref.current,
    update: (patch: Partial<UiState> | ((ui: UiState) => Partial<UiState>)) => {
      ref.current = { ...ref.current, ...(typeof patch === 'function' ? patch(ref.current) : patch) };
      redraw();
    },
  });
  return storeRef.current;
}
