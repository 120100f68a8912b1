/**
 * useInput with the latest handler: Ink re-subscribes its listener in an effect, which can run
 * after the next keypress arrives (a fast typist, tmux send-keys), so a plain useInput may act on
 * the state of one render earlier (the previous selection). A ref updated on every render avoids it.
 */
import { useInput, type Key } from 'ink';
import { useRef } from 'react';

export function useLatestInput(handler: (input: string, key: Key) => void, options: { isActive?: boolean } = {}): void {
  const latest = useRef(handler);
  latest.current = handler;
  useInput((input, key) => latest.current(input, key), options);
}
