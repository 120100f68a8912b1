/** `hoop-shell connect` in a real terminal: node-pty plays the user's terminal. */
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startGateway, type TestGateway } from '../helpers/gateway.js';

let test: TestGateway;
beforeAll(async () => {
  test = await startGateway();
});
afterAll(() => test.stop());

interface Terminal {
  output(): string;
  type(text: string): void;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  resize(cols: number, rows: number): void;
  exited: Promise<number>;
}

function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').replace(/\r/g, '');
}

async function openTerminal(): Promise<Terminal> {
  const token = await test.token('alice', ['dev']);
  const term = pty.spawn(process.execPath, [BIN.shell, 'connect', 'shell'], {
    cols: 100,
    rows: 30,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, HOOP_GATEWAY: test.url, HOOP_TOKEN: token, TERM: 'xterm-256color' },
  });
  let output = '';
  term.onData((data) => (output += data));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  const terminal: Terminal = {
    output: () => output,
    type: (text) => term.write(text),
    resize: (cols, rows) => term.resize(cols, rows),
    exited,
    // Matched against the screen text without CRs and escape sequences (two ptys in a row
    // turn \n into \r\r\n; bash adds bracketed-paste toggles).
    waitFor: async (pattern, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(plain(output))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output so far: ${JSON.stringify(output.slice(-500))}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
  await terminal.waitFor(/[#$] $/m);
  return terminal;
}

describe('hoop-shell connect', () => {
  it('gives a working interactive shell whose exit status is the remote one', async () => {
    const terminal = await openTerminal();
    terminal.type('echo $((6*7))\r');
    await terminal.waitFor(/\n42\n/);
    terminal.type('exit 5\r');
    expect(await terminal.exited).toBe(5);
  });

  it('forwards the terminal size and later resizes', async () => {
    const terminal = await openTerminal();
    terminal.type('stty size\r');
    await terminal.waitFor(/\n30 100\n/);
    terminal.resize(90, 20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    terminal.type('stty size\r');
    await terminal.waitFor(/\n20 90\n/);
    terminal.type('exit\r');
    expect(await terminal.exited).toBe(0);
  });

  it('sends Ctrl-C to the remote program, not to hoop-shell', async () => {
    const terminal = await openTerminal();
    terminal.type('sleep 30\r');
    await new Promise((resolve) => setTimeout(resolve, 300));
    terminal.type('\x03');
    terminal.type('echo still-here\r');
    await terminal.waitFor(/\nstill-here\n/);
    terminal.type('exit 0\r');
    expect(await terminal.exited).toBe(0);
  });

  it('does not leak the gateway environment into the session', async () => {
    process.env.HOOP_TEST_GATEWAY_SECRET = 'gateway-only-value';
    try {
      const terminal = await openTerminal();
      terminal.type('env; echo END-OF-ENV\r');
      await terminal.waitFor(/\nEND-OF-ENV\n/);
      expect(terminal.output()).not.toContain('gateway-only-value');
      expect(terminal.output()).toMatch(/HOME=\/tmp\/hoop-/);
      terminal.type('exit\r');
      await terminal.exited;
    } finally {
      delete process.env.HOOP_TEST_GATEWAY_SECRET;
    }
  });
});
