/**
 * Policy and approvals end to end with Kubernetes: the real kubectl in gateway sessions, the kube
 * proxy in the path, the API server double as the "cluster". What reaches the double is the
 * proof: a held delete sends nothing until approved, then exactly one DELETE.
 */
import { EventEmitter } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as pty from 'node-pty';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalStore } from '../../src/server/approvals/approval-store.js';
import { ApprovalService } from '../../src/server/approvals/approvals.js';
import { policyOf } from '../../src/server/policy/install.js';
import type { ApprovalView } from '../../src/protocol/approval.js';
import { podObject, startKubeApiDouble, type KubeApiDouble } from '../fixtures/kube-api-double/index.js';
import { BIN, hoopShell, startGateway, type TestGateway } from '../helpers/gateway.js';
import { api, waitForPending } from './helpers.js';

let double: KubeApiDouble;
let test: TestGateway;
let alice: string;
let bob: string;

beforeAll(async () => {
  double = await startKubeApiDouble();
  test = await startGateway({
    connections: [
      { name: 'k8s', type: 'kubernetes', kubeconfig: double.kubeconfigPath },
      { name: 'ops', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'], kubernetes: 'k8s' },
    ],
    policy: {
      default: 'allow',
      rules: [
        { name: 'deleting pods needs on-call', match: { connection: 'k8s', verbs: ['delete'], resources: ['pods'] }, action: 'review', approvers: { groups: ['oncall'], count: 1 }, timeout: '15m' },
        { name: 'privileged pods need security', match: { privileged: true }, action: 'review', approvers: { groups: ['security'] } },
        { name: 'never touch kube-system secrets', match: { verbs: ['delete', 'update', 'patch', 'create'], resources: ['secrets'], namespaces: ['kube-system'] }, action: 'deny' },
        { name: 'configmaps expire fast', match: { verbs: ['delete'], resources: ['cm'] }, action: 'review', approvers: { groups: ['oncall'] }, timeout: '1s' },
      ],
    },
  });
  alice = await test.token('alice', ['dev']);
  bob = await test.token('bob', ['oncall']);
});
afterAll(async () => {
  await test?.stop();
  await double?.stop();
});

const deletes = (name: string): number => double.requests.filter((request) => request.method === 'DELETE' && request.name === name).length;

describe('Kubernetes: held at the command layer', () => {
  it('`exec k8s -- delete pod web-1` is held; the double gets no DELETE until a second user approves, then exactly one', async () => {
    const exec = hoopShell(test, ['exec', 'k8s', '--', 'delete', 'pod', 'web-1'], { token: alice, timeoutMs: 60_000 });
    const pending = await waitForPending(test, bob, (approval) => approval.command.includes('delete pod web-1'));
    expect(pending).toMatchObject({ requester: 'alice', rule: 'deleting pods needs on-call', layer: 'command', groups: ['oncall'], count: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(deletes('web-1')).toBe(0);
    const approved = await hoopShell(test, ['approve', pending.id, '--reason', 'web-1 is wedged'], { token: bob });
    expect(approved.stdout).toContain(`approved ${pending.id}`);
    const result = await exec;
    expect(result.stderr).toContain(`held for approval ${pending.id} (rule "deleting pods needs on-call", needs 1 of oncall)`);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('pod "web-1" deleted');
    // Approved once at the command layer: its own DELETE is not held a second time.
    expect(deletes('web-1')).toBe(1);
  });

  it('deny → exit 77, and no DELETE ever reaches the cluster', async () => {
    const exec = hoopShell(test, ['exec', 'k8s', '--', 'kubectl', 'delete', 'po', 'web-2'], { token: alice, timeoutMs: 60_000 });
    const pending = await waitForPending(test, bob, (approval) => approval.command.includes('web-2'));
    await hoopShell(test, ['deny', pending.id, '--reason', 'web-2 serves the demo'], { token: bob });
    const result = await exec;
    expect(result.code).toBe(77);
    expect(result.stderr).toContain('denied by bob: web-2 serves the demo');
    expect(deletes('web-2')).toBe(0);
  });

  it('refuses self-approval and approval by the engineer behind the agent; the request stays held', async () => {
    const agent = await test.token('bob', ['oncall'], { actor: 'claude-ops' });
    const exec = hoopShell(test, ['exec', 'k8s', '--', 'delete', 'pod', 'web-2'], { token: agent, timeoutMs: 60_000 });
    const pending = await waitForPending(test, bob, (approval) => approval.actor === 'claude-ops');
    const byEngineer = await api<{ error: { message: string } }>(test, bob, 'POST', `/v1/approvals/${pending.id}/approve`, {});
    expect(byEngineer.status).toBe(403);
    expect(byEngineer.body.error.message).toMatch(/agent claude-ops asked for it on your behalf/);
    const byAgent = await api<{ error: { message: string } }>(test, agent, 'POST', `/v1/approvals/${pending.id}/approve`, {});
    expect(byAgent.status).toBe(403);
    expect(deletes('web-2')).toBe(0);
    const carol = await test.token('carol', ['oncall']);
    await api(test, carol, 'POST', `/v1/approvals/${pending.id}/deny`, { reason: 'no' });
    expect((await exec).code).toBe(77);
    expect(deletes('web-2')).toBe(0);
  });

  it('expiry denies it: exit 77, no DELETE', async () => {
    const result = await hoopShell(test, ['exec', 'k8s', '--', 'delete', 'configmap', 'web-config'], { token: alice, timeoutMs: 60_000 });
    expect(result.code).toBe(77);
    expect(result.stderr).toMatch(/no decision within 1s/);
    expect(deletes('web-config')).toBe(0);
  });

  it('a deny rule answers at once with 77 and the rule', async () => {
    const result = await hoopShell(test, ['exec', 'k8s', '--', 'delete', 'secret', 'x', '-n', 'kube-system'], { token: alice, timeoutMs: 60_000 });
    expect(result.code).toBe(77);
    expect(result.stderr).toContain('never touch kube-system secrets');
    expect(deletes('x')).toBe(0);
  });
});

describe('Kubernetes: what the command layer cannot see is held at the API layer', () => {
  it('a delete hidden in a script run from a bash session is held at the API layer, then released', async () => {
    // A script file the command layer cannot read: it sees printf, chmod and a program it does not know.
    const file = path.join(tmpdir(), `hoop-hidden-${process.pid}-${Date.now()}.sh`);
    const script = `printf '#!/bin/sh\\nkubectl delete pod web-2\\n' > ${file} && chmod +x ${file} && ${file}; rm -f ${file}`;
    const exec = hoopShell(test, ['exec', 'ops', '--', script], { token: alice, timeoutMs: 60_000 });
    const pending = await waitForPending(test, bob, (approval) => approval.layer === 'api' && approval.apiRequest?.includes('web-2') === true);
    expect(pending.apiRequest).toMatch(/^DELETE \/api\/v1\/namespaces\/default\/pods\/web-2/);
    expect(pending.rule).toBe('deleting pods needs on-call');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(deletes('web-2')).toBe(0);
    await api(test, bob, 'POST', `/v1/approvals/${pending.id}/approve`, {});
    const result = await exec;
    expect(result.stderr).toContain(`held for approval ${pending.id}`);
    expect(result.code).toBe(0);
    expect(deletes('web-2')).toBe(1);
  });

  it('a privileged pod from a manifest on stdin is decided at the API layer (deny by approver → kubectl fails, nothing created)', async () => {
    const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'root-shell', namespace: 'default' }, spec: { hostPID: true, containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] } });
    const exec = hoopShell(test, ['exec', 'k8s', '--', 'apply', '-f', '-'], { token: alice, input: manifest, timeoutMs: 60_000 });
    const security = await test.token('sam', ['security']);
    const pending = await waitForPending(test, security, (approval) => approval.rule === 'privileged pods need security');
    expect(pending.layer).toBe('api');
    expect(pending.why.join(' ')).toMatch(/hostPID|privileged/);
    await api(test, security, 'POST', `/v1/approvals/${pending.id}/deny`, { reason: 'use a debug profile' });
    const result = await exec;
    expect(result.code).not.toBe(0);
    expect(double.objects.get('pods', 'default', 'root-shell')).toBeUndefined();
    expect(double.requests.some((request) => request.method !== 'GET' && request.name === 'root-shell' && (request as { status?: number }).status === 201)).toBe(false);
  });
});

describe('Kubernetes: an obfuscated delete typed in a bash terminal session', () => {
  it('passes the command layer (it cannot read the script) and is held at the API layer, shown in the terminal', async () => {
    const file = path.join(tmpdir(), `hoop-obfuscated-${process.pid}-${Date.now()}.sh`);
    writeFileSync(file, `#!/bin/sh\nk=kube; $\{k}ctl delete "$(echo cG9k | base64 -d)" web-1\n`, { mode: 0o755 });
    // web-1 was deleted by the first test; bring it back so there is something to delete.
    if (!double.objects.get('pods', 'default', 'web-1')) double.objects.create('pods', podObject('web-1', 'default', { app: 'web' }, 9));
    const before = deletes('web-1');
    const terminal = pty.spawn(process.execPath, [BIN.shell, 'connect', 'ops'], {
      cols: 120,
      rows: 30,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, HOOP_GATEWAY: test.url, HOOP_TOKEN: alice, TERM: 'xterm-256color' },
    });
    let output = '';
    terminal.onData((data) => (output += data));
    try {
      const until = async (pattern: RegExp, timeoutMs = 20_000): Promise<void> => {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline && !pattern.test(output)) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(output, output.slice(-1200)).toMatch(pattern);
      };
      // The first prompt: a new process on a shared, loaded machine may take a while.
      await until(/[$#] $/m, 60_000);
      terminal.write(`${file}\r`);
      const pending = await waitForPending(test, bob, (approval) => approval.layer === 'api' && approval.apiRequest?.includes('/pods/web-1') === true);
      expect(pending.rule).toBe('deleting pods needs on-call');
      await until(new RegExp(`held for approval ${pending.id}: DELETE /api/v1/namespaces/default/pods/web-1`));
      expect(deletes('web-1')).toBe(before);
      await api(test, bob, 'POST', `/v1/approvals/${pending.id}/approve`, {});
      await until(/approved by bob/);
      await until(/pod "web-1" deleted/);
      expect(deletes('web-1')).toBe(before + 1);
    } finally {
      const exited = new Promise((resolve) => terminal.onExit(resolve));
      terminal.write('exit\r');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      terminal.kill();
      rmSync(file, { force: true });
    }
  }, 150_000);
});

describe('approvals left pending by a gateway that died', () => {
  it('are expired at the next start, never run', async () => {
    const { gateway } = test;
    const runtime = policyOf(gateway)!;
    const held = runtime.approvals.hold({
      identity: { user: 'alice', groups: ['dev'], issuer: 'x' },
      connection: 'k8s',
      sessionId: 'gone',
      command: 'kubectl delete pod web-1',
      layer: 'command',
      rule: 'deleting pods needs on-call',
      why: ['verb is delete'],
      groups: ['oncall'],
      count: 1,
      timeoutSeconds: 900,
    });
    // What the next start finds after a crash: the row still pending in SQLite.
    const nextStart = new ApprovalService(new ApprovalStore(gateway.store.db), new EventEmitter(), () => false);
    expect(nextStart.get(held.approval.id)?.status).toBe('pending');
    expect(nextStart.expireOrphans()).toBe(1);
    expect(nextStart.get(held.approval.id)).toMatchObject({ status: 'expired', reason: expect.stringMatching(/gateway restarted/) });
    const late = await api<ApprovalView>(test, bob, 'POST', `/v1/approvals/${held.approval.id}/approve`, {});
    expect(late.status).toBe(409);
    held.cancel('test done');
  });
});
