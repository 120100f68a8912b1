/**
 * Benchmark: session throughput with recording on vs off (goal ≥ 0.9×), and the time until the
 * browser replay page of a ~50 MB recording can play. `benchRecording()` returns the numbers;
 * run alone with `node dist/bench/recording.js`. "Off" replaces the recorder's output() with a
 * no-op for the measured run only: the gateway has no switch to stop recording, on purpose.
 * On a shared machine throughput swings with the load, so it also reports CPU time per run (run
 * and close, which seals the recording): of the event-loop thread (gateway and bench client, Linux
 * only) and of the whole process (with the recording thread).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Gateway as GatewayClient } from '../src/client/gateway.js';
import { parseConfig } from '../src/config/load.js';
import { AsciicastWriter } from '../src/recorder/asciicast-writer.js';
import { mintToken } from '../src/server/auth/mint.js';
import { Gateway } from '../src/server/gateway.js';
import { silentLogger } from '../src/server/log.js';

export interface RecordingBenchResult {
  bytesPerRun: number;
  onMBps: number;
  offMBps: number;
  /** on / off: 1.0 means recording costs nothing. */
  ratio: number;
  /** Median CPU ms per run of the event-loop thread (Linux /proc; undefined elsewhere). */
  onLoopCpuMs?: number;
  offLoopCpuMs?: number;
  /** onLoopCpuMs / offLoopCpuMs: what recording costs the event loop (1.0: nothing). */
  loopCpuRatio?: number;
  /** Median CPU ms per run of the whole process, the recording thread included. */
  onProcessCpuMs: number;
  offProcessCpuMs: number;
  replayRecordingMB?: number;
  /** From navigation to the player knowing its duration (able to play); undefined without chromium. */
  replayOpenMs?: number;
}

const LINE = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789';

/** CPU ms of this process's main (event-loop) thread so far, or undefined off Linux. */
function loopCpuMs(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ
  } catch {
    return undefined;
  }
}

function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

interface Run {
  seconds: number;
  sessionId: string;
  loopCpuMs?: number;
  processCpuMs: number;
}

async function throughput(client: GatewayClient, bytes: number): Promise<Run> {
  const session = await client.openSession({ connection: 'shell' });
  let received = 0;
  session.on('data', (_stream, chunk) => (received += chunk.length));
  const loopBefore = loopCpuMs();
  const processBefore = processCpuMs();
  const started = process.hrtime.bigint();
  await session.run(`yes ${LINE} | head -c ${bytes}`).result;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await session.close();
  const loopAfter = loopCpuMs();
  if (received !== bytes) throw new Error(`received ${received} of ${bytes} bytes`);
  return { seconds, sessionId: session.id, processCpuMs: processCpuMs() - processBefore, ...(loopBefore !== undefined && loopAfter !== undefined ? { loopCpuMs: loopAfter - loopBefore } : {}) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function benchRecording(options: { bytes?: number; rounds?: number; replayBytes?: number } = {}): Promise<RecordingBenchResult> {
  const bytes = options.bytes ?? 32_000_000;
  const rounds = options.rounds ?? 3;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hoop-bench-rec-'));
  const config = parseConfig({ listen: '127.0.0.1:0', dataDir, connections: [{ name: 'shell', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'] }], roles: { auditor: ['audit'] } }, 'bench');
  const gateway = new Gateway(config, { logger: silentLogger });
  await gateway.start();
  try {
    const token = await mintToken(gateway.signingKey, { user: 'bench', groups: ['audit'], ttlSeconds: 3600 });
    const client = new GatewayClient({ url: gateway.url, token });
    const on: Run[] = [];
    const off: Run[] = [];
    const realOutput = AsciicastWriter.prototype.output;
    await throughput(client, 1_000_000); // warm-up
    for (let round = 0; round < rounds; round += 1) {
      on.push(await throughput(client, bytes));
      AsciicastWriter.prototype.output = function noRecording() {};
      try {
        off.push(await throughput(client, bytes));
      } finally {
        AsciicastWriter.prototype.output = realOutput;
      }
    }
    const mbps = (runs: Run[]): number => median(runs.map((run) => bytes / 1e6 / run.seconds));
    const loop = (runs: Run[]): number | undefined => (runs.every((run) => run.loopCpuMs !== undefined) ? median(runs.map((run) => run.loopCpuMs!)) : undefined);
    const result: RecordingBenchResult = {
      bytesPerRun: bytes,
      onMBps: mbps(on),
      offMBps: mbps(off),
      ratio: mbps(on) / mbps(off),
      onLoopCpuMs: loop(on),
      offLoopCpuMs: loop(off),
      loopCpuRatio: loop(on) && loop(off) ? loop(on)! / loop(off)! : undefined,
      onProcessCpuMs: Math.round(median(on.map((run) => run.processCpuMs))),
      offProcessCpuMs: Math.round(median(off.map((run) => run.processCpuMs))),
    };

    const big = await throughput(client, options.replayBytes ?? 48_000_000);
    const cast = path.join(gateway.recordingsDir, `${big.sessionId}.cast`);
    result.replayRecordingMB = statSync(cast).size / 1e6;
    result.replayOpenMs = await replayOpenMs(gateway.url, big.sessionId, token);
    return result;
  } finally {
    await gateway.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function replayOpenMs(url: string, sessionId: string, token: string): Promise<number | undefined> {
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return undefined;
  }
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'hoop-bench-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(`${url}/replay/${sessionId}?token=${token}`);
    await page.waitForFunction(() => (window as unknown as { hoopReplay?: { player: { getDuration(): number | undefined } } }).hoopReplay?.player.getDuration() !== undefined, undefined, { timeout: 120_000, polling: 50 });
    return Date.now() - started;
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchRecording();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
