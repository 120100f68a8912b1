import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hoopShell, startGateway, type TestGateway } from '../helpers/gateway.js';
import { ROLES, until } from './helpers.js';

let test: TestGateway;
let work: string;
beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'hoop-agent-approval-'));
  test = await startGateway({
    roles: ROLES,
    policy: {
      default: 'allow',
      rules: [{ name: 'recursive rm needs on-call', match: { connection: 'shell', commands: ['rm -r'] }, action: 'review', approvers: { groups: ['oncall'] }, timeout: '30s' }],
    },
  });
});
afterAll(async () => {
  await test.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Approval {
  id: string;
  requester: string;
  actor?: string;
  command: string;
  status: string;
}

async function pending(token: string, dir: string): Promise<Approval | undefined> {
  return until(async () => {
    const response = await fetch(`${test.url}/v1/approvals`, { headers: { authorization: `Bearer ${token}` } });
    const list = (await response.json()) as Approval[];
    return list.find((approval) => approval.command.includes(dir) && approval.status === 'pending');
  }, 15_000, 'the held command to show up');
}

describe('an engineer and the agent acting for them', () => {
  it('the engineer cannot approve what their agent asked for; another approver can', async () => {
    // alice is herself an on-call approver: only the agent relationship stops her.
    const alice = await test.token('alice', ['dev', 'oncall']);
    const bob = await test.token('bob', ['oncall']);
    const minted = await hoopShell(test, ['token', '--agent', 'claude-1'], { token: alice });
    const agent = minted.stdout.trim();
    const dir = mkdtempSync(path.join(work, 'x-'));
    writeFileSync(path.join(dir, 'f'), 'data');

    const exec = hoopShell(test, ['exec', 'shell', '--', `rm -rf ${dir}`], { token: agent, timeoutMs: 30_000 });
    const held = (await pending(bob, dir))!;
    expect(held).toMatchObject({ requester: 'alice', actor: 'claude-1' });

    const byEngineer = await hoopShell(test, ['approve', held.id], { token: alice });
    expect(byEngineer.code).toBe(1);
    expect(byEngineer.stderr).toBe(`hoop-shell: you cannot decide approval ${held.id}: agent claude-1 asked for it on your behalf\n`);
    const byAgent = await hoopShell(test, ['approve', held.id], { token: agent });
    expect(byAgent.code).toBe(1);
    expect(existsSync(dir)).toBe(true);

    const byBob = await hoopShell(test, ['approve', held.id, '--reason', 'checked'], { token: bob });
    expect(byBob.code).toBe(0);
    expect((await exec).code).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });
});
