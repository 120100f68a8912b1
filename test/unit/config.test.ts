/** The config file: validated at start, every problem names its key. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, embeddedDefaults, loadConfig, parseConfig } from '../../src/config/load.js';

function fileWith(yaml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hoop-config-'));
  const file = path.join(dir, 'hoop.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('config', () => {
  it('accepts the contract example and resolves paths against the file', () => {
    const file = fileWith(`
listen: 127.0.0.1:8009
dataDir: ./.hoop
auth:
  oidc:
    - issuer: https://idp.example.com
      audience: hoop-gateway
      groupsClaim: groups
connections:
  - name: k8s-prod
    type: kubernetes
    kubeconfig: ./prod.kubeconfig
    context: prod
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
  auditor: [audit]
  admin: [platform-admins]
`);
    const config = loadConfig({ file });
    expect(config.dataDir).toBe(path.join(path.dirname(file), '.hoop'));
    expect(config.connections[0]).toMatchObject({ name: 'k8s-prod', kubeconfig: path.join(path.dirname(file), 'prod.kubeconfig') });
    expect(config.policy.rules[1]!.approvers).toEqual({ groups: ['security'], count: 1 });
  });

  it.each([
    ['listen: nowhere', 'listen: must be HOST:PORT, e.g. 127.0.0.1:8009'],
    ['listen: 127.0.0.1:99999', 'listen: port must be at most 65535'],
    ['conections: []', 'unknown key "conections"'],
    ['connections: [{name: a, type: ssh}]', 'connections[0].type: type must be "command" or "kubernetes"'],
    ['connections: [{name: a, type: command}]', 'connections[0].command: is required'],
    ['connections: [{name: a, type: command, command: []}]', 'connections[0].command: must not be empty'],
    ['connections: [{name: a, type: kubernetes, kubeconfig: x, contxt: y}]', 'connections[0]: unknown key "contxt"'],
    ['connections: [{name: a, type: command, command: [sh]}, {name: a, type: command, command: [sh]}]', 'connections[1].name: duplicate connection name "a"'],
    ['connections: [{name: a, type: command, command: [sh], kubernetes: prod}]', 'connections[0].kubernetes: names no kubernetes connection "prod"'],
    ['policy: {default: maybe}', "policy.default: Invalid enum value. Expected 'allow' | 'review' | 'deny', received 'maybe'"],
    ['policy: {rules: [{name: r, match: {verbs: [delete]}, action: review, timeout: soon}]}', 'policy.rules[0].timeout: must be a duration such as 30s, 15m or 1h'],
    ['policy: {rules: [{name: r, match: {verb: [delete]}, action: deny}]}', 'policy.rules[0].match: unknown key "verb"'],
  ])('refuses %s naming the key', (yaml, problem) => {
    const file = fileWith(yaml);
    expect(() => loadConfig({ file })).toThrow(ConfigError);
    expect(() => loadConfig({ file })).toThrow(problem);
  });

  it('reports YAML syntax errors with the line', () => {
    const file = fileWith('listen: 1\nconnections: [\n');
    expect(() => loadConfig({ file })).toThrow(/YAML syntax error \(line \d+\)/);
  });

  it('says when the file cannot be read', () => {
    expect(() => loadConfig({ file: '/nonexistent/hoop.yaml' })).toThrow('cannot read config /nonexistent/hoop.yaml: ENOENT');
  });

  it('has embedded defaults: a shell connection, and k8s when a kubeconfig exists', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hoop-home-'));
    const none = parseConfig(embeddedDefaults({ HOME: dir }), 'embedded defaults');
    expect(none.connections.map((c) => c.name)).toEqual(['shell']);
    expect(none.listen).toBe('127.0.0.1:8009');
    expect(none.dataDir).toBe('./.hoop');
    const kubeconfig = path.join(dir, 'config');
    writeFileSync(kubeconfig, 'apiVersion: v1\n');
    const withKube = parseConfig(embeddedDefaults({ HOME: dir, KUBECONFIG: kubeconfig }), 'embedded defaults');
    expect(withKube.connections.map((c) => [c.name, c.type])).toEqual([
      ['shell', 'command'],
      ['k8s', 'kubernetes'],
    ]);
  });
});
