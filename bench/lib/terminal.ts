/**
 * An interactive terminal on any path (gateway WebSocket, hoop-shell process, direct pty, ssh),
 * reduced to write / data / close so latency and open-time are measured identically on each.
 */
import { spawn } from 'node:child_process';
import * as pty from 'node-pty';
import { cliEnv, openGatewaySession, SHELL_BIN, BASH, type GatewayTarget } from './paths.js';

export interface Terminal {
  write(data: string): void;
  onData(listener: (chunk: Buffer) => void): void;
  close(): Promise<void>;
}

export async function gatewayTerminal(target: GatewayTarget, connection: string): Promise<Terminal> {
  const session = await openGatewaySession(target, connection, true);
  return {
    write: (data) => session.write(data),
    onData: (listener) => session.on('data', (_stream, chunk) => listener(chunk)),
    close: () => session.close(),
  };
}

function processTerminal(file: string, args: string[], env?: NodeJS.ProcessEnv): Terminal {
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.stdin.on('error', () => {});
  return {
    write: (data) => child.stdin.write(data),
    onData: (listener) => child.stdout.on('data', listener),
    close: async () => {
      child.stdin.end('exit\r');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await closed;
      clearTimeout(timer);
    },
  };
}

export function cliTerminal(target: GatewayTarget, connection: string): Terminal {
  return processTerminal(process.execPath, [SHELL_BIN, 'connect', connection], cliEnv(target));
}

export function sshTerminal(sshArgs: string[]): Terminal {
  return processTerminal('ssh', [...sshArgs, ...BASH]);
}

export function directTerminal(): Terminal {
  const term = pty.spawn(BASH[0]!, BASH.slice(1), { name: 'xterm-256color', cols: 120, rows: 40, cwd: '/tmp', env: { PATH: process.env.PATH ?? '', TERM: 'xterm-256color', LANG: 'C.UTF-8', HOME: '/tmp' }, encoding: null } as pty.IPtyForkOptions);
  const exited = new Promise<void>((resolve) => term.onExit(() => resolve()));
  return {
    write: (data) => term.write(data),
    onData: (listener) => term.onData((data) => listener(data as unknown as Buffer)),
    close: async () => {
      term.write('exit\r');
      const timer = setTimeout(() => term.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves once output has arrived and then been quiet for `quietMs` (the prompt is up). */
export function waitForQuiet(terminal: Terminal, quietMs = 150, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => reject(new Error(`no prompt within ${timeoutMs} ms (saw ${JSON.stringify(text.slice(-80))})`)), timeoutMs);
    terminal.onData((chunk) => {
      if (timer === undefined && text === '' && chunk.length === 0) return;
      text += chunk.toString('latin1');
      clearTimeout(timer);
      timer = setTimeout(() => {
        clearTimeout(deadline);
        resolve(text);
      }, quietMs);
    });
  });
}
