/** `hoop-shell connect` in a real terminal: node-pty plays the user's terminal. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { openTerminal, type Terminal } from '../helpers/terminal.js';

let test: TestGateway;
beforeAll(async () => {
  test = await startGateway();
});
afterAll(() => test.stop());

async function connectShell(): Promise<Terminal> {
  const terminal = openTerminal(['connect', 'shell'], { HOOP_GATEWAY: test.url, HOOP_TOKEN: await test.token('alice', ['dev']) });
  await terminal.waitFor(/[#$] $/m);
  return terminal;
}

describe('hoop-shell connect', () => {
  it('gives a working interactive shell whose exit status is the remote one', async () => {
    const terminal = await connectShell();
    terminal.type('echo $((6*7))\r');
    await terminal.waitFor(/\n42\n/);
    terminal.type('exit 5\r');
    expect(await terminal.exited).toBe(5);
  });

  it('forwards the terminal size and later resizes', async () => {
    const terminal = await connectShell();
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
    const terminal = await connectShell();
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
      const terminal = await connectShell();
      terminal.type('env; echo END-OF-ENV\r');
      await terminal.waitFor(/\nEND-OF-ENV\n/);
      expect(terminal.text()).not.toContain('gateway-only-value');
      expect(terminal.text()).toMatch(/HOME=\/tmp\/hoop-/);
      terminal.type('exit\r');
      await terminal.exited;
    } finally {
      delete process.env.HOOP_TEST_GATEWAY_SECRET;
    }
  });
});
