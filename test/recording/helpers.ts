/** Helpers for the recording tests: the recordings of a data dir, Debian's asciinema, polling. */
import { readdirSync } from 'node:fs';
import path from 'node:path';

export { asciinemaCat } from '../helpers/asciinema.js';

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
