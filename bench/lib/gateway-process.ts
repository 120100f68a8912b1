/**
 * Runs the real `hoop-gateway serve` (the built bin) in a child process on an ephemeral port with
 * a temp data dir, so benchmarks and reliability tests see its own memory, its own crashes and
 * its own stderr. Mints tokens from the key the child created. Never reuses a data dir it did not
 * create unless asked to (restart after a crash).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { mintToken } from '../../src/server/auth/mint.js';
import { loadOrCreateSigningKey } from '../../src/server/auth/signing-key.js';

/** The repository root (works from bench/lib under vitest and from dist/bench/lib). */
export const REPO_ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();

export const GATEWAY_BIN = path.join(REPO_ROOT, 'bin/hoop-gateway.js');

export interface GatewayProcess {
  url: string;
  pid: number;
  dataDir: string;
  child: ChildProcess;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  token(user?: string, groups?: string[]): Promise<string>;
  /** Resident set size of the gateway process, in bytes (from /proc). */
  rss(): number;
  /** Peak RSS (VmHWM) of the gateway process, in bytes. */
  peakRss(): number;
  /** Resolves with the exit code/signal once the child is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, wait; removes the data dir unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  kill9(): Promise<void>;
}

export interface StartOptions {
  /** Raw config (as YAML would give it); listen and dataDir are set here. */
  config: Record<string, unknown>;
  /** Reuse this data dir (restart after a crash). */
  dataDir?: string;
  nodeArgs?: string[];
  timeoutMs?: number;
}

export function readProcStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

export async function startGatewayProcess(options: StartOptions): Promise<GatewayProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'hoop-bench-'));
  const configFile = path.join(dataDir, 'gateway.yaml');
  writeFileSync(configFile, stringify({ ...options.config, listen: '127.0.0.1:0', dataDir }));
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), GATEWAY_BIN, 'serve', '--config', configFile, '--quiet'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' },
  });
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in time; stderr: ${stderr}`)), options.timeoutMs ?? 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /hoop-gateway listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
  });
  const key = await loadOrCreateSigningKey(dataDir);
  const pid = child.pid!;
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    url,
    pid,
    dataDir,
    child,
    exited,
    stderr: () => stderr,
    token: (user = 'bench', groups = ['dev']) => mintToken(key, { user, groups, ttlSeconds: 3600 }),
    rss: () => readProcStatus(pid, 'VmRSS'),
    peakRss: () => readProcStatus(pid, 'VmHWM'),
    async stop(stopOptions = {}) {
      if (!gone) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (!stopOptions.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
