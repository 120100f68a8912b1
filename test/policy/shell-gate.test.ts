/**
 * The shell-mode command gate end to end: a real `hoop-shell connect` in a pty (node-pty), a real
 * bash behind the gateway, keystrokes as a person or a paste would send them. Each case of the
 * command-layer bypass corpus ends held or denied here, and the side effect proves it did not run.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalView } from '../../src/protocol/approval.js';
import { BIN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { api, waitForPending } from './helpers.js';

let test: TestGateway;
let work: string;
let alice: string;
let bob: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'hoop-gate-'));
  test = await startGateway({
    connections: [{ name: 'shell', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'], env: { PS1: 'GATE$ ' } }],
    roles: { approver: ['oncall'] },
    policy: {
      default: 'allow',
      rules: [
        { name: 'recursive rm needs on-call', match: { commands: ['rm -r'] }, action: 'review', approvers: { groups: ['oncall'] } },
        { name: 'never run danger', match: { commands: ['danger'] }, action: 'deny' },
      ],
    },
  });
  alice = await test.token('alice', ['dev']);
  bob = await test.token('bob', ['oncall']);
});
afterAll(async () => {
  await test.stop();
});

class Terminal {
  readonly process: pty.IPty;
  output = '';
  constructor() {
    this.process = pty.spawn(process.execPath, [BIN.shell, 'connect', 'shell'], {
      cols: 120,
      rows: 30,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, HOOP_GATEWAY: test.url, HOOP_TOKEN: alice, TERM: 'xterm-256color' },
    });
    this.process.onData((data) => (this.output += data));
    this.process.onExit((exit) => (this.exited = `exited with ${exit.exitCode}${exit.signal ? ` signal ${exit.signal}` : ''}`));
  }
  exited = 'still running';
  type(text: string): void {
    this.process.write(text);
  }
  async waitFor(pattern: RegExp | string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const matches = (): boolean => (typeof pattern === 'string' ? this.output.includes(pattern) : pattern.test(this.output));
    while (!matches()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)} (hoop-shell ${this.exited}, sessions on the gateway: ${test.gateway.sessions.size}); output so far:\n${this.output.slice(-1500)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  /** Output since a mark (to wait for something new). */
  mark(): number {
    return this.output.length;
  }
  async waitAfter(mark: number, pattern: RegExp | string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const found = (): boolean => {
      const tail = this.output.slice(mark);
      return typeof pattern === 'string' ? tail.includes(pattern) : pattern.test(tail);
    };
    while (!found()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; output since mark:\n${this.output.slice(mark).slice(-1500)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.process.onExit(resolve));
    this.type('exit\r');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    this.process.kill();
  }
}

function victim(): string {
  const dir = mkdtempSync(path.join(work, 'v-'));
  writeFileSync(path.join(dir, 'f'), 'data');
  return dir;
}

let terminal: Terminal;
beforeAll(async () => {
  terminal = new Terminal();
  await terminal.waitFor('GATE$ ', 60_000);
}, 90_000);
afterAll(() => terminal.close());

async function expectHeldThenDeny(dir: string, reason = 'not now', match = (approval: ApprovalView) => approval.command.includes(path.basename(dir))): Promise<ApprovalView> {
  const pending = await waitForPending(test, bob, match).catch((error: Error) => {
    throw new Error(`${error.message}; terminal:\n${terminal.output.slice(-800)}`);
  });
  await terminal.waitFor(`held for approval ${pending.id}`);
  expect(existsSync(dir)).toBe(true);
  const mark = terminal.mark();
  const denied = await api<ApprovalView>(test, bob, 'POST', `/v1/approvals/${pending.id}/deny`, { reason });
  expect(denied.status).toBe(200);
  await terminal.waitAfter(mark, `denied by bob: ${reason}`);
  await terminal.waitAfter(mark, 'GATE$ ');
  expect(existsSync(dir)).toBe(true);
  return pending;
}

describe('shell-mode gate', () => {
  it('allowed lines run at once', async () => {
    const mark = terminal.mark();
    terminal.type('echo hello-$((6*7))\r');
    await terminal.waitAfter(mark, 'hello-42');
  });

  it('holds a typed `rm -rf` until approved, then runs it', async () => {
    const dir = victim();
    terminal.type(`rm -rf ${dir}\r`);
    const pending = await waitForPending(test, bob, (approval) => approval.command === `rm -rf ${dir}`);
    await terminal.waitFor(`⏸ held for approval ${pending.id} (rule "recursive rm needs on-call", needs 1 of oncall)`);
    expect(existsSync(dir)).toBe(true);
    const mark = terminal.mark();
    await api(test, bob, 'POST', `/v1/approvals/${pending.id}/approve`, {});
    await terminal.waitAfter(mark, 'approved by bob');
    await terminal.waitAfter(mark, 'GATE$ ');
    for (let i = 0; i < 100 && existsSync(dir); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(existsSync(dir)).toBe(false);
  });

  it('a deny rule cancels the line and says why', async () => {
    const marker = path.join(work, 'danger-ran');
    const mark = terminal.mark();
    terminal.type(`danger; touch ${marker}\r`);
    await terminal.waitAfter(mark, 'denied by policy rule "never run danger"');
    await terminal.waitAfter(mark, 'GATE$ ');
    terminal.type(`echo after\r`);
    await terminal.waitAfter(mark, /after[\s\S]*after/);
    expect(existsSync(marker)).toBe(false);
    // The refusal is in the recording: as output the user saw, and as a marker.
    const recordings = path.join(test.dataDir, 'recordings');
    let cast = '';
    for (let i = 0; i < 100 && !/"m","✖ denied: danger/.test(cast); i++) {
      cast = readdirSync(recordings).map((file) => readFileSync(path.join(recordings, file), 'utf8')).join('\n');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(cast).toMatch(/"m","✖ denied: danger; touch [^"]*danger-ran \(denied by policy rule \\"never run danger\\"/);
    expect(cast).toMatch(/"o","\\r\\n✖ denied by policy rule \\"never run danger\\"/);
  });

  const corpus: [string, (dir: string) => string][] = [
    ['extra spaces and quoting', (dir) => `  "r"'m'   -rf   ${dir}\r`],
    ['$(printf …) hides the program name (unparsable → review)', (dir) => `$(printf rm) -rf ${dir}\r`],
    ['eval', (dir) => `eval "rm -rf ${dir}"\r`],
    ['bash -c', (dir) => `bash -c 'rm -rf ${dir}'\r`],
    ['xargs', (dir) => `echo ${dir} | xargs rm -rf\r`],
    ['base64 piped to sh (unparsable → review)', (dir) => `echo ${Buffer.from(`rm -rf ${dir}`).toString('base64')} | base64 -d | sh\r`],
    ['backslash-newline continuation', (dir) => `r\\\rm -rf ${dir}\r`],
    ['here-document fed to bash, typed line by line', (dir) => `bash <<EOF\recho in-heredoc ${path.basename(dir)}\rrm -rf ${dir}\rEOF\r`],
    ['Ctrl-U then retyped', (dir) => `echo harmless\x15rm -rf ${dir}\r`],
    ['cursor keys: typed "m -rf", Home, then "r"', (dir) => `m -rf ${dir}\x1b[Hr\r`],
    ['Ctrl-A / Ctrl-E editing', (dir) => `-rf ${dir}\x01rm \x05\r`],
  ];
  it.each(corpus)('bypass attempt: %s → held (command layer)', async (_label, keys) => {
    const dir = victim();
    const line = keys(dir);
    terminal.type(line);
    await expectHeldThenDeny(dir, 'not now', (approval) => approval.command.includes(path.basename(dir)) || (line.includes('base64') && approval.command.includes('base64')));
  });

  it('bypass attempt: history recall edited with arrow keys → held (screen model)', async () => {
    const dir = victim();
    const mark = terminal.mark();
    terminal.type(`echo rm -rf ${dir}\r`);
    const line = `rm -rf ${dir}`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    await terminal.waitAfter(mark, new RegExp(`${line}[\\s\\S]*${line}[\\s\\S]*GATE\\$ `));
    // Up recalls the line; Home, then delete "echo " with five Delete keys.
    terminal.type('\x1b[A\x1b[H' + '\x1b[3~'.repeat(5));
    await new Promise((resolve) => setTimeout(resolve, 150));
    terminal.type('\r');
    await expectHeldThenDeny(dir);
  });

  it('bypass attempt: alias defined earlier → the definition itself is held (unparsable)', async () => {
    const mark = terminal.mark();
    terminal.type(`alias zap='rm -rf'\r`);
    const pending = await waitForPending(test, bob, (approval) => approval.command.startsWith('alias zap'));
    expect(pending.rule).toBe('policy.unparsable');
    expect(pending.why.join(' ')).toMatch(/an alias definition/);
    await api(test, bob, 'POST', `/v1/approvals/${pending.id}/deny`, { reason: 'no aliases' });
    await terminal.waitAfter(mark, 'denied by bob: no aliases');
  });

  it('bypass attempt: a script file written then run → held (unparsable)', async () => {
    const dir = victim();
    const script = path.join(work, 'clean.sh');
    const mark = terminal.mark();
    terminal.type(`printf 'rm -rf ${dir}\\n' > ${script}\r`);
    for (let i = 0; i < 500 && !(existsSync(script) && readFileSync(script, 'utf8').includes('rm -rf')); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(readFileSync(script, 'utf8')).toContain('rm -rf');
    await terminal.waitAfter(mark, /clean\.sh\s*\n[\s\S]*GATE\$ /);
    terminal.type(`bash ${script}\r`);
    const pending = await waitForPending(test, bob, (approval) => approval.command === `bash ${script}`);
    await api(test, bob, 'POST', `/v1/approvals/${pending.id}/deny`, { reason: 'read it first' });
    await terminal.waitAfter(mark, 'denied by bob: read it first');
    expect(existsSync(dir)).toBe(true);
  });

  it('a paste of several lines is checked line by line: the first runs, the second is held, the third waits', async () => {
    const dir = victim();
    const mark = terminal.mark();
    terminal.type(`echo first-line\rrm -rf ${dir}\recho third-line\r`);
    await terminal.waitAfter(mark, /first-line[\s\S]*first-line/);
    const pending = await waitForPending(test, bob, (approval) => approval.command === `rm -rf ${dir}`);
    expect(terminal.output.slice(mark)).not.toMatch(/third-line[\s\S]*third-line/);
    await api(test, bob, 'POST', `/v1/approvals/${pending.id}/deny`, { reason: 'no' });
    await terminal.waitAfter(mark, /third-line[\s\S]*third-line/);
    expect(existsSync(dir)).toBe(true);
  });

  it('Ctrl-C while held withdraws the request and cancels the line', async () => {
    const dir = victim();
    const mark = terminal.mark();
    terminal.type(`rm -rf ${dir}\r`);
    const pending = await waitForPending(test, bob, (approval) => approval.command === `rm -rf ${dir}`);
    await terminal.waitAfter(mark, 'held for approval');
    terminal.type('\x03');
    await terminal.waitAfter(mark, /withdrawn by alice; it was not run/);
    const after = await api<ApprovalView>(test, bob, 'GET', `/v1/approvals/${pending.id}`);
    expect(after.body.status).toBe('expired');
    const late = await api<{ error: { message: string } }>(test, bob, 'POST', `/v1/approvals/${pending.id}/approve`, {});
    expect(late.status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(existsSync(dir)).toBe(true);
  });
});
