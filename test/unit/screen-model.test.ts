/**
 * The screen model's worker thread must never keep a process alive once nothing waits on it (the
 * bench and library users hung at exit), and must keep it alive while a question is pending.
 * Runs the built module in a child process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ScreenModel } from '../../src/server/screen/screen-model.js';

const built = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/server/screen/screen-model.js')).href;

describe('ScreenModel thread', () => {
  it('answers a pending question, then lets the process exit', () => {
    const script = `
      import { ScreenModel } from ${JSON.stringify(built)};
      const screen = new ScreenModel(80, 24);
      screen.write(Buffer.from('$ '));
      const start = await screen.cursor();
      screen.write(Buffer.from('kubectl get pods'));
      console.log(JSON.stringify(await screen.lineFrom(start)));
      screen.dispose();`;
    const dir = mkdtempSync(path.join(tmpdir(), 'hoop-screen-'));
    const file = path.join(dir, 'exit.mjs');
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 15_000 });
    rmSync(dir, { recursive: true, force: true });
    expect(child.error, 'the process did not exit by itself').toBeUndefined();
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('"kubectl get pods"');
  });

  it('calls a backlog listener only once held-back and in-flight output are both below the mark', async () => {
    const screen = new ScreenModel(80, 24);
    try {
      screen.write(Buffer.alloc(60 * 1024, 'a'));
      const sent = screen.settled(); // the 60 KB go to the worker: in flight, not held
      screen.write(Buffer.alloc(10 * 1024, 'b')); // held back
      expect(screen.backlogBytes).toBe(70 * 1024);
      let backlogWhenCalled: number | undefined;
      const called = new Promise<void>((resolve) =>
        screen.onceBelow(64 * 1024, () => {
          backlogWhenCalled = screen.backlogBytes;
          resolve();
        }),
      );
      await sent;
      await called;
      expect(backlogWhenCalled).toBeLessThanOrEqual(64 * 1024);
    } finally {
      screen.dispose();
    }
  });
});
