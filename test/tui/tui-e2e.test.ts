/**
 * End to end: the built hoop-tui in tmux against a real gateway with approvals, while real
 * hoop-shell processes are held, approved, denied, watched and terminated.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { Gateway } from '../../src/server/gateway.js';
import { silentLogger } from '../../src/server/log.js';
import { BIN, SHELL_CONNECTION, hoopShell, startGateway, type TestGateway } from '../helpers/gateway.js';
import { Tmux } from './tmux.js';

let test: TestGateway;
let tmux: Tmux;
let alice: string;
let restarted: Gateway | undefined;

beforeAll(async () => {
  test = await startGateway({
    roles: { approver: ['oncall'] },
    policy: {
      default: 'allow',
      rules: [{ name: 'recursive rm needs on-call', match: { connection: 'shell', commands: ['rm -r'] }, action: 'review', approvers: { groups: ['oncall'] }, timeout: '2m' }],
    },
  });
  alice = await test.token('alice', ['dev']);
  tmux = new Tmux();
  // 80×24: the smallest terminal it must work in.
  tmux.start('tui', ['node', BIN.tui], { HOOP_GATEWAY: test.url, HOOP_TOKEN: await test.token('bob', ['oncall']) }, { cols: 80, rows: 24 });
  await tmux.waitFor('tui', (screen) => screen.includes('● connected'), 15_000);
});
afterAll(async () => {
  tmux?.kill();
  await restarted?.stop();
  await test?.stop();
});

/** Starts `hoop-shell exec` and resolves once it says it is held (returns the elapsed-from point). */
function heldExec(command: string): { result: ReturnType<typeof hoopShell>; held: Promise<number> } {
  let markHeld: (at: number) => void;
  const held = new Promise<number>((resolve) => (markHeld = resolve));
  const result = new Promise<Awaited<ReturnType<typeof hoopShell>>>((resolve) => {
    const child = spawn(process.execPath, [BIN.shell, 'exec', 'shell', '--', command], { env: { PATH: process.env.PATH, HOME: process.env.HOME, HOOP_GATEWAY: test.url, HOOP_TOKEN: alice } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('held for approval')) markHeld(Date.now());
    });
    child.stdin.end();
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { result: result as ReturnType<typeof hoopShell>, held };
}

describe('hoop-tui in tmux', () => {
  it('shows a held exec within a second; a approves and the exec exits 0', async () => {
    tmux.type('tui', '1');
    const { result, held } = heldExec('rm -r /tmp/hoop-tui-e2e-nothing-$$ 2>/dev/null; echo released-ok');
    const heldAt = await held;
    const screen = await tmux.waitFor('tui', (s) => s.includes('$ rm -r /tmp/hoop-tui-e2e-nothing'), 3000);
    const shownAfter = Date.now() - heldAt;
    expect(shownAfter).toBeLessThan(1000);
    expect(screen).toContain('alice @ shell');
    expect(screen).toContain('rule "recursive rm needs on-call"');
    expect(screen).toContain('needs 1 more of oncall');
    expect(screen).toContain('Approvals (1 pending)');
    tmux.type('tui', 'a');
    await tmux.waitFor('tui', (s) => s.includes('reason (optional)'));
    tmux.type('tui', 'checked the dir');
    tmux.keys('tui', 'Enter');
    const outcome = await result;
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('released-ok');
    expect(outcome.stderr).toContain('approved by bob');
    await tmux.waitFor('tui', (s) => s.includes('No commands are waiting'));
    console.log(`hold shown in hoop-tui ${shownAfter} ms after hoop-shell printed it`);
  });

  it('d asks for a reason; the exec exits 77 and the requester reads it', async () => {
    const { result, held } = heldExec('rm -r /tmp/hoop-tui-e2e-deny-$$');
    await held;
    await tmux.waitFor('tui', (s) => s.includes('$ rm -r /tmp/hoop-tui-e2e-deny'));
    tmux.type('tui', 'd');
    await tmux.waitFor('tui', (s) => s.includes('reason (required)'));
    tmux.keys('tui', 'Enter');
    await tmux.waitFor('tui', (s) => s.includes('a reason is required to deny'));
    tmux.type('tui', 'not during the freeze');
    tmux.keys('tui', 'Enter');
    const outcome = await result;
    expect(outcome.code).toBe(77);
    expect(outcome.stderr).toContain('not during the freeze');
    expect(outcome.stderr).toContain('bob');
  });

  it("an engineer's connect session is held; the approver reads the context, approves, and watches the output continue", async () => {
    tmux.start('alice', ['node', BIN.shell, 'connect', 'shell'], { HOOP_GATEWAY: test.url, HOOP_TOKEN: alice }, { cols: 80, rows: 24 });
    await tmux.waitFor('alice', (s) => /[$#] ?$/m.test(s), 10_000);
    tmux.type('alice', 'echo context-before-the-hold');
    tmux.keys('alice', 'Enter');
    tmux.type('alice', 'rm -r /tmp/hoop-tui-e2e-connect-nothing 2>/dev/null; echo continued-after-approval');
    tmux.keys('alice', 'Enter');
    await tmux.waitFor('alice', (s) => s.includes('held for approval'));
    tmux.type('tui', '1');
    await tmux.waitFor('tui', (s) => s.includes('$ rm -r /tmp/hoop-tui-e2e-connect-nothing'));
    tmux.keys('tui', 'Enter');
    const details = await tmux.waitFor('tui', (s) => s.includes('requester   alice') && s.includes('context-before-the-hold'));
    expect(details).toContain('held for approval');
    tmux.type('tui', 'a');
    await tmux.waitFor('tui', (s) => s.includes('reason (optional)'));
    tmux.keys('tui', 'Enter');
    await tmux.waitFor('alice', (s) => s.includes('continued-after-approval\n') || /^continued-after-approval$/m.test(s));
    tmux.type('tui', 'w');
    const watching = await tmux.waitFor('tui', (s) => s.includes('watching alice @ shell') && /^continued-after-approval/m.test(s));
    // the markers from before the watch began: the hold and its approval
    expect(watching).toMatch(/^\d\d:\d\d:\d\d ⏸ held for approval \S+: rm -r/m);
    expect(watching).toMatch(/^\d\d:\d\d:\d\d ✔ approval \S+ approved by bob/m);
  });

  it('watches a live connect session (what the user types shows up), then x terminates it', async () => {
    tmux.type('alice', 'echo watched-$((6*7))');
    tmux.keys('alice', 'Enter');
    const watched = await tmux.waitFor('tui', (s) => s.includes('watched-42'));
    expect(watched).toContain('echo watched-$((6*7))');
    tmux.resize('alice', 70, 20);
    await tmux.waitFor('tui', (s) => s.includes('live 70×20'));
    // the console follows its own terminal's size too: wide enough, markers move to the side
    tmux.resize('tui', 130, 30);
    await tmux.waitFor('tui', (s) => / markers\s*$/m.test(s) && s.split('\n')[0]!.length > 100);
    tmux.resize('tui', 80, 24);
    await tmux.waitFor('tui', (s) => s.includes('── markers'));
    tmux.type('tui', 'x');
    await tmux.waitFor('tui', (s) => s.includes("Terminate alice's session on shell?"));
    tmux.type('tui', 'incident 42');
    tmux.keys('tui', 'Enter');
    await tmux.waitFor('alice', (s) => s.includes('session ended: terminated by bob: incident 42'));
    await tmux.waitFor('tui', (s) => s.includes('session ended: terminated by bob: incident 42'));
  });

  it('says when the gateway goes away and reconnects by itself when it is back', async () => {
    const port = new URL(test.url).port;
    await test.gateway.stop();
    await tmux.waitFor('tui', (s) => s.includes('gateway unreachable') && s.includes('reconnecting'));
    const again = new Gateway(parseConfig({ connections: [SHELL_CONNECTION], roles: { approver: ['oncall'] }, listen: `127.0.0.1:${port}`, dataDir: test.dataDir }, 'test'), { logger: silentLogger });
    await again.start();
    restarted = again;
    const screen = await tmux.waitFor('tui', (s) => s.includes('● connected') && s.includes('reconnected to the gateway'), 10_000);
    expect(screen).not.toContain('gateway unreachable');
  });
});
