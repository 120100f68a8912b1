/** Drives terminal programs in a private tmux server (its own socket): start, type, read the screen. */
import { execFileSync } from 'node:child_process';

export class Tmux {
  readonly socket = `hoop-tui-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  #run(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Starts `command` (argv) in a new window of the given size, with env. */
  start(name: string, argv: string[], env: Record<string, string>, size = { cols: 100, rows: 30 }): void {
    const quoted = [...Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`), ...argv.map(shellQuote)].join(' ');
    // `; sleep` keeps the pane after the program exits, so its last words can still be read.
    this.#run(['new-session', '-d', '-s', name, '-x', String(size.cols), '-y', String(size.rows), `env -i PATH=${shellQuote(process.env.PATH ?? '')} HOME=${shellQuote(process.env.HOME ?? '/')} TERM=xterm-256color ${quoted}; sleep 60`]);
  }

  screen(name: string): string {
    return this.#run(['capture-pane', '-p', '-t', name]);
  }

  /** Types text literally (no key names). */
  type(name: string, text: string): void {
    this.#run(['send-keys', '-t', name, '-l', text]);
  }

  /** Sends named keys: Enter, Escape, Down, … */
  keys(name: string, ...keys: string[]): void {
    this.#run(['send-keys', '-t', name, ...keys]);
  }

  resize(name: string, cols: number, rows: number): void {
    this.#run(['resize-window', '-t', name, '-x', String(cols), '-y', String(rows)]);
  }

  async waitFor(name: string, predicate: (screen: string) => boolean, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = this.screen(name);
      if (predicate(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`screen of ${name} never matched; last screen:\n${last}`);
  }

  kill(): void {
    try {
      this.#run(['kill-server']);
    } catch {
      /* already gone */
    }
  }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
