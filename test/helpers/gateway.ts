/**
 * Test harness: a real gateway on an ephemeral port with a temp data dir, tokens from its own key,
 * and the built CLIs run as child processes against it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.js';
import { mintToken } from '../../src/server/auth/mint.js';
import { Gateway } from '../../src/server/gateway.js';
import { silentLogger } from '../../src/server/log.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = {
  gateway: path.join(ROOT, 'bin/hoop-gateway.js'),
  shell: path.join(ROOT, 'bin/hoop-shell.js'),
  tui: path.join(ROOT, 'bin/hoop-tui.js'),
};

export const SHELL_CONNECTION = { name: 'shell', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'] };

export interface TestGateway {
  gateway: Gateway;
  url: string;
  dataDir: string;
  token(user?: string, groups?: string[], options?: { ttlSeconds?: number; actor?: string; connections?: string[] }): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a gateway in this process. `config` is the raw config (as if read from YAML). */
export async function startGateway(config: Record<string, unknown> = {}, setup?: (gateway: Gateway) => void | Promise<void>): Promise<TestGateway> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hoop-test-'));
  const loaded = parseConfig({ connections: [SHELL_CONNECTION], ...config, listen: '127.0.0.1:0', dataDir }, 'test');
  const gateway = new Gateway(loaded, { logger: silentLogger });
  await setup?.(gateway);
  await gateway.start();
  return {
    gateway,
    url: gateway.url,
    dataDir,
    token: (user = 'alice', groups = ['dev'], options = {}) =>
      mintToken(gateway.signingKey, { user, groups, ttlSeconds: options.ttlSeconds ?? 600, actor: options.actor, connections: options.connections }),
    stop: async () => {
      await gateway.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built CLI (`BIN.shell`, …) to completion. */
export function runCli(
  bin: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string | Buffer; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path.basename(bin)} ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** hoop-shell against a test gateway with a token. */
export async function hoopShell(test: TestGateway, args: string[], options: { token?: string; input?: string | Buffer; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const token = options.token ?? (await test.token());
  return runCli(BIN.shell, args, { env: { HOOP_GATEWAY: test.url, HOOP_TOKEN: token, ...options.env }, input: options.input, timeoutMs: options.timeoutMs });
}
