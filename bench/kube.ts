/**
 * Benchmark (issue 3): `kubectl get pods` (50 pods) through the kube proxy vs directly against the
 * API server double (goal ≤ 1.3×), and exec throughput (`cat` of 50 MB in the "pod") through the
 * gateway vs `kubectl exec` direct (goal ≥ 0.7×), in the same run. "Through the proxy" is kubectl
 * with a session's kubeconfig; "through the gateway" adds the session (run, output pipeline,
 * recording, WebSocket). `benchKube()` returns the numbers; run alone with `node dist/bench/kube.js`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Gateway as GatewayClient } from '../src/client/gateway.js';
import { parseConfig } from '../src/config/load.js';
import { mintToken } from '../src/server/auth/mint.js';
import { Gateway } from '../src/server/gateway.js';
import { silentLogger } from '../src/server/log.js';

const run = promisify(execFile);

export interface KubeBenchResult {
  getPodsDirectMs: number;
  getPodsProxyMs: number;
  /** proxy / direct: goal ≤ 1.3. */
  getPodsRatio: number;
  /** The same command as a run of a gateway session (no CLI start-up, fresh discovery per session excluded). */
  getPodsSessionRunMs: number;
  execBytes: number;
  execDirectMBps: number;
  execProxyMBps: number;
  execGatewayMBps: number;
  /** proxy / direct: the KubeProxy's own share of the cost (no session in the path). */
  execProxyRatio: number;
  /** gateway / direct: goal ≥ 0.7. */
  execRatio: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * The double in its own process, as a real API server would be: otherwise its work (exec shells,
 * WebSocket framing) shares one event loop with the gateway and the numbers mean little.
 */
async function startDoubleProcess(pods: number): Promise<{ kubeconfigPath: string; process: ChildProcess }> {
  const module = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'kube-api-double', 'index.js')).href;
  const code = `const { startKubeApiDouble } = await import(${JSON.stringify(module)});
const double = await startKubeApiDouble({ pods: ${pods} });
process.stdout.write(JSON.stringify({ kubeconfigPath: double.kubeconfigPath }) + '\\n');
process.on('SIGTERM', async () => { await double.stop(); process.exit(0); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`the API server double exited (${code})`)));
  });
  return { ...(JSON.parse(line) as { kubeconfigPath: string }), process: child };
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export async function benchKube(options: { rounds?: number; execRounds?: number; execBytes?: number } = {}): Promise<KubeBenchResult> {
  const rounds = options.rounds ?? 7;
  // Five interleaved rounds: on a shared 2-core machine three medians swung the proxy ratio by ±0.15.
  const execRounds = options.execRounds ?? 5;
  const execBytes = options.execBytes ?? 50 * 1024 * 1024;
  const double = await startDoubleProcess(50);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hoop-bench-kube-'));
  const config = parseConfig({ listen: '127.0.0.1:0', dataDir, connections: [{ name: 'k8s', type: 'kubernetes', kubeconfig: double.kubeconfigPath }] }, 'bench');
  const gateway = new Gateway(config, { logger: silentLogger });
  await gateway.start();
  const scratch = mkdtempSync(path.join(tmpdir(), 'hoop-bench-kubectl-'));
  try {
    const token = await mintToken(gateway.signingKey, { user: 'bench', groups: [], ttlSeconds: 3600 });
    const session = await new GatewayClient({ url: gateway.url, token }).openSession({ connection: 'k8s' });
    // kubectl run by the benchmark itself with the session's kubeconfig: the proxy alone.
    const proxied = path.join(scratch, 'proxied.kubeconfig');
    writeFileSync(proxied, readFileSync(path.join(gateway.sessions.get(session.id)!.context!.home, '.kube', 'config')), { mode: 0o600 });
    const homes = { direct: mkdtempSync(path.join(scratch, 'direct-')), proxy: mkdtempSync(path.join(scratch, 'proxy-')) };
    const kubectl = (kubeconfig: string, home: string, args: string[]) =>
      run('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { HOME: home, PATH: '/usr/bin:/bin' }, maxBuffer: 1 << 30, encoding: 'buffer' });

    const getPods = ['get', 'pods'];
    await kubectl(double.kubeconfigPath, homes.direct, getPods); // warm discovery caches
    await kubectl(proxied, homes.proxy, getPods);
    await session.run(getPods, { collect: true }).result;
    const direct: number[] = [];
    const proxy: number[] = [];
    const sessionRun: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      direct.push(await timed(() => kubectl(double.kubeconfigPath, homes.direct, getPods)));
      proxy.push(await timed(() => kubectl(proxied, homes.proxy, getPods)));
      sessionRun.push(await timed(() => session.run(getPods, { collect: true }).result));
    }

    const cat = ['exec', 'web-1', '--', 'sh', '-c', `yes 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ | head -c ${execBytes}`];
    let received = 0;
    session.on('data', (_stream, chunk) => (received += chunk.length));
    // One small untimed round of each first: a gateway runs for days, so its relay and output
    // paths are measured warm (JIT-compiled), as the direct path's kubectl always is.
    const warmUp = cat.map((arg, index) => (index === cat.length - 1 ? arg.replace(/head -c \d+$/, `head -c ${Math.min(execBytes, 4 * 1024 * 1024)}`) : arg));
    await kubectl(double.kubeconfigPath, homes.direct, warmUp);
    await kubectl(proxied, homes.proxy, warmUp);
    await session.run(warmUp).result;
    const execDirect: number[] = [];
    const execProxy: number[] = [];
    const execGateway: number[] = [];
    for (let round = 0; round < execRounds; round += 1) {
      execDirect.push(await timed(() => kubectl(double.kubeconfigPath, homes.direct, cat)));
      execProxy.push(await timed(() => kubectl(proxied, homes.proxy, cat)));
      received = 0;
      execGateway.push(await timed(() => session.run(cat).result));
      if (received !== execBytes) throw new Error(`the gateway run delivered ${received} of ${execBytes} bytes`);
    }
    await session.close();
    const mbps = (ms: number): number => execBytes / 1e6 / (ms / 1000);
    return {
      getPodsDirectMs: median(direct),
      getPodsProxyMs: median(proxy),
      getPodsRatio: median(proxy) / median(direct),
      getPodsSessionRunMs: median(sessionRun),
      execBytes,
      execDirectMBps: mbps(median(execDirect)),
      execProxyMBps: mbps(median(execProxy)),
      execGatewayMBps: mbps(median(execGateway)),
      execProxyRatio: median(execDirect) / median(execProxy),
      execRatio: median(execDirect) / median(execGateway),
    };
  } finally {
    await gateway.stop();
    const exited = new Promise((resolve) => double.process.once('exit', resolve));
    double.process.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchKube();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
