import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalView } from '../../src/protocol/approval.js';
import { parseConfig } from '../../src/config/load.js';
import { mintToken } from '../../src/server/auth/mint.js';
import { Gateway } from '../../src/server/gateway.js';
import { silentLogger } from '../../src/server/log.js';
import { hoopShell, startGateway, type TestGateway } from '../helpers/gateway.js';
import { api, waitForPending } from './helpers.js';

let test: TestGateway;
let work: string;
let alice: string;
let bob: string;
let carol: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'hoop-policy-'));
  test = await startGateway({
    policy: {
      default: 'allow',
      rules: [
        { name: 'recursive rm needs on-call', match: { connection: 'shell', commands: ['rm -r'] }, action: 'review', approvers: { groups: ['oncall'] }, timeout: '30s' },
        { name: 'two eyes on shutdown', match: { commands: ['shutdown'] }, action: 'review', approvers: { groups: ['oncall'], count: 2 } },
        { name: 'short fuse', match: { commands: ['sleepy-delete'] }, action: 'review', approvers: { groups: ['oncall'] }, timeout: '1s' },
        { name: 'no mkfs', match: { commands: ['mkfs*'] }, action: 'deny' },
      ],
    },
  });
  alice = await test.token('alice', ['dev']);
  bob = await test.token('bob', ['oncall']);
  carol = await test.token('carol', ['oncall']);
});
afterAll(async () => {
  await test.stop();
});

function victim(): string {
  const dir = mkdtempSync(path.join(work, 'x-'));
  writeFileSync(path.join(dir, 'f'), 'data');
  return dir;
}

describe('exec on a command connection: held, approved, denied, expired', () => {
  it('holds `rm -rf DIR` until a second user approves, then runs it', async () => {
    const dir = victim();
    const exec = hoopShell(test, ['exec', 'shell', '--', `rm -rf ${dir}`], { token: alice });
    const pending = await waitForPending(test, bob, (approval) => approval.command.includes(dir));
    expect(pending).toMatchObject({ requester: 'alice', rule: 'recursive rm needs on-call', groups: ['oncall'], count: 1, canDecide: true, layer: 'command' });
    expect(existsSync(dir)).toBe(true);
    const decided = await api<ApprovalView>(test, bob, 'POST', `/v1/approvals/${pending.id}/approve`, { reason: 'ok' });
    expect(decided.status).toBe(200);
    const result = await exec;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`⏸ held for approval ${pending.id} (rule "recursive rm needs on-call", needs 1 of oncall)`);
    expect(result.stderr).toContain('approved by bob');
    expect(existsSync(dir)).toBe(false);
  });

  it('a deny exits 77 with the reason and never runs the command', async () => {
    const dir = victim();
    const exec = hoopShell(test, ['exec', 'shell', '--', `rm -r ${dir}`], { token: alice });
    const pending = await waitForPending(test, bob, (approval) => approval.command.includes(dir));
    const missing = await api<{ error: { message: string } }>(test, bob, 'POST', `/v1/approvals/${pending.id}/deny`, {});
    expect(missing.status).toBe(400);
    const denied = await hoopShell(test, ['deny', pending.id, '--reason', 'not during the incident'], { token: bob });
    expect(denied.code).toBe(0);
    const result = await exec;
    expect(result.code).toBe(77);
    expect(result.stderr).toContain('denied by bob: not during the incident');
    expect(existsSync(dir)).toBe(true);
  });

  it('refuses self-approval and approval by the engineer behind an agent', async () => {
    const dir = victim();
    const agent = await test.token('carol', ['oncall'], { actor: 'claude-1' });
    const exec = hoopShell(test, ['exec', 'shell', '--', `rm -rf ${dir}`], { token: agent });
    const pending = await waitForPending(test, bob, (approval) => approval.command.includes(dir));
    expect(pending).toMatchObject({ requester: 'carol', actor: 'claude-1' });
    // carol is in oncall, but the agent asked on her behalf.
    const self = await hoopShell(test, ['approve', pending.id], { token: carol });
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/agent claude-1 asked for it on your behalf/);
    const byAgent = await api<{ error: { message: string } }>(test, agent, 'POST', `/v1/approvals/${pending.id}/approve`, {});
    expect(byAgent.status).toBe(403);
    const nonApprover = await api<{ error: { message: string } }>(test, alice, 'POST', `/v1/approvals/${pending.id}/approve`, {});
    expect(nonApprover.status).toBe(404);
    expect(existsSync(dir)).toBe(true);
    const listed = await hoopShell(test, ['approvals', '--json'], { token: carol });
    const mine = (JSON.parse(listed.stdout) as ApprovalView[]).find((approval) => approval.id === pending.id)!;
    expect(mine.canDecide).toBe(false);
    await hoopShell(test, ['approve', pending.id], { token: bob });
    expect((await exec).code).toBe(0);
    const again = await api<{ error: { message: string } }>(test, carol, 'POST', `/v1/approvals/${pending.id}/deny`, { reason: 'late' });
    expect(again.status).toBe(409);
  });

  it('needs `count` distinct approvers', async () => {
    const exec = hoopShell(test, ['exec', 'shell', '--', 'shutdown --help >/dev/null 2>&1; echo ran'], { token: alice });
    const pending = await waitForPending(test, bob, (approval) => approval.rule === 'two eyes on shutdown');
    const first = await hoopShell(test, ['approve', pending.id], { token: bob });
    expect(first.stdout).toContain('1 more needed');
    const twice = await hoopShell(test, ['approve', pending.id], { token: bob });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/already approved/);
    await hoopShell(test, ['approve', pending.id], { token: carol });
    const result = await exec;
    expect(result).toMatchObject({ code: 0, stdout: 'ran\n' });
  });

  it('expiry denies it (exit 77) and the approval says why', async () => {
    const result = await hoopShell(test, ['exec', 'shell', '--', 'sleepy-delete; echo ran'], { token: alice });
    expect(result.code).toBe(77);
    expect(result.stdout).not.toContain('ran');
    const { body } = await api<ApprovalView[]>(test, bob, 'GET', '/v1/approvals?all=true');
    expect(body.find((approval) => approval.rule === 'short fuse')).toMatchObject({ status: 'expired', reason: expect.stringMatching(/no decision within 1s/) });
  });

  it('deny rules refuse at once with exit 77 and name the rule', async () => {
    const result = await hoopShell(test, ['exec', 'shell', '--', 'mkfs.ext4 /dev/null'], { token: alice });
    expect(result.code).toBe(77);
    expect(result.stderr).toContain('denied by policy rule "no mkfs"');
  });
});

describe('a gateway restart while a command is held', () => {
  it('the held command is not run later; the approval is expired and cannot be approved', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hoop-restart-'));
    const config = parseConfig(
      {
        listen: '127.0.0.1:0',
        dataDir,
        connections: [{ name: 'shell', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'] }],
        policy: { rules: [{ name: 'recursive rm needs on-call', match: { commands: ['rm -r'] }, action: 'review', approvers: { groups: ['oncall'] } }] },
      },
      'test',
    );
    const first = new Gateway(config, { logger: silentLogger });
    await first.start();
    const restartTest = { url: first.url, token: (user = 'alice', groups = ['dev']) => mintToken(first.signingKey, { user, groups, ttlSeconds: 600 }) } as unknown as TestGateway;
    const dir = victim();
    const exec = hoopShell(restartTest, ['exec', 'shell', '--', `rm -rf ${dir}`], { token: await restartTest.token('alice', ['dev']) });
    const approver = await restartTest.token('bob', ['oncall']);
    const pending = await waitForPending(restartTest, approver, (approval) => approval.command.includes(dir));
    await first.stop('gateway restarting');
    const stopped = await exec;
    expect(stopped.code).toBe(1);

    const second = new Gateway(config, { logger: silentLogger });
    await second.start();
    try {
      const again = { url: second.url } as unknown as TestGateway;
      const token = await mintToken(second.signingKey, { user: 'bob', groups: ['oncall'], ttlSeconds: 600 });
      const found = await api<ApprovalView>(again, token, 'GET', `/v1/approvals/${pending.id}`);
      expect(found.body.status).toBe('expired');
      expect(found.body.reason).toMatch(/session ended|gateway restarted/);
      const late = await api<ApprovalView>(again, token, 'POST', `/v1/approvals/${pending.id}/approve`, {});
      expect(late.status).toBe(409);
      expect(existsSync(dir)).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
