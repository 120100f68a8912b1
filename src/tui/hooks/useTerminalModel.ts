/**
 * A watched session's screen: a headless xterm fed by the watch stream (output, resizes, markers),
 * exposed as plain lines for Ink to draw. The model is disposed when the view goes away.
 * It never sends anything to the watched session.
 */
import pkg from '@xterm/headless';
import { useEffect, useRef, useState } from 'react';
import { useConsoleActions, type WatchListener } from '../contexts/ConsoleContext.js';

const { Terminal } = pkg;

export interface WatchedScreen {
  state: 'starting' | 'live' | 'ended' | 'refused';
  lines: string[];
  cols: number;
  rows: number;
  cursorRow: number;
  markers: { label: string; at: string }[];
  skippedBytes: number;
  note?: string;
  title?: string;
}

const MAX_MARKERS = 50;

export function useTerminalModel(sessionId: string | undefined): WatchedScreen {
  const actions = useConsoleActions();
  const [screen, setScreen] = useState<WatchedScreen>({ state: 'starting', lines: [], cols: 80, rows: 24, cursorRow: 0, markers: [], skippedBytes: 0 });
  const disposed = useRef(false);

  useEffect(() => {
    if (!sessionId) return;
    disposed.current = false;
    setScreen({ state: 'starting', lines: [], cols: 80, rows: 24, cursorRow: 0, markers: [], skippedBytes: 0 });
    let terminal: InstanceType<typeof Terminal> | undefined;
    let pending = false;
    // Repaint at most every 30 ms: output can arrive in thousands of small chunks.
    const repaint = (): void => {
      if (pending) return;
      pending = true;
      setTimeout(() => {
        pending = false;
        if (disposed.current || !terminal) return;
        const buffer = terminal.buffer.active;
        const lines: string[] = [];
        for (let y = 0; y < terminal.rows; y += 1) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
        const cursorRow = buffer.cursorY;
        setScreen((before) => ({ ...before, lines, cols: terminal!.cols, rows: terminal!.rows, cursorRow }));
      }, 30);
    };
    const write = (data: Buffer | string): void => {
      terminal?.write(typeof data === 'string' ? data : new Uint8Array(data), repaint);
    };
    const listener: WatchListener = {
      started(info) {
        terminal?.dispose();
        terminal = new Terminal({ cols: info.cols, rows: info.rows, scrollback: 200, allowProposedApi: true });
        setScreen((before) => ({ ...before, state: 'live', note: undefined, markers: (info.markers ?? []).slice(-MAX_MARKERS), cols: info.cols, rows: info.rows, title: `${info.actor ? `${info.user} via agent ${info.actor}` : info.user} @ ${info.connection}` }));
        write(info.recent);
      },
      output: (data) => write(data),
      resize(cols, rows) {
        terminal?.resize(cols, rows);
        repaint();
      },
      marker(label, at) {
        setScreen((before) => ({ ...before, markers: [...before.markers, { label, at }].slice(-MAX_MARKERS) }));
      },
      skipped(bytes) {
        setScreen((before) => ({ ...before, skippedBytes: before.skippedBytes + bytes, note: `${before.skippedBytes + bytes} bytes skipped (this console fell behind)` }));
      },
      ended(reason) {
        setScreen((before) => ({ ...before, state: 'ended', note: `session ended${reason ? `: ${reason}` : ''}` }));
      },
      refused(message) {
        setScreen((before) => ({ ...before, state: 'refused', note: message }));
      },
    };
    const stop = actions.watch(sessionId, listener);
    return () => {
      disposed.current = true;
      stop();
      terminal?.dispose();
      terminal = undefined;
    };
  }, [sessionId, actions]);

  return screen;
}
