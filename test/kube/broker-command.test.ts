import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadClusterCredential } from '../../src/server/kube/kubeconfig.js';
import { checkKubectlCommand } from '../../src/server/kube/kubectl-command.js';
import { parseRequestInfo } from '../../src/server/kube/request-info.js';
import { SessionTokens } from '../../src/server/kube/session-tokens.js';
import { promptWords, wantsTerminal, withNamespace } from '../../src/shell/broker-prompt.js';
import { REFUSED_FLAG_FORMS } from './refused-flags.js';


function reason(command: string | string[]): string | undefined {
  try {
    checkKubectlCommand(command);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('broker command check', () => {
  it.each(REFUSED_FLAG_FORMS.map((argv) => [argv.join(' '), argv]))('refuses %s with a one-line reason', (_name, argv) => {
    const why = reason(argv as string[]);
    expect(why).toBeDefined();
    expect(why).not.toContain('\n');
    expect(reason(['kubectl', ...(argv as string[])])).toBeDefined();
  });

  it('refuses grouped short flags that hide -s', () => {
    expect(reason(['exec', '-itshttps://evil', 'web-1', '--', 'sh'])).toMatch(/-s/);
  });

  it('refuses edit with a hint to get -o yaml and apply -f -', () => {
    expect(reason('edit deploy/web')).toMatch(/get KIND NAME -o yaml.*apply -f -/);
  });

  it.each([
    ['plugin list', /plugins/],
    ['whoami-plugin', /not a kubectl command/],
    ['proxy --port=8001', /proxy/],
    ['cp web-1:/etc/passwd /tmp/p', /gateway host/],
    ['config view --raw', /reveal/],
    ['config set-credentials x --token=y', /--token|managed by the gateway/],
    ['config use-context other', /managed by the gateway/],
    ['config set-context --current --namespace=x', /managed by the gateway/],
    ['apply -f /etc/hoop/real.kubeconfig', /stdin/],
    ['apply --filename=/etc/passwd', /stdin/],
    ['apply -k ./overlay', /gateway host/],
    ['create configmap x --from-file=/etc/passwd', /gateway host/],
    ['get pods -o go-template-file=/etc/passwd', /reads a file/],
    ['get pods -ojsonpath-file=/etc/passwd', /reads a file/],
    ['create token default', /credential/],
    ['port-forward web-1 8080 --address 0.0.0.0', /localhost/],
    ['get pods | grep web', /needs a shell/],
    ['get pods; rm -rf /', /needs a shell/],
    ['get pods > /tmp/out', /needs a shell/],
  ])('refuses %s', (line, pattern) => {
    expect(reason(line)).toMatch(pattern);
  });

  it.each([
    'get pods',
    'kubectl get pods -n kube-system -o wide',
    'get secret db -o jsonpath={.data.password}',
    'apply -f -',
    'exec -it web-1 -- sh -c "kubectl --token x get pods --as admin"',
    'logs -f web-1',
    'logs -p web-1',
    'config view',
    'config current-context',
    'create secret generic token --from-literal=a=b',
    'port-forward web-1 8080:80',
    'delete pod web-1 --grace-period=0',
    'version',
  ])('allows %s', (line) => {
    expect(reason(line)).toBeUndefined();
  });

  it('keeps the words after -- for the container untouched', () => {
    expect(checkKubectlCommand(['exec', 'web-1', '--', 'sh', '-c', 'echo hi; exit 3']).argv).toEqual(['exec', 'web-1', '--', 'sh', '-c', 'echo hi; exit 3']);
    expect(checkKubectlCommand("kubectl exec web-1 -- sh -c 'echo hi; exit 3'").argv).toEqual(['exec', 'web-1', '--', 'sh', '-c', 'echo hi; exit 3']);
  });
});

describe('request attributes', () => {
  it.each([
    ['GET', '/api/v1/namespaces/default/pods', { verb: 'list', resource: 'pods', namespace: 'default' }],
    ['GET', '/api/v1/namespaces/default/pods?watch=true&resourceVersion=3', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/default/pods/web-1/log?follow=true', { verb: 'get', subresource: 'log', name: 'web-1' }],
    ['GET', '/api/v1/namespaces/default/pods/web-1/exec?command=sh', { verb: 'create', subresource: 'exec' }],
    ['POST', '/api/v1/namespaces/default/pods/web-1/exec?command=sh', { verb: 'create', subresource: 'exec' }],
    ['DELETE', '/apis/apps/v1/namespaces/prod/deployments/web', { verb: 'delete', apiGroup: 'apps', resource: 'deployments', namespace: 'prod', name: 'web' }],
    ['DELETE', '/api/v1/namespaces/default/pods', { verb: 'deletecollection' }],
    ['PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { verb: 'patch', subresource: 'scale' }],
    ['GET', '/api/v1/namespaces/kube-system', { verb: 'get', resource: 'namespaces', name: 'kube-system', namespace: 'kube-system' }],
    ['GET', '/api/v1/watch/namespaces/default/secrets', { verb: 'watch', resource: 'secrets', namespace: 'default' }],
    ['GET', '/api/v1/nodes/n1', { verb: 'get', resource: 'nodes', name: 'n1' }],
    ['GET', '/version', { isResource: false }],
    ['GET', '/apis/apps/v1', { isResource: false }],
  ])('%s %s', (method, url, expected) => {
    expect(parseRequestInfo(method, url)).toMatchObject(expected);
  });
});

describe('session tokens', () => {
  it('resolve to their own session only, and never after revoke', () => {
    const tokens = new SessionTokens();
    const a = tokens.issue({ sessionId: 'a', connection: 'k8s' });
    const b = tokens.issue({ sessionId: 'b', connection: 'k8s' });
    expect(a).not.toBe(b);
    expect(Buffer.from(a.split('.')[1]!, 'base64url')).toHaveLength(32);
    expect(tokens.resolve(a)).toEqual({ sessionId: 'a', connection: 'k8s' });
    expect(tokens.resolve(`${a}x`)).toBeUndefined();
    expect(tokens.resolve(a.slice(0, -1))).toBeUndefined();
    tokens.revoke('a');
    expect(tokens.resolve(a)).toBeUndefined();
    expect(tokens.resolve(b)).toEqual({ sessionId: 'b', connection: 'k8s' });
  });
});

describe('kubeconfig credential', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hoop-kcfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, user: Record<string, unknown>, extra: Record<string, unknown> = {}): string => {
    const file = path.join(dir, name);
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': Buffer.from('ca').toString('base64'), ...extra } }],
        users: [{ name: 'u', user }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'team' } }, { name: 'other', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'ctx',
      }),
    );
    return file;
  };

  it('reads a bearer token, the CA and the context namespace', () => {
    const credential = loadClusterCredential({ name: 'k8s', type: 'kubernetes', kubeconfig: write('t.yaml', { token: 'real-token' }), env: {}, recordInput: false, kubectl: '/usr/bin/kubectl' });
    expect(credential.authorization()).toBe('Bearer real-token');
    expect(credential.ca?.toString()).toBe('ca');
    expect(credential.namespace).toBe('team');
  });

  it('honours context and reads a token file relative to the kubeconfig', () => {
    writeFileSync(path.join(dir, 'token'), 'file-token\n');
    const credential = loadClusterCredential({ name: 'k8s', type: 'kubernetes', kubeconfig: write('f.yaml', { tokenFile: 'token' }), context: 'other', env: {}, recordInput: false, kubectl: '/usr/bin/kubectl' });
    expect(credential.authorization()).toBe('Bearer file-token');
    expect(credential.namespace).toBe('default');
  });

  it('refuses exec plugins, naming the connection and not the path', () => {
    const file = write('e.yaml', { exec: { command: 'aws', args: ['eks', 'get-token'] } });
    expect(() => loadClusterCredential({ name: 'prod', type: 'kubernetes', kubeconfig: file, env: {}, recordInput: false, kubectl: '/usr/bin/kubectl' })).toThrow(/^connection "prod": .*exec credential plugin/);
    try {
      loadClusterCredential({ name: 'prod', type: 'kubernetes', kubeconfig: file, env: {}, recordInput: false, kubectl: '/usr/bin/kubectl' });
    } catch (error) {
      expect((error as Error).message).not.toContain(dir);
    }
  });

  it('refuses auth-provider plugins and insecure-skip-tls-verify', () => {
    expect(() => loadClusterCredential({ name: 'p', type: 'kubernetes', kubeconfig: write('a.yaml', { 'auth-provider': { name: 'gcp' } }), env: {}, recordInput: false, kubectl: 'k' })).toThrow(/auth-provider/);
    expect(() => loadClusterCredential({ name: 'p', type: 'kubernetes', kubeconfig: write('i.yaml', { token: 't' }, { 'insecure-skip-tls-verify': true }), env: {}, recordInput: false, kubectl: 'k' })).toThrow(/insecure-skip-tls-verify/);
  });
});

describe('broker prompt terminal choice', () => {
  it.each([
    ['exec -it web-1 -- sh', true],
    ['kubectl exec -ti web-1 -- sh', true],
    ['exec web-1 -- ls -t', false],
    ['logs -f web-1', true],
    ['logs web-1', false],
    ['get pods -w', true],
    ['get pods', false],
    ['port-forward web-1 8080', true],
    ['run -it tmp --image=busybox -- sh', true],
  ])('%s → %s', (line, expected) => {
    expect(wantsTerminal(promptWords(line))).toBe(expected);
  });
});

describe('broker prompt namespace switch', () => {
  it('puts -n in front unless the command names a namespace', () => {
    expect(withNamespace(['get', 'pods'], 'kube-system', 'default')).toEqual(['-n', 'kube-system', 'get', 'pods']);
    expect(withNamespace(['get', 'pods'], 'default', 'default')).toEqual(['get', 'pods']);
    expect(withNamespace(['get', 'pods', '-n', 'x'], 'kube-system', 'default')).toEqual(['get', 'pods', '-n', 'x']);
    expect(withNamespace(['get', 'pods', '--namespace=x'], 'kube-system', 'default')).toEqual(['get', 'pods', '--namespace=x']);
    expect(withNamespace(['get', 'pods', '-A'], 'kube-system', 'default')).toEqual(['get', 'pods', '-A']);
    expect(withNamespace(['exec', 'web-1', '--', 'ls', '-n'], 'prod', 'default')).toEqual(['-n', 'prod', 'exec', 'web-1', '--', 'ls', '-n']);
  });
});
