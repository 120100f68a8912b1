/**
 * The Kubernetes API server double, driven by the REAL /usr/bin/kubectl: if kubectl accepts it,
 * the proxy's tests against it mean something.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from 'node-pty';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DB_SECRET_BASE64,
  POD_HTTP_GREETING,
  podObject,
  seededLogLines,
  startKubeApiDouble,
  type KubeApiDouble,
} from '../fixtures/kube-api-double/index.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../fixtures/kube-api-double/patch.js';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf } from '../fixtures/kube-api-double/protobuf.js';
import { parseFieldSelector, parseLabelSelector } from '../fixtures/kube-api-double/selectors.js';

let double: KubeApiDouble;
let home: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function kubectl(
  args: string[],
  options: { input?: string | Buffer; kubeconfig?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/kubectl', args, {
      env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: options.kubeconfig ?? double.kubeconfigPath, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input);
  });
}

/** Starts a long-running kubectl and resolves once its stdout contains `text`. */
function startKubectl(args: string[], env: Record<string, string> = {}) {
  const child = spawn('/usr/bin/kubectl', args, {
    env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: double.kubeconfigPath, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
    waiters.forEach((w) => w());
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    output: () => stdout,
    errors: () => stderr,
    exited,
    kill: () => child.kill('SIGKILL'),
    waitFor: (text: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${JSON.stringify(text)}; got ${JSON.stringify(stdout)}`)), 10_000);
        const check = () => {
          if (stdout.includes(text)) {
            clearTimeout(timer);
            resolve();
          }
        };
        waiters.push(check);
        check();
      }),
  };
}

beforeAll(async () => {
  double = await startKubeApiDouble();
  home = mkdtempSync(join(tmpdir(), 'kube-double-home-'));
});
afterAll(async () => {
  await double?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('kube-api-double with the real kubectl', () => {
  it('get pods prints the server-side Table columns and the seeded pods', async () => {
    const result = await kubectl(['get', 'pods']);
    expect(result.stderr).toBe('');
    const [header, ...rows] = result.stdout.trim().split('\n');
    expect(header).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(rows.map((r) => r.split(/\s+/).slice(0, 4))).toEqual([
      ['web-1', '1/1', 'Running', '0'],
      ['web-2', '1/1', 'Running', '0'],
    ]);
    const list = double.requests.filter((r) => r.verb === 'list' && r.resource === 'pods');
    expect(list.at(-1)).toMatchObject({ method: 'GET', namespace: 'default', authorized: true, status: 200 });
    expect(list.at(-1)?.userAgent).toMatch(/^kubectl/);
  });

  it('get pod -o yaml returns the full object with uid and resourceVersion', async () => {
    const result = await kubectl(['get', 'pod', 'web-1', '-o', 'yaml']);
    const pod = YAML.parse(result.stdout);
    expect(pod).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } } });
    expect(pod.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(pod.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(pod.status.phase).toBe('Running');
  });

  it('get secret -o yaml shows the real base64 values (masking is the proxy’s job)', async () => {
    const result = await kubectl(['get', 'secret', 'db', '-o', 'yaml']);
    expect(YAML.parse(result.stdout).data).toEqual(DB_SECRET_BASE64);
  });

  it('apply creates, then patches with the last-applied annotation', async () => {
    const dir = mkdtempSync(join(home, 'manifests-'));
    const manifest = (version: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels:\n    version: "${version}"\ndata:\n  key: value-${version}\n`;
    writeFileSync(join(dir, 'cm.yaml'), manifest('1'));
    const first = await kubectl(['apply', '-f', join(dir, 'cm.yaml')]);
    expect(first).toMatchObject({ code: 0, stdout: 'configmap/applied created\n' });
    writeFileSync(join(dir, 'cm.yaml'), manifest('2'));
    const second = await kubectl(['apply', '-f', join(dir, 'cm.yaml')]);
    expect(second).toMatchObject({ code: 0, stdout: 'configmap/applied configured\n' });
    const stored = double.objects.get('configmaps', 'default', 'applied')!;
    expect(stored.metadata.labels).toEqual({ version: '2' });
    expect(stored.data).toEqual({ key: 'value-2' });
    expect(JSON.parse(stored.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration']!).data).toEqual({ key: 'value-2' });
    const writes = double.requests.filter((r) => r.resource === 'configmaps' && r.name !== undefined ? r.name === 'applied' : r.method === 'POST');
    expect(writes.map((r) => `${r.verb}:${r.status}`)).toEqual(['get:404', 'create:201', 'get:200', 'patch:200']);
    const third = await kubectl(['apply', '-f', join(dir, 'cm.yaml')]);
    expect(third.stdout).toBe('configmap/applied unchanged\n');
  });

  it('create of an existing object is AlreadyExists; an unknown one is NotFound with the group', async () => {
    const dir = mkdtempSync(join(home, 'manifests-'));
    writeFileSync(join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: once\n');
    expect((await kubectl(['create', '-f', join(dir, 'cm.yaml')])).code).toBe(0);
    const again = await kubectl(['create', '-f', join(dir, 'cm.yaml')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Error from server (AlreadyExists): error when creating');
    expect(again.stderr).toContain('configmaps "once" already exists');
    const missing = await kubectl(['get', 'deployment', 'nope']);
    expect(missing.stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
  });

  it('create secret/configmap/namespace (protobuf bodies from typed clients) store what kubectl meant', async () => {
    expect((await kubectl(['create', 'secret', 'generic', 'made', '--from-literal=k=v', '--from-literal=empty='])).stdout).toBe('secret/made created\n');
    expect(double.objects.get('secrets', 'default', 'made')).toMatchObject({ type: 'Opaque', data: { k: 'dg==', empty: '' } });
    const create = double.requests.findLast((r) => r.verb === 'create' && r.resource === 'secrets')!;
    expect(create).toMatchObject({ bodyEncoding: 'protobuf', status: 201, body: { kind: 'Secret', metadata: { name: 'made' } } });
    expect((await kubectl(['create', 'configmap', 'made', '--from-literal=a=b'])).code).toBe(0);
    expect(double.objects.get('configmaps', 'default', 'made')?.data).toEqual({ a: 'b' });
    expect((await kubectl(['create', 'namespace', 'team-a'])).stdout).toBe('namespace/team-a created\n');
    expect((await kubectl(['get', 'namespaces', '-o', 'name'])).stdout).toBe('namespace/default\nnamespace/kube-system\nnamespace/team-a\n');
  });

  it('answers typed clients in protobuf: describe secret decodes it and prints sizes', async () => {
    const result = await kubectl(['describe', 'secret', 'db']);
    expect(result.stderr).toBe('');
    // kubectl walks the Data map in Go's random order: check each key, not their order.
    expect(result.stdout).toMatch(/^password:\s+21 bytes$/m);
    expect(result.stdout).toMatch(/^username:\s+13 bytes$/m);
    const typed = double.requests.findLast((r) => r.resource === 'secrets' && r.name === 'db')!;
    expect(typed.accept).toMatch(/^application\/vnd\.kubernetes\.protobuf/);
    expect(typed.responseContentType).toBe('application/vnd.kubernetes.protobuf');
    const secret = double.objects.get('secrets', 'default', 'db')!;
    expect(decodeKubernetesProtobuf(encodeKubernetesProtobuf({ ...secret })!)).toEqual({ ...secret });
  });

  it('scale, label and rollout restart change the stored deployment', async () => {
    expect(await kubectl(['scale', 'deployment', 'web', '--replicas=3'])).toMatchObject({ code: 0, stdout: 'deployment.apps/web scaled\n' });
    expect((double.objects.get('deployments', 'default', 'web')!.spec as { replicas: number }).replicas).toBe(3);
    expect(double.requests.some((r) => r.resource === 'deployments' && r.subresource === 'scale' && r.verb === 'patch' && r.status === 200)).toBe(true);
    const get = await kubectl(['get', 'deployment', 'web']);
    expect(get.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+3\/3\s+3\s+3\s/);

    expect((await kubectl(['label', 'deployment', 'web', 'tier=front'])).stdout).toBe('deployment.apps/web labeled\n');
    expect(double.objects.get('deployments', 'default', 'web')!.metadata.labels).toEqual({ app: 'web', tier: 'front' });

    expect((await kubectl(['rollout', 'restart', 'deployment/web'])).stdout).toBe('deployment.apps/web restarted\n');
    const template = (double.objects.get('deployments', 'default', 'web')!.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template;
    expect(template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('get pods --watch prints the initial rows, then a pod created later', async () => {
    const watch = startKubectl(['get', 'pods', '--watch']);
    try {
      await watch.waitFor('web-2');
      double.objects.create('pods', podObject('watched', 'default', { app: 'late' }, 50));
      await watch.waitFor('watched');
      expect(watch.output().split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
      expect(double.requests.some((r) => r.verb === 'watch' && r.resource === 'pods' && r.query.resourceVersion)).toBe(true);
    } finally {
      watch.kill();
    }
  });

  it('logs prints the pod log; logs -f streams new lines until the pod is deleted', async () => {
    const logs = await kubectl(['logs', 'web-1']);
    expect(logs).toMatchObject({ code: 0, stdout: seededLogLines('web-1').join('\n') + '\n' });
    expect((await kubectl(['logs', 'web-1', '--tail=1'])).stdout).toBe(`${seededLogLines('web-1').at(-1)}\n`);

    const follow = startKubectl(['logs', '-f', 'watched']);
    await follow.waitFor('watched: ready');
    double.objects.appendLog('default', 'watched', 'a line written later');
    await follow.waitFor('a line written later');
    double.objects.delete('pods', 'default', 'watched');
    expect(await follow.exited).toBe(0);
  });

  it('exec runs a real shell in the "container" and reports its exit code', async () => {
    const result = await kubectl(['exec', 'web-1', '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3']);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('hi\n');
    expect(result.stderr).toBe('oops\ncommand terminated with exit code 3\n');
    const upgrade = double.requests.findLast((r) => r.subresource === 'exec')!;
    expect(upgrade).toMatchObject({ name: 'web-1', status: 101, authorized: true });
    expect(upgrade.queryAll.command).toEqual(['sh', '-c', 'echo hi; echo oops >&2; exit 3']);
  });

  it('exec -i carries stdin to the process and ends it at EOF', async () => {
    const input = Buffer.alloc(300_000, 'x');
    const result = await kubectl(['exec', '-i', 'web-1', '--', 'sh', '-c', 'wc -c; echo done'], { input });
    expect(result).toMatchObject({ code: 0, stdout: '300000\ndone\n' });
  });

  it('exec -it runs the command in a terminal', async () => {
    const term = pty.spawn('/usr/bin/kubectl', ['exec', '-it', 'web-1', '--', 'sh', '-c', 'tty; stty size; exit 4'], {
      cols: 100,
      rows: 30,
      env: { PATH: process.env.PATH!, HOME: home, KUBECONFIG: double.kubeconfigPath, TERM: 'xterm' },
    });
    let output = '';
    term.onData((d) => (output += d));
    const exitCode = await new Promise<number>((resolve) => term.onExit(({ exitCode: code }) => resolve(code)));
    expect(exitCode).toBe(4);
    expect(output).toMatch(/\/dev\/pts\/\d+\r\n30 100\r\n/);
  });

  it('port-forward (SPDY in a WebSocket) reaches the pod ports: HTTP on 8080, echo on 9000, refusal elsewhere', async () => {
    const forward = startKubectl(['port-forward', 'pod/web-1', ':8080', ':9000', ':9999']);
    try {
      await forward.waitFor('-> 9999');
      const local = (remote: number) => Number(new RegExp(`127\\.0\\.0\\.1:(\\d+) -> ${remote}`).exec(forward.output())![1]);
      expect(await (await fetch(`http://127.0.0.1:${local(8080)}/`)).text()).toBe(POD_HTTP_GREETING);
      const payload = randomBytes(1_000_000);
      const echoed = await new Promise<Buffer>((resolve, reject) => {
        const socket = net.connect(local(9000), '127.0.0.1');
        const chunks: Buffer[] = [];
        let length = 0;
        socket.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          length += chunk.length;
          if (length >= payload.length) socket.end();
        });
        socket.on('close', () => resolve(Buffer.concat(chunks)));
        socket.on('error', reject);
        socket.write(payload);
      });
      expect(echoed.equals(payload)).toBe(true);
      expect(double.requests.findLast((r) => r.subresource === 'portforward')).toMatchObject({ method: 'GET', status: 101, authorized: true });
      // A port the pod does not serve: kubectl reports the kubelet's refusal and gives up the connection.
      net.connect(local(9999), '127.0.0.1').on('error', () => {});
      expect(await forward.exited).not.toBe(0);
      expect(forward.output() + forward.errors()).toMatch(/lost connection to pod/);
    } finally {
      forward.kill();
    }
  });

  it('plain SPDY (kubectl’s fallback) is refused by default; with spdy: true port-forward and exec work', async () => {
    const env = { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' };
    // SPDY dials before listening, so the refusal ends kubectl at once.
    const refused = startKubectl(['port-forward', 'pod/web-2', ':8080'], env);
    expect(await refused.exited).not.toBe(0);
    expect(refused.errors()).toContain('speaks only WebSocket (SPDY/3.1 requested)');

    const spdyDouble = await startKubeApiDouble({ spdy: true });
    const forward = startKubectl(['port-forward', 'pod/web-2', ':8080'], { ...env, KUBECONFIG: spdyDouble.kubeconfigPath });
    try {
      await forward.waitFor('-> 8080');
      const local = Number(/127\.0\.0\.1:(\d+) -> 8080/.exec(forward.output())![1]);
      expect(await (await fetch(`http://127.0.0.1:${local}/`)).text()).toBe(POD_HTTP_GREETING);
      expect(spdyDouble.requests.findLast((r) => r.subresource === 'portforward')).toMatchObject({ method: 'POST', status: 101 });

      const exec = await kubectl(['exec', '-i', 'web-2', '--', 'sh', '-c', 'wc -c; echo oops >&2; exit 6'], {
        kubeconfig: spdyDouble.kubeconfigPath,
        input: Buffer.alloc(100_000),
        env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' },
      });
      expect(exec).toMatchObject({ code: 6, stdout: '100000\n', stderr: 'oops\ncommand terminated with exit code 6\n' });
      expect(spdyDouble.requests.findLast((r) => r.subresource === 'exec')).toMatchObject({ method: 'POST', status: 101 });
    } finally {
      forward.kill();
      await spdyDouble.stop();
    }
  });

  it('delete pod, then get is NotFound', async () => {
    expect(await kubectl(['delete', 'pod', 'web-1'])).toMatchObject({ code: 0, stdout: 'pod "web-1" deleted\n' });
    const get = await kubectl(['get', 'pod', 'web-1']);
    expect(get).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): pods "web-1" not found\n' });
    expect(double.objects.get('pods', 'default', 'web-1')).toBeUndefined();
  });

  it('refuses a wrong token with 401 and records it as unauthorized', async () => {
    const before = double.requests.length;
    const result = await kubectl(['--token', 'not-the-token', 'get', 'pods']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
    const refused = double.requests.slice(before);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => !r.authorized && r.status === 401)).toBe(true);
  });

  it('accepts a client certificate from its CA when clientCertAuth is on', async () => {
    const certDouble = await startKubeApiDouble({ clientCertAuth: true });
    try {
      const result = await kubectl(['get', 'pods', '-o', 'name'], { kubeconfig: certDouble.clientCertKubeconfigPath! });
      expect(result).toMatchObject({ code: 0, stdout: 'pod/web-1\npod/web-2\n' });
      expect(certDouble.requests.at(-1)).toMatchObject({ authorized: true, authenticatedBy: 'client-certificate' });
    } finally {
      await certDouble.stop();
    }
  });
});

describe('kube-api-double patch semantics', () => {
  const pod = {
    metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x'] },
    spec: {
      containers: [
        { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
        { name: 'side', image: 'busybox' },
      ],
    },
  };

  it('strategic merge patch merges containers by name, deletes with $patch and null, orders with $setElementOrder', () => {
    const patched = strategicMergePatch(pod, {
      metadata: { labels: { b: null, c: '3' }, finalizers: ['y'] },
      spec: {
        '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }, { name: 'new' }],
        containers: [{ name: 'web', image: 'nginx:2', env: [{ name: 'B', value: '2' }] }, { name: 'side', $patch: 'delete' }, { name: 'new', image: 'alpine' }],
      },
    }) as typeof pod;
    expect(patched.metadata.labels).toEqual({ a: '1', c: '3' });
    expect(patched.metadata.finalizers).toEqual(['x', 'y']);
    expect(patched.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['web=nginx:2', 'new=alpine']);
    expect(patched.spec.containers[0]!.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
    expect(patched.spec.containers[0]!.ports).toEqual([{ containerPort: 80 }]);
    expect(pod.spec.containers).toHaveLength(2);
  });

  it('merge patch replaces lists and removes null keys; json patch applies ops and fails on a bad test', () => {
    expect((mergePatch(pod, { spec: { containers: [{ name: 'only', image: 'x' }] } }) as typeof pod).spec.containers).toEqual([{ name: 'only', image: 'x' }]);
    expect((mergePatch(pod, { metadata: { labels: null } }) as typeof pod).metadata).toEqual({ name: 'p', finalizers: ['x'] });
    const patched = jsonPatch(pod, [
      { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:3' },
      { op: 'add', path: '/metadata/labels/k~1v', value: 'slash' },
      { op: 'remove', path: '/spec/containers/1' },
      { op: 'test', path: '/metadata/name', value: 'p' },
    ]) as typeof pod;
    expect(patched.spec.containers.map((c) => c.image)).toEqual(['nginx:3']);
    expect(patched.metadata.labels).toEqual({ a: '1', b: '2', 'k/v': 'slash' });
    expect(() => jsonPatch(pod, [{ op: 'test', path: '/metadata/name', value: 'q' }])).toThrow(/testing value/);
    expect(() => jsonPatch(pod, [{ op: 'remove', path: '/nope' }])).toThrow(/missing/);
  });

  it('label and field selectors follow the API server grammar', () => {
    const object = (labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'n', labels }, status: { phase: 'Running' } });
    const match = parseLabelSelector('app in (web,api),tier!=db,!canary,env');
    expect(match(object({ app: 'web', env: 'prod' }))).toBe(true);
    expect(match(object({ app: 'web', env: 'prod', canary: 'y' }))).toBe(false);
    expect(match(object({ app: 'db', env: 'prod' }))).toBe(false);
    expect(match(object({ app: 'api' }))).toBe(false);
    expect(parseFieldSelector('metadata.name=n,status.phase!=Pending')(object({}))).toBe(true);
    expect(() => parseLabelSelector('a=(b')).toThrow();
  });
});
