/**
 * The kube proxy end to end: the real kubectl in a gateway session, through the proxy, against
 * the API server double. What a user would see, and what reached the "cluster".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway as GatewayClient } from '../../src/client/gateway.js';
import { listApiRequests } from '../../src/server/kube/api-request-log.js';
import { MASKED_SECRET_VALUE } from '../../src/server/kube/secret-masking.js';
import type { ApiRequestFacts } from '../../src/server/policy/api-request.js';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { DB_SECRET_FORBIDDEN_STRINGS, POD_HTTP_GREETING, startKubeApiDouble, type KubeApiDouble } from '../fixtures/kube-api-double/index.js';
import { hoopShell, startGateway, type TestGateway } from '../helpers/gateway.js';

let double: KubeApiDouble;
let test: TestGateway;
const reviewed: ApiRequestFacts[] = [];
const events: (ApiRequestFacts & { status: number; durationMs: number })[] = [];
const PLACEHOLDER = MASKED_SECRET_VALUE;

beforeAll(async () => {
  double = await startKubeApiDouble();
  test = await startGateway({ connections: [{ name: 'k8s', type: 'kubernetes', kubeconfig: double.kubeconfigPath }] }, (gateway) => {
    gateway.apiAuthorizer = async (facts) => {
      if (facts.verb === 'delete' && facts.resource === 'pods' && facts.name === 'web-2') return { action: 'deny', rule: 'web-2 stays', reason: 'it serves the demo' };
      if (facts.verb === 'create' && (facts.body as { metadata?: { name?: string } } | undefined)?.metadata?.name === 'needs-review') {
        // A review: the request waits until the (simulated) approver answers.
        reviewed.push(facts);
        await new Promise((resolve) => setTimeout(resolve, 600));
        return { action: 'allow', rule: 'configmaps need review', approver: 'olivia' };
      }
      return { action: 'allow' };
    };
    gateway.events.on('api.request', (event) => events.push(event));
  });
});
afterAll(async () => {
  await test?.stop();
  await double?.stop();
});

function expectNoSecret(text: string): void {
  for (const forbidden of DB_SECRET_FORBIDDEN_STRINGS) expect(text).not.toContain(forbidden);
}

const kubectl = (args: string[], options: { input?: string; user?: string; actor?: string } = {}) =>
  test.token(options.user ?? 'alice', ['dev'], { actor: options.actor }).then((token) => hoopShell(test, ['exec', 'k8s', '--', ...args], { token, input: options.input, timeoutMs: 30_000 }));

describe('kubectl through the gateway', () => {
  it('get pods prints the Table columns', async () => {
    const result = await kubectl(['get', 'pods']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    expect(result.stdout).toMatch(/^web-1\s+1\/1\s+Running/m);
  });

  it('accepts a leading kubectl and a namespace flag', async () => {
    const result = await kubectl(['kubectl', 'get', 'deploy', '-n', 'default']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^web\s+/m);
  });

  it.each([['-o', 'yaml'], ['-o', 'json']])('get secret db %s %s shows the keys with placeholders', async (...flags) => {
    const result = await kubectl(['get', 'secret', 'db', ...flags]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('username');
    expect(result.stdout).toContain('password');
    expect(result.stdout).toContain(PLACEHOLDER);
    expectNoSecret(result.stdout + result.stderr);
  });

  it('get secret -o jsonpath, get secrets -o yaml (list) and describe secret show no value', async () => {
    const jsonpath = await kubectl(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
    expect(jsonpath.code).toBe(0);
    expect(jsonpath.stdout).toBe(PLACEHOLDER);
    const list = await kubectl(['get', 'secrets', '-o', 'yaml']);
    expect(list.stdout).toContain('kind: List');
    expect(list.stdout).toContain(PLACEHOLDER);
    const describe = await kubectl(['describe', 'secret', 'db']);
    expect(describe.code).toBe(0);
    expect(describe.stdout).toMatch(/password:\s+\d+ bytes/);
    expectNoSecret(jsonpath.stdout + list.stdout + list.stderr + describe.stdout + describe.stderr);
  });

  it('a watch on secrets shows placeholders in its events', async () => {
    const client = new GatewayClient({ url: test.url, token: await test.token() });
    const session = await client.openSession({ connection: 'k8s' });
    let seen = '';
    const sawDb = new Promise<void>((resolve) =>
      session.on('data', (_stream, chunk) => {
        seen += chunk.toString();
        if (seen.includes('"name": "db"') && seen.includes('rotated')) resolve();
      }),
    );
    const run = session.run(['get', 'secrets', '--watch', '-o', 'json'], { collect: true });
    // Change the secret on the "cluster": the MODIFIED event carries data again.
    const waitForWatch = async (): Promise<void> => {
      for (let i = 0; i < 200 && !double.requests.some((r) => r.verb === 'watch' && r.resource === 'secrets'); i++) await new Promise((r) => setTimeout(r, 25));
    };
    await waitForWatch();
    const db = double.objects.get('secrets', 'default', 'db')!;
    double.objects.update('secrets', { ...db, metadata: { ...db.metadata, labels: { app: 'web', state: 'rotated' } } });
    await sawDb;
    session.signal('SIGINT');
    await run.result;
    await session.close();
    expect(seen).toContain(PLACEHOLDER);
    expectNoSecret(seen);
  });

  it('applies a manifest from stdin', async () => {
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-stdin\n  namespace: default\ndata:\n  k: v\n';
    const result = await kubectl(['apply', '-f', '-'], { input: manifest });
    expect(result).toMatchObject({ code: 0, stdout: 'configmap/from-stdin created\n' });
    expect(double.objects.get('configmaps', 'default', 'from-stdin')?.data).toEqual({ k: 'v' });
  });

  it('refuses a write that carries the placeholder back, before it reaches the cluster', async () => {
    const before = double.requests.length;
    const manifest = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: default\ndata:\n  password: ${PLACEHOLDER}\n`;
    const result = await kubectl(['replace', '-f', '-'], { input: manifest });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/placeholder/);
    expect(double.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(double.objects.get('secrets', 'default', 'db')?.data).not.toHaveProperty('password', PLACEHOLDER);
  });

  it('refuses the placeholder in a protobuf write too (kubectl create secret sends protobuf)', async () => {
    const before = double.requests.length;
    const result = await kubectl(['create', 'secret', 'generic', 'copy', `--from-literal=password=${PLACEHOLDER}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/placeholder/);
    expect(double.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(double.objects.get('secrets', 'default', 'copy')).toBeUndefined();
  });

  it('scales and deletes', async () => {
    const scale = await kubectl(['scale', 'deployment', 'web', '--replicas=3']);
    expect(scale).toMatchObject({ code: 0, stdout: 'deployment.apps/web scaled\n' });
    expect((double.objects.get('deployments', 'default', 'web')?.spec as { replicas: number }).replicas).toBe(3);
    const del = await kubectl(['delete', 'configmap', 'from-stdin']);
    expect(del).toMatchObject({ code: 0, stdout: 'configmap "from-stdin" deleted\n' });
    expect(double.objects.get('configmaps', 'default', 'from-stdin')).toBeUndefined();
  });

  it('a policy deny is a Forbidden naming the rule, and nothing reaches the cluster', async () => {
    const result = await kubectl(['delete', 'pod', 'web-2']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Error from server \(Forbidden\): .*web-2 stays.*it serves the demo/);
    expect(double.requests.some((r) => r.method === 'DELETE' && r.name === 'web-2')).toBe(false);
    expect(double.objects.get('pods', 'default', 'web-2')).toBeDefined();
  });

  it('a request under review waits for the decision, with the parsed body in its facts', async () => {
    const started = Date.now();
    const result = await kubectl(['create', 'configmap', 'needs-review', '--from-literal=a=b']);
    expect(result).toMatchObject({ stderr: '', code: 0, stdout: 'configmap/needs-review created\n' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(reviewed).toHaveLength(1);
    expect(reviewed[0]).toMatchObject({ verb: 'create', resource: 'configmaps', namespace: 'default', apiGroup: '', body: { kind: 'ConfigMap', data: { a: 'b' } } });
    expect(listApiRequests(test.gateway.store).find((row) => row.verb === 'create' && row.resource === 'configmaps' && row.rule === 'configmaps need review')).toMatchObject({ status: 201, decision: 'allow' });
  });

  it('logs and exec (exit status of the command in the pod)', async () => {
    const logs = await kubectl(['logs', 'web-1']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('web-1: ready');
    const exec = await kubectl(['exec', 'web-1', '--', 'sh', '-c', 'echo hi; exit 3']);
    expect(exec.stdout).toBe('hi\n');
    expect(exec.code).toBe(3);
  });

  it('port-forward (WebSocket tunnel, kubectl 1.32 default) reaches the pod port', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createNetServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const client = new GatewayClient({ url: test.url, token: await test.token() });
    const session = await client.openSession({ connection: 'k8s' });
    let output = '';
    const forwarding = new Promise<void>((resolve) =>
      session.on('data', (_stream, chunk) => {
        output += chunk.toString();
        if (output.includes(`Forwarding from 127.0.0.1:${port}`)) resolve();
      }),
    );
    const run = session.run(['port-forward', 'pod/web-1', `${port}:8080`]);
    await forwarding;
    const answer = await fetch(`http://127.0.0.1:${port}/`);
    expect(await answer.text()).toBe(POD_HTTP_GREETING);
    session.signal('SIGINT');
    await run.result;
    await session.close();
    expect(listApiRequests(test.gateway.store, { sessionId: session.id }).some((row) => row.subresource === 'portforward' && row.status === 101)).toBe(true);
  });

  it('records every API request with the user, and emits api.request', async () => {
    await kubectl(['get', 'configmap', 'web-config'], { user: 'bob', actor: 'triage-agent' });
    const rows = listApiRequests(test.gateway.store, { user: 'bob' });
    expect(rows.find((row) => row.verb === 'get' && row.resource === 'configmaps')).toMatchObject({ name: 'web-config', namespace: 'default', status: 200, user: 'bob', actor: 'triage-agent', connection: 'k8s' });
    expect(rows.every((row) => row.duration_ms >= 0 && !Number.isNaN(Date.parse(row.at)))).toBe(true);
    const denied = listApiRequests(test.gateway.store).find((row) => row.verb === 'delete' && row.name === 'web-2');
    expect(denied).toMatchObject({ status: 403, decision: 'deny', rule: 'web-2 stays', user: 'alice' });
    expect(events.some((event) => event.identity.user === 'bob' && event.resource === 'configmaps' && event.status === 200 && event.durationMs >= 0)).toBe(true);
  });
});
