import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/gateway.js';
import { waitFor } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hoop-replay-tty-'));
const socket = `hoop-replay-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-t', 'replay');

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    /* already gone */
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('hoop-shell replay in a real terminal (tmux)', () => {
  it('plays with timing, pauses on space, ] jumps to the next marker, q quits and the terminal is restored', async () => {
    const cast = path.join(dir, 'session.cast');
    writeFileSync(
      cast,
      [
        JSON.stringify({ version: 2, width: 80, height: 24, title: 'alice@shell' }),
        JSON.stringify([0.1, 'o', 'first-output\r\n']),
        JSON.stringify([40, 'm', '$ kubectl delete pod web-1 [held 3f2a]']),
        JSON.stringify([40.1, 'o', 'second-output\r\n']),
        JSON.stringify([300, 'm', '$ echo bye']),
        JSON.stringify([300.1, 'o', 'third-output\r\n']),
        JSON.stringify([900, 'o', 'never-seen\r\n']),
        '',
      ].join('\n'),
    );
    const result = path.join(dir, 'after.txt');
    tmux('new-session', '-d', '-s', 'replay', '-x', '120', '-y', '30', '/bin/bash --noprofile --norc');
    tmux('send-keys', '-t', 'replay', `${process.execPath} ${BIN.shell} replay ${cast}; echo "rc=$?" > ${result}; stty -a >> ${result}`, 'Enter');
    await waitFor(() => screen().includes('first-output'), 10_000, 'first output');
    expect(screen()).not.toContain('second-output');
    tmux('send-keys', '-t', 'replay', ' ');
    tmux('send-keys', '-t', 'replay', ']');
    // Paused at the marker: its label shows, what follows it waits for space.
    await waitFor(() => screen().includes('kubectl delete pod web-1 [held 3f2a]'), 5_000, 'jump to the first marker');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(screen()).not.toContain('second-output');
    tmux('send-keys', '-t', 'replay', ' ');
    await waitFor(() => screen().includes('second-output'), 5_000, 'resume after the marker');
    expect(screen()).not.toContain('third-output');
    tmux('send-keys', '-t', 'replay', ']');
    await waitFor(() => screen().includes('third-output'), 5_000, 'jump to the second marker');
    tmux('send-keys', '-t', 'replay', 'q');
    await waitFor(() => existsSync(result) && readFileSync(result, 'utf8').includes('speed'), 5_000, 'replay to quit');
    const after = readFileSync(result, 'utf8');
    expect(after).toMatch(/^rc=0\n/);
    // Raw mode is gone: canonical input and echo are back on.
    expect(after).toMatch(/(^|\s)icanon(\s|$)/m);
    expect(after).toMatch(/(^|\s)echo(\s|$)/m);
    expect(screen()).not.toContain('never-seen');
    expect(screen()).toContain('replay stopped');
  });
});
