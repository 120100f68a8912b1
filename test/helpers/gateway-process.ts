/** A gateway as its own process (`hoop-gateway serve`), for signals, crashes and /proc checks. */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './gateway.js';

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  exited: Promise<number | null>;
}

export async function spawnGateway(args: string[], env: Record<string, string | undefined> = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [BIN.gateway, 'serve', '--listen', '127.0.0.1:0', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${stderr}`)), 15_000);
    const check = (): void => {
      const match = /hoop-gateway listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited ${code}: ${stderr}`));
    });
  });
  return { child, url, stderr: () => stderr, exited };
}
