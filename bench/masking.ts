/**
 * Masker throughput on realistic mixed terminal output: kubectl YAML (pods, ConfigMaps, the odd
 * Secret), application logs (text and JSON, some with tokens), and env dumps. Prints MB/s per core
 * (CPU time, so a busy machine does not skew it). Runnable alone (`node dist/bench/masking.js`) or through the bench runner
 * (`benchMasker()`). It never writes the sample secrets anywhere.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Gateway as GatewayClient } from '../src/client/gateway.js';
import { parseConfig } from '../src/config/load.js';
import { mintToken } from '../src/server/auth/mint.js';
import { Gateway } from '../src/server/gateway.js';
import { silentLogger } from '../src/server/log.js';
import { buildRules } from '../src/server/masking/rules.js';
import { SecretValueRegistry } from '../src/server/masking/secret-values.js';
import { MaskingCatalog, MaskingStream } from '../src/server/masking/stream-masker.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

let seed = 7;
const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
const pick = (chars: string, n: number): string => Array.from({ length: n }, () => chars[Math.floor(random() * chars.length)]).join('');
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

function podYaml(i: number): string {
  return `- apiVersion: v1
  kind: Pod
  metadata:
    annotations:
      kubectl.kubernetes.io/restartedAt: "2024-05-01T10:00:00Z"
    creationTimestamp: "2024-05-01T10:00:${String(i % 60).padStart(2, '0')}Z"
    generateName: api-7d9f8b6c5d-
    labels:
      app: api
      pod-template-hash: 7d9f8b6c5d
    name: api-7d9f8b6c5d-${pick('abcdefghijklmnopqrstuvwxyz0123456789', 5)}
    namespace: production
    resourceVersion: "${Math.floor(random() * 1e8)}"
    uid: ${pick(HEX, 8)}-${pick(HEX, 4)}-${pick(HEX, 4)}-${pick(HEX, 4)}-${pick(HEX, 12)}
  spec:
    containers:
    - env:
      - name: DB_HOST
        value: postgres.production.svc.cluster.local
      - name: DB_PASSWORD
        valueFrom:
          secretKeyRef:
            key: password
            name: db-credentials
      image: registry.example.com/team/api@sha256:${pick(HEX, 64)}
      imagePullPolicy: IfNotPresent
      name: api
      ports:
      - containerPort: 8080
        protocol: TCP
      resources:
        limits:
          cpu: 500m
          memory: 512Mi
      volumeMounts:
      - mountPath: /var/run/secrets/kubernetes.io/serviceaccount
        name: kube-api-access-${pick('abcdefghijklmnopqrstuvwxyz0123456789', 5)}
        readOnly: true
    serviceAccountName: api
  status:
    phase: Running
    podIP: 10.0.${i % 255}.${(i * 7) % 255}
`;
}

function configMapYaml(i: number): string {
  return `- apiVersion: v1
  data:
    app.properties: |
      server.port=8080
      feature.flags=a,b,c
    greeting: ${Buffer.from(`hello from config ${i}`).toString('base64')}
  kind: ConfigMap
  metadata:
    name: app-config-${i}
    namespace: production
    resourceVersion: "${Math.floor(random() * 1e8)}"
`;
}

function secretYaml(): string {
  return `- apiVersion: v1
  data:
    password: ${Buffer.from(pick(ALNUM, 16)).toString('base64')}
    username: ${Buffer.from('admin').toString('base64')}
  kind: Secret
  metadata:
    name: db-credentials
  type: Opaque
`;
}

function logLines(i: number): string {
  const lines = [
    `2024-05-01T10:00:${String(i % 60).padStart(2, '0')}.${pick('0123456789', 3)}Z INFO  http request method=GET path=/api/v1/orders/${i} status=200 duration=${i % 97}ms trace=${pick(HEX, 32)}`,
    `{"level":"info","ts":"2024-05-01T10:00:00Z","logger":"worker","msg":"processed batch","batch":${i},"items":${i % 50},"host":"ip-10-0-${i % 255}-17.eu-west-1.compute.internal"}`,
    `2024-05-01T10:00:01Z WARN  retrying connection to cache-${i % 3}.production.svc.cluster.local:6379 attempt=${i % 5}`,
    `2024-05-01T10:00:02Z DEBUG cache hit key=user:${i} ttl=300`,
  ];
  if (i % 40 === 0) lines.push(`2024-05-01T10:00:03Z INFO  login ok user=alice token=${pick(ALNUM, 32)}`);
  if (i % 97 === 0) lines.push(`2024-05-01T10:00:04Z DEBUG calling upstream with Authorization: Bearer ${pick(ALNUM, 40)}`);
  return lines.join('\n') + '\n';
}

function envDump(i: number): string {
  return `HOSTNAME=api-7d9f8b6c5d-${i}
KUBERNETES_SERVICE_HOST=10.96.0.1
KUBERNETES_SERVICE_PORT=443
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOME=/root
LANG=C.UTF-8
API_PORT_8080_TCP_ADDR=10.96.${i % 255}.12
DB_HOST=postgres.production.svc.cluster.local
DB_USER=app
DB_PASSWORD=${pick(ALNUM, 20)}
AWS_REGION=eu-west-1
AWS_ACCESS_KEY_ID=AKIA${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}
AWS_SECRET_ACCESS_KEY=${pick(ALNUM + '+/', 40)}
`;
}

/** About `megabytes` of mixed output: 45% kubectl YAML, 40% logs, 15% env dumps. */
export function mixedOutput(megabytes = 8): Buffer {
  const parts: string[] = [];
  let size = 0;
  let i = 0;
  while (size < megabytes * 1024 * 1024) {
    const yaml = `apiVersion: v1\nitems:\n${podYaml(i)}${podYaml(i + 1)}${configMapYaml(i)}${i % 10 === 0 ? secretYaml() : ''}kind: List\nmetadata:\n  resourceVersion: ""\n`;
    let logs = '';
    for (let k = 0; k < 12; k++) logs += logLines(i * 12 + k);
    const env = i % 2 === 0 ? envDump(i) : '';
    for (const part of [yaml, logs, env]) {
      parts.push(part);
      size += part.length;
    }
    i++;
  }
  return Buffer.from(parts.join(''));
}

/** About `megabytes` of application logs (text and JSON lines; a token every 160 lines, as in mixedOutput). */
export function logOutput(megabytes = 8): Buffer {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < megabytes * 1024 * 1024; i++) {
    const part = logLines(i);
    parts.push(part);
    size += part.length;
  }
  return Buffer.from(parts.join(''));
}

function measure(catalog: MaskingCatalog, data: Buffer, chunkBytes: number, rounds: number): { mbPerSecond: number; masked: number } {
  let best = 0;
  let masked = 0;
  for (let round = 0; round < rounds; round++) {
    const stream = new MaskingStream(catalog);
    let outBytes = 0;
    // CPU time, not wall time: the bench machine is shared, and the goal is per core.
    const started = process.cpuUsage();
    for (let at = 0; at < data.length; at += chunkBytes) outBytes += stream.push(data.subarray(at, at + chunkBytes)).length;
    outBytes += stream.flush().length;
    const used = process.cpuUsage(started);
    const seconds = (used.user + used.system) / 1e6;
    best = Math.max(best, data.length / 1e6 / seconds);
    masked = outBytes;
  }
  return { mbPerSecond: best, masked };
}

export async function benchMasker(): Promise<BenchResult[]> {
  const values = new SecretValueRegistry();
  values.add('kube-admin-token-0123456789abcdef', 'kube-credential');
  const catalog = new MaskingCatalog(buildRules(), values);
  const data = mixedOutput(8);
  const results: BenchResult[] = [];
  // 4 KiB is what a pty read usually returns; 64 KiB what a pipe can.
  for (const chunk of [4 * 1024, 64 * 1024]) {
    measure(catalog, data, chunk, 1); // warm up: let the JIT settle before timing
    const { mbPerSecond } = measure(catalog, data, chunk, 4);
    results.push({ name: `masker throughput, mixed kubectl/log/env output, ${chunk / 1024} KiB chunks`, value: Math.round(mbPerSecond), unit: 'MB/s' });
  }
  // An interactive `cat` of a log: most pty chunks hold no keyword and pass without a copy.
  const logs = logOutput(8);
  measure(catalog, logs, 4 * 1024, 1);
  const { mbPerSecond } = measure(catalog, logs, 4 * 1024, 4);
  results.push({ name: 'masker throughput, application logs, 4 KiB chunks', value: Math.round(mbPerSecond), unit: 'MB/s' });
  return results;
}

/**
 * Session throughput with masking on and off in the same run: a real gateway, `cat` of 16 MB of
 * mixed output through a run, received by the client library. Wall time, best of 3 each.
 */
export async function benchSessionMasking(options: number | { quick?: boolean } = 16): Promise<BenchResult[]> {
  // The bench runner passes its context object ({quick, …}), a direct call a size in MB.
  const megabytes = typeof options === 'number' ? options : options.quick ? 2 : 16;
  const dir = mkdtempSync(path.join(tmpdir(), 'hoop-bench-mask-'));
  const file = path.join(dir, 'mixed.txt');
  writeFileSync(file, mixedOutput(megabytes));
  const shell = { type: 'command', command: ['/bin/bash', '--noprofile', '--norc'] };
  const config = parseConfig(
    { listen: '127.0.0.1:0', dataDir: path.join(dir, 'data'), connections: [{ ...shell, name: 'masked' }, { ...shell, name: 'plain', masking: false }] },
    'bench',
  );
  const gateway = new Gateway(config, { logger: silentLogger });
  await gateway.start();
  try {
    const token = await mintToken(gateway.signingKey, { user: 'bench', groups: [], ttlSeconds: 600 });
    const client = new GatewayClient({ url: gateway.url, token });
    const once = async (connection: string): Promise<number> => {
      const session = await client.openSession({ connection, interactive: false });
      let bytes = 0;
      session.on('data', (_stream: number, chunk: Buffer) => (bytes += chunk.length));
      const started = process.hrtime.bigint();
      await session.run(['cat', file]).result;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      await session.close();
      return bytes / 1e6 / seconds;
    };
    const best = { masked: 0, plain: 0 };
    // warm up both paths (the JIT needs a few MB before the masker runs at full speed)
    await once('plain');
    await once('masked');
    await once('masked');
    for (let round = 0; round < 3; round++) {
      best.plain = Math.max(best.plain, await once('plain'));
      best.masked = Math.max(best.masked, await once('masked'));
    }
    return [
      { name: 'session throughput, masking off (cat of mixed output)', value: Math.round(best.plain), unit: 'MB/s' },
      { name: 'session throughput, masking on (cat of mixed output)', value: Math.round(best.masked), unit: 'MB/s' },
      { name: 'session throughput, masking on vs off', value: Math.round((best.masked / best.plain) * 100) / 100, unit: 'x' },
    ];
  } finally {
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const result of [...(await benchMasker()), ...(await benchSessionMasking())]) console.log(`${result.name}: ${result.value} ${result.unit}`);
}
