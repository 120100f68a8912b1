/**
 * Adversarial checks of the credential boundary (issue 3, "Security tests"). The gateway runs in
 * its own process, as in production, so its /proc entries can be inspected. Sessions try to find
 * the real token or kubeconfig, to change identity, and to reuse tokens after or across sessions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Gateway as GatewayClient } from '../../src/client/gateway.js';
import type { ClientSession } from '../../src/client/session.js';
import { startKubeApiDouble, type KubeApiDouble } from '../fixtures/kube-api-double/index.js';
import { BIN, runCli, type CliResult } from '../helpers/gateway.js';
import { REFUSED_FLAG_FORMS } from './refused-flags.js';

let double: KubeApiDouble;
let gatewayProcess: ChildProcess;
let gatewayUrl = '';
let dataDir = '';
let token = '';
/** Everything any session showed, to search for leaks at the end. */
const seen: string[] = [];

beforeAll(async () => {
  double = await startKubeApiDouble();
  dataDir = mkdtempSync(path.join(tmpdir(), 'hoop-sec-'));
  const config = path.join(dataDir, 'hoop.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      connections: [
        { name: 'k8s', type: 'kubernetes', kubeconfig: double.kubeconfigPath },
        { name: 'ops', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'], kubernetes: 'k8s' },
      ],
    }),
  );
  gatewayProcess = spawn(process.execPath, [BIN.gateway, 'serve', '--config', config, '--data', dataDir, '--listen', '127.0.0.1:0'], {
    env: { PATH: process.env.PATH, HOME: dataDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  gatewayUrl = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${text}`)), 20_000);
    gatewayProcess.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /hoop-gateway listening on (http:\/\/\S+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  token = (await runCli(BIN.gateway, ['token', '--user', 'mallory', '--groups', 'dev', '--data', dataDir])).stdout.trim();
});

afterAll(async () => {
  if (gatewayProcess && gatewayProcess.exitCode === null) {
    const exited = new Promise((resolve) => gatewayProcess.once('exit', resolve));
    gatewayProcess.kill('SIGTERM');
    await exited;
  }
  await double?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const shell = async (connection: string, command: string[], input?: string): Promise<CliResult> => {
  const result = await runCli(BIN.shell, ['exec', connection, '--', ...command], { env: { HOOP_GATEWAY: gatewayUrl, HOOP_TOKEN: token }, input, timeoutMs: 30_000 });
  seen.push(result.stdout, result.stderr);
  return result;
};

function secretsOf(): string[] {
  // The real credential, where it lives, and the kubeconfig's file name.
  return [double.token, double.kubeconfigPath, double.dir, path.basename(double.dir)];
}

function expectNoCredential(text: string): void {
  for (const secret of secretsOf()) expect(text).not.toContain(secret);
}

async function client(): Promise<GatewayClient> {
  return new GatewayClient({ url: gatewayUrl, token });
}

/** The session's own kubeconfig, read from inside the session. */
async function sessionKubeconfig(session: ClientSession): Promise<{ server: string; ca: string; token: string }> {
  // Hex, because the session's output masker hides `token:` values in plain text (on purpose).
  const result = await session.run('od -An -v -tx1 "$KUBECONFIG" | tr -d " \\n"', { collect: true }).result;
  const config = parseYaml(Buffer.from(result.output ?? '', 'hex').toString()) as { clusters: { cluster: Record<string, string> }[]; users: { user: { token: string } }[] };
  return { server: config.clusters[0]!.cluster.server!, ca: Buffer.from(config.clusters[0]!.cluster['certificate-authority-data']!, 'base64').toString(), token: config.users[0]!.user.token };
}

function proxyGet(kube: { server: string; ca: string }, bearer: string, urlPath: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${kube.server}${urlPath}`, { ca: kube.ca, headers: { authorization: `Bearer ${bearer}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the real credential stays in the gateway', () => {
  it('is nowhere in a command session with kubernetes: env, kubeconfig, config view --raw, files under HOME', async () => {
    const script = [
      'env',
      'echo "--- kubeconfig"; cat "$KUBECONFIG"',
      'echo "--- view"; kubectl config view --raw',
      'echo "--- home"; grep -r . "$HOME" 2>/dev/null',
      'echo "--- pods"; kubectl get pods',
    ].join('; ');
    const result = await shell('ops', [script]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^web-1\s+1\/1\s+Running/m);
    // The session token is there for kubectl, and the output masker hides it on screen.
    expect(result.stdout).toMatch(/token: \[masked:[a-z-]+\]/);
    expect(result.stdout).toMatch(/^KUBECONFIG=\/.*\/\.kube\/config$/m);
    expectNoCredential(result.stdout + result.stderr);
  });

  it('is nowhere in a broker session: config view, error messages', async () => {
    const view = await shell('k8s', ['config', 'view']);
    expect(view.code).toBe(0);
    expect(view.stdout).toContain('server: https://127.0.0.1:');
    const raw = await shell('k8s', ['config', 'view', '--raw']);
    expect(raw.code).toBe(77);
    const missing = await shell('k8s', ['get', 'pod', 'nope']);
    expect(missing.stderr).toMatch(/NotFound|not found/);
    const rawPath = await shell('k8s', ['get', '--raw', '/no/such/path']);
    expect(rawPath.code).not.toBe(0);
    expectNoCredential(view.stdout + view.stderr + raw.stderr + missing.stderr + rawPath.stderr);
  });

  it('is not in the gateway process environ or cmdline', () => {
    const environ = readFileSync(`/proc/${gatewayProcess.pid}/environ`).toString();
    const cmdline = readFileSync(`/proc/${gatewayProcess.pid}/cmdline`).toString();
    expectNoCredential(environ);
    expectNoCredential(cmdline);
  });

  it('reached the cluster only as the gateway (every request the double saw carried the real token)', () => {
    expect(double.requests.length).toBeGreaterThan(0);
    expect(double.requests.every((r) => r.authorized && r.authenticatedBy === 'token')).toBe(true);
  });
});

describe('broker refusals', () => {
  it('refuses every identity and credential flag, in every form, before anything reaches the cluster', async () => {
    const session = await (await client()).openSession({ connection: 'k8s' });
    const before = double.requests.length;
    const refusals: string[] = [];
    for (const argv of [...REFUSED_FLAG_FORMS, ['config', 'view', '--raw'], ['config', 'set-credentials', 'x'], ['edit', 'deploy/web'], ['plugin', 'list'], ['krew', 'install', 'x'], ['proxy'], ['cp', 'web-1:/etc/passwd', 'p'], ['apply', '-f', double.kubeconfigPath]]) {
      const result = await session.run(argv).result;
      expect(result, argv.join(' ')).toMatchObject({ decision: 'deny', exitCode: 77 });
      expect(result.reason).toMatch(/^[^\n]+$/);
      refusals.push(result.reason!);
    }
    await session.close();
    expect(double.requests.length).toBe(before);
    expectNoCredential(refusals.join('\n'));
  });

  it('hoop-shell exec prints one line and exits 77', async () => {
    const result = await shell('k8s', ['get', 'pods', '--token', 'stolen']);
    expect(result.code).toBe(77);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--token is refused/);
  });
});

describe('session tokens', () => {
  it('work only while their session lives, only for it, and never when altered', async () => {
    const gateway = await client();
    const a = await gateway.openSession({ connection: 'ops' });
    const b = await gateway.openSession({ connection: 'ops' });
    const kubeA = await sessionKubeconfig(a);
    const kubeB = await sessionKubeconfig(b);
    expect(kubeA.token).not.toBe(kubeB.token);
    expect(kubeA.server).toBe(kubeB.server);

    expect((await proxyGet(kubeA, kubeA.token, '/api/v1/namespaces/default/pods')).status).toBe(200);
    const before = double.requests.length;
    for (const forged of [`${kubeA.token}x`, kubeA.token.slice(0, -1), kubeA.token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), double.token, '']) {
      const answer = await proxyGet(kubeA, forged, '/api/v1/namespaces/default/pods');
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toMatchObject({ kind: 'Status', code: 401 });
    }
    expect(double.requests.length).toBe(before);

    // A watch opened with A's token is cut when A ends.
    const watchEnded = new Promise<number>((resolve, reject) => {
      const req = request(`${kubeA.server}/api/v1/namespaces/default/pods?watch=true`, { ca: kubeA.ca, headers: { authorization: `Bearer ${kubeA.token}` } }, (res) => {
        res.resume();
        res.on('close', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(-1));
      req.end();
      setTimeout(() => reject(new Error('watch was not cut')), 15_000).unref();
    });
    for (let i = 0; i < 200 && !double.requests.some((r, index) => index >= before && r.verb === 'watch'); i++) await new Promise((r) => setTimeout(r, 25));
    await a.close();
    await watchEnded;

    expect((await proxyGet(kubeA, kubeA.token, '/api/v1/namespaces/default/pods')).status).toBe(401);
    expect((await proxyGet(kubeB, kubeB.token, '/api/v1/namespaces/default/pods')).status).toBe(200);
    // Impersonation headers never reach the cluster as such: the request is the gateway's own.
    expect((await proxyGet(kubeB, kubeB.token, '/api/v1/namespaces/default/pods/web-1', { 'Impersonate-User': 'system:admin' })).status).toBe(200);
    await b.close();
    expect((await proxyGet(kubeB, kubeB.token, '/api/v1/namespaces/default/pods')).status).toBe(401);

    // Each request is recorded under the session whose token it carried, with the user's name.
    const db = new Database(path.join(dataDir, 'hoop.db'), { readonly: true });
    try {
      const rows = db.prepare(`SELECT session_id, user, verb, resource, status FROM api_requests WHERE session_id IN (?, ?) ORDER BY id`).all(a.id, b.id) as { session_id: string; user: string; verb: string; status: number }[];
      expect(rows.filter((row) => row.session_id === a.id).map((row) => row.verb)).toEqual(expect.arrayContaining(['list', 'watch']));
      expect(rows.filter((row) => row.session_id === b.id).map((row) => row.verb)).toEqual(['list', 'get']);
      expect(new Set(rows.map((row) => row.user))).toEqual(new Set(['mallory']));
    } finally {
      db.close();
    }
  });

  it('nothing any session saw carried the real credential', () => {
    expectNoCredential(seen.join('\n'));
  });
});
