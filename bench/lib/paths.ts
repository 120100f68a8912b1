/**
 * The ways a program's output can reach a reader, each measured the same way: the gateway over
 * WebSocket (the typed client, in this process), the hoop-shell CLI (a client process), a direct
 * node-pty or pipe in this process, and OpenSSH. Each returns bytes seen and the times of the
 * first and last byte, so session setup is left out of throughput on every path alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import * as pty from 'node-pty';
import { Gateway } from '../../src/client/gateway.js';
import type { ClientSession } from '../../src/client/session.js';
import { REPO_ROOT } from './gateway-process.js';
import { nowMs } from './report.js';

export const SHELL_BIN = path.join(REPO_ROOT, 'bin/hoop-shell.js');
export const BASH = ['/bin/bash', '--noprofile', '--norc'];

export interface Transfer {
  bytes: number;
  firstMs: number;
  lastMs: number;
}

export interface GatewayTarget {
  url: string;
  token: string;
}

class ByteCounter {
  bytes = 0;
  firstMs = 0;
  lastMs = 0;
  add(length: number): void {
    const now = nowMs();
    if (this.bytes === 0) this.firstMs = now;
    this.bytes += length;
    this.lastMs = now;
  }
  result(): Transfer {
    return { bytes: this.bytes, firstMs: this.firstMs, lastMs: this.lastMs };
  }
}

export function openGatewaySession(target: GatewayTarget, connection: string, interactive: boolean): Promise<ClientSession> {
  return new Gateway({ url: target.url, token: target.token }).openSession({ connection, interactive, cols: 120, rows: 40 });
}

/** Interactive shape: a session whose program (in a pty) is the workload; ends with the session. */
export async function gatewayInteractive(target: GatewayTarget, connection: string): Promise<Transfer> {
  const counter = new ByteCounter();
  const session = await openGatewaySession(target, connection, true);
  session.on('data', (_stream, chunk) => counter.add(chunk.length));
  await session.closed();
  if (session.exitMessage?.exitCode !== 0) throw new Error(`gateway session ended with ${JSON.stringify(session.exitMessage)}`);
  return counter.result();
}

/** One-shot shape: a runs session, one run on pipes. */
export async function gatewayExec(target: GatewayTarget, connection: string, command: string): Promise<Transfer> {
  const counter = new ByteCounter();
  const session = await openGatewaySession(target, connection, false);
  session.on('data', (_stream, chunk) => counter.add(chunk.length));
  const result = await session.run(command).result;
  await session.close();
  if (result.exitCode !== 0) throw new Error(`gateway run exited ${result.exitCode}`);
  return counter.result();
}

function countChild(child: ChildProcess, what: string): Promise<Transfer> {
  const counter = new ByteCounter();
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => counter.add(chunk.length));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(counter.result()) : reject(new Error(`${what} exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`))));
  });
}

export function cliEnv(target: GatewayTarget): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, HOOP_GATEWAY: target.url, HOOP_TOKEN: target.token };
}

/** `hoop-shell connect CONNECTION` as a process on pipes (as `ssh -tt` is measured). */
export function cliConnect(target: GatewayTarget, connection: string): Promise<Transfer> {
  const child = spawn(process.execPath, [SHELL_BIN, 'connect', connection], { env: cliEnv(target), stdio: ['pipe', 'pipe', 'pipe'] });
  return countChild(child, 'hoop-shell connect');
}

export function cliExec(target: GatewayTarget, connection: string, command: string): Promise<Transfer> {
  const child = spawn(process.execPath, [SHELL_BIN, 'exec', connection, '--', command], { env: cliEnv(target), stdio: ['ignore', 'pipe', 'pipe'] });
  return countChild(child, 'hoop-shell exec');
}

export function directPty(file: string, args: string[]): Promise<Transfer> {
  const counter = new ByteCounter();
  const term = pty.spawn(file, args, { name: 'xterm-256color', cols: 120, rows: 40, cwd: '/tmp', env: { PATH: process.env.PATH ?? '', TERM: 'xterm-256color', LANG: 'C.UTF-8' }, encoding: null } as pty.IPtyForkOptions);
  term.onData((data) => counter.add((data as unknown as Buffer).length));
  return new Promise((resolve, reject) => term.onExit(({ exitCode }) => (exitCode === 0 ? resolve(counter.result()) : reject(new Error(`direct pty exited ${exitCode}`)))));
}

export function directPipe(file: string, args: string[]): Promise<Transfer> {
  return countChild(spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] }), 'direct pipe');
}

export function sshTty(sshArgs: string[], command: string[]): Promise<Transfer> {
  return countChild(spawn('ssh', [...sshArgs, ...command], { stdio: ['pipe', 'pipe', 'pipe'] }), 'ssh -tt');
}

export function sshExec(sshArgs: string[], command: string): Promise<Transfer> {
  return countChild(spawn('ssh', [...sshArgs, command], { stdio: ['ignore', 'pipe', 'pipe'] }), 'ssh');
}
