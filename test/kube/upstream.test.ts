/**
 * The proxy's upstream side beyond the double: SPDY upgrades relayed as raw sockets (kubectl's
 * fallback), client-certificate credentials, and kubeconfigs the gateway refuses.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { Gateway as GatewayClient } from '../../src/client/gateway.js';
import { createCertificateAuthority, issueServerCertificate } from '../../src/util/x509.js';
import { startKubeApiDouble, type KubeApiDouble } from '../fixtures/kube-api-double/index.js';
import { hoopShell, startGateway, type TestGateway } from '../helpers/gateway.js';

const REAL_TOKEN = 'spdy-upstream-real-token-4f1c';
let dir: string;
let spdyServer: Server;
let double: KubeApiDouble;
let test: TestGateway;
const upgradeAuthorizations: (string | undefined)[] = [];

function kubeconfig(server: string, caPem: string, user: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'default' } }],
    'current-context': 'c',
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'hoop-upstream-'));
  const ca = await createCertificateAuthority('spdy test CA');
  const cert = await issueServerCertificate(ca, { hosts: ['127.0.0.1'] });
  // A minimal API server that speaks only the SPDY upgrade: 101, then echoes upper-cased bytes.
  spdyServer = createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => res.writeHead(404).end());
  spdyServer.on('upgrade', (req, socket) => {
    upgradeAuthorizations.push(req.headers.authorization);
    if (req.headers.upgrade !== 'SPDY/3.1' || req.headers.authorization !== `Bearer ${REAL_TOKEN}`) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    socket.on('data', (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => spdyServer.listen(0, '127.0.0.1', resolve));
  const spdyUrl = `https://127.0.0.1:${(spdyServer.address() as AddressInfo).port}`;
  writeFileSync(path.join(dir, 'spdy.kubeconfig'), kubeconfig(spdyUrl, ca.certPem, { token: REAL_TOKEN }));
  writeFileSync(path.join(dir, 'plugin.kubeconfig'), kubeconfig(spdyUrl, ca.certPem, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws-iam-authenticator' } }));

  double = await startKubeApiDouble({ clientCertAuth: true, spdy: true });
  test = await startGateway({
    connections: [
      { name: 'spdy', type: 'kubernetes', kubeconfig: path.join(dir, 'spdy.kubeconfig') },
      { name: 'cert', type: 'kubernetes', kubeconfig: double.clientCertKubeconfigPath },
      { name: 'plugin', type: 'kubernetes', kubeconfig: path.join(dir, 'plugin.kubeconfig') },
      // kubectl's SPDY fallback, forced: the double then speaks plain SPDY/3.1 for exec.
      { name: 'cert-spdy', type: 'kubernetes', kubeconfig: double.clientCertKubeconfigPath, env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } },
    ],
  });
});

afterAll(async () => {
  await test?.stop();
  await double?.stop();
  await new Promise((resolve) => spdyServer?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('kube proxy upstream', () => {
  it('relays a SPDY upgrade as raw bytes, with the real credential, and cuts it when the session ends', async () => {
    const client = new GatewayClient({ url: test.url, token: await test.token() });
    const session = await client.openSession({ connection: 'spdy' });
    const home = test.gateway.sessions.get(session.id)!.context!.home;
    const config = parseYaml(readFileSync(path.join(home, '.kube', 'config'), 'utf8')) as { clusters: { cluster: Record<string, string> }[]; users: { user: { token: string } }[] };
    const server = new URL(config.clusters[0]!.cluster.server!);
    const ca = Buffer.from(config.clusters[0]!.cluster['certificate-authority-data']!, 'base64').toString();

    const socket = tlsConnect({ host: server.hostname, port: Number(server.port), ca, servername: server.hostname });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    socket.write(
      `POST /api/v1/namespaces/default/pods/web-1/exec?command=sh&stdin=true HTTP/1.1\r\nHost: ${server.host}\r\nAuthorization: Bearer ${config.users[0]!.user.token}\r\n` +
        'Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\nContent-Length: 0\r\n\r\n',
    );
    const until = async (pattern: RegExp): Promise<void> => {
      for (let i = 0; i < 400 && !pattern.test(received); i++) await new Promise((r) => setTimeout(r, 10));
      expect(received).toMatch(pattern);
    };
    await until(/\r\n\r\n/);
    expect(received).toMatch(/^HTTP\/1\.1 101 /);
    expect(received).toMatch(/X-Stream-Protocol-Version: v4\.channel\.k8s\.io/i);
    socket.write('frames pass untouched');
    await until(/FRAMES PASS UNTOUCHED/);
    expect(upgradeAuthorizations).toEqual([`Bearer ${REAL_TOKEN}`]);

    await session.close();
    await closed;
  });

  it('uses a client certificate credential', async () => {
    const client = new GatewayClient({ url: test.url, token: await test.token() });
    const session = await client.openSession({ connection: 'cert' });
    const result = await session.run(['get', 'pods'], { collect: true }).result;
    await session.close();
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(/^web-1\s+1\/1\s+Running/m);
    expect(double.requests.length).toBeGreaterThan(0);
    expect(double.requests.every((r) => r.authenticatedBy === 'client-certificate')).toBe(true);
  });

  it('carries kubectl exec over SPDY (the fallback) with stdout and the exit status', async () => {
    const client = new GatewayClient({ url: test.url, token: await test.token() });
    const session = await client.openSession({ connection: 'cert-spdy' });
    const result = await session.run(['exec', 'web-1', '--', 'sh', '-c', 'echo over-spdy; exit 4'], { collect: true }).result;
    await session.close();
    expect(result.output).toMatch(/^over-spdy\n/);
    expect(result.exitCode).toBe(4);
  });

  it('refuses an exec-plugin kubeconfig with one line naming the connection, not the file', async () => {
    const result = await hoopShell(test, ['exec', 'plugin', '--', 'get', 'pods']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^hoop-shell: connection "plugin": user "u" uses an exec credential plugin, which the gateway refuses.*\n$/);
    expect(result.stderr).not.toContain(dir);
  });
});
