/**
 * A user's terminal for end-to-end tests: node-pty runs the built `hoop-shell`, and `waitFor`
 * matches the screen text (without CRs and escape sequences: two ptys in a row turn \n into
 * \r\r\n, bash adds bracketed-paste toggles) after the end of the previous match.
 */
import * as pty from 'node-pty';
import { BIN } from './gateway.js';

export interface Terminal {
  /** Everything shown so far, as plain text. */
  text(): string;
  type(text: string): void;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  resize(cols: number, rows: number): void;
  kill(): void;
  exited: Promise<number>;
}

export function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').replace(/\r/g, '');
}

export function openTerminal(args: string[], env: Record<string, string>, size = { cols: 100, rows: 30 }): Terminal {
  const term = pty.spawn(process.execPath, [BIN.shell, ...args], {
    ...size,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, TERM: 'xterm-256color', ...env },
  });
  let output = '';
  let mark = 0;
  term.onData((data) => (output += data));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  return {
    text: () => plain(output),
    type: (text) => term.write(text),
    resize: (cols, rows) => term.resize(cols, rows),
    kill: () => term.kill(),
    exited,
    waitFor: async (pattern, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(plain(output).slice(mark));
        if (match) {
          mark += match.index + match[0].length;
          return;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen so far: ${JSON.stringify(plain(output).slice(-500))}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
