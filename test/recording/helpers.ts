/** Helpers for the recording tests: Debian's asciinema as the outside reader of our .cast files. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import * as pty from 'node-pty';

/** `asciinema cat FILE` needs a terminal (/dev/tty): run it in a real pty. */
export function asciinemaCat(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = pty.spawn('asciinema', ['cat', file], { cols: 200, rows: 50, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8' } });
    let output = '';
    child.onData((data) => (output += data));
    child.onExit(({ exitCode }) => resolve({ code: exitCode, output }));
  });
}

export function castFiles(dataDir: string): string[] {
  const dir = path.join(dataDir, 'recordings');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.cast'))
    .map((name) => path.join(dir, name));
}

/** Polls until `check` returns a value (no fixed sleeps). */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
