import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/gateway.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hoop-policy-cli-'));
function configFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The config contract's example, verbatim, plus a command connection on the same cluster. */
const contract = configFile(
  'hoop.yaml',
  `connections:
  - name: k8s-prod
    type: kubernetes
    kubeconfig: ./prod.kubeconfig
  - name: ops-shell
    type: command
    command: [bash, --noprofile, --norc]
    kubernetes: k8s-prod
policy:
  default: allow
  rules:
    - name: deleting pods needs on-call
      match: { connection: k8s-prod, verbs: [delete], resources: [pods] }
      action: review
      approvers: { groups: [oncall], count: 1 }
      timeout: 15m
    - name: privileged pods need security
      match: { privileged: true }
      action: review
      approvers: { groups: [security] }
    - name: never touch kube-system secrets
      match: { verbs: [delete, update, patch, create], resources: [secrets], namespaces: [kube-system] }
      action: deny
roles:
  approver: [oncall]
`,
);

describe('hoop-gateway policy check', () => {
  it('accepts the contract example', async () => {
    const result = await runCli(BIN.gateway, ['policy', 'check', '--config', contract]);
    expect(result.stdout).toBe('3 rule(s), default allow: 0 error(s), 0 warning(s)\n');
    expect(result.code).toBe(0);
  });

  it('reports rules that can never match and review rules nobody can approve; exit 1', async () => {
    const file = configFile(
      'broken.yaml',
      `connections: [{ name: k8s, type: kubernetes, kubeconfig: ./k }]
policy:
  rules:
    - { name: mixed, match: { verbs: [delete], commands: [rm -r] }, action: deny }
    - { name: typo, match: { connection: k8s-prd, verbs: [delete] }, action: deny }
    - { name: verb, match: { verbs: [remove] }, action: deny }
    - { name: lonely, match: { verbs: [delete] }, action: review }
    - { name: all, match: {}, action: deny }
    - { name: crd, match: { resources: [certificates.cert-manager.io] }, action: review, approvers: { groups: [x] } }
`,
    );
    const result = await runCli(BIN.gateway, ['policy', 'check', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('error: policy.rules[0] "mixed" can never match: "commands" applies to shell commands');
    expect(result.stdout).toContain('error: policy.rules[1] "typo" names unknown connection "k8s-prd": it can never match');
    expect(result.stdout).toContain('error: policy.rules[2] "verb" unknown verb "remove"');
    expect(result.stdout).toContain('error: policy.rules[3] "lonely" is a review rule without approvers');
    expect(result.stdout).toContain('warning: policy.rules[4] "all" match is empty');
    expect(result.stdout).toContain('warning: policy.rules[5] "crd" resource "certificates.cert-manager.io" is not a built-in name');
    expect(result.stdout).toContain('warning: policy.unparsable is review, but roles.approver names no group');
  });

  it('an unknown key is an error naming the key', async () => {
    const file = configFile('typo.yaml', 'policy:\n  rules:\n    - { name: x, match: { verb: [delete] }, action: deny }\n');
    const result = await runCli(BIN.gateway, ['policy', 'check', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`hoop-gateway: invalid config ${file}: policy.rules[0].match: unknown key "verb"\n`);
  });
});

describe('hoop-gateway policy explain', () => {
  it('tells a new operator exactly why a delete is held', async () => {
    const result = await runCli(BIN.gateway, ['policy', 'explain', '--config', contract, '--user', 'alice', '--groups', 'dev', '--connection', 'k8s-prod', '--', 'kubectl', 'delete', 'pod', 'x']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'connection: k8s-prod (kubernetes); user: alice; groups: dev',
        'decision: REVIEW by rule "deleting pods needs on-call" — needs 1 of oncall, expires after 15m',
        'command:  kubectl delete pod x',
        'understood as: delete pods x in namespace default',
        'rules that matched (strictest wins: deny > review > allow):',
        '  review "deleting pods needs on-call" — connection is k8s-prod; verb is delete; resource is pods',
        '',
      ].join('\n'),
    );
  });

  it('explains a shell line: every command, the strictest wins, what it could not read', async () => {
    const result = await runCli(BIN.gateway, ['policy', 'explain', '--config', contract, '--user', 'alice', '--connection', 'ops-shell', '--', 'run --privileged x; kubectl -n kube-system delete secret db']);
    expect(result.stdout).toContain('decision: DENY by rule "never touch kube-system secrets"');
    expect(result.stdout).toContain('understood as: delete secrets db in namespace kube-system');
    expect(result.stdout).toContain('  deny   "never touch kube-system secrets" — verb is delete; resource is secrets; namespace is kube-system');
  });

  it('says when no rule matched and the default applied', async () => {
    const result = await runCli(BIN.gateway, ['policy', 'explain', '--config', contract, '--', 'kubectl', 'get', 'pods', '-A']);
    expect(result.stdout).toContain('decision: ALLOW (no rule matched; policy.default is allow)');
    expect(result.stdout).toContain('understood as: list pods (names not known before it runs) in all namespaces');
    expect(result.stdout).toContain('rules that matched: none');
  });
});
