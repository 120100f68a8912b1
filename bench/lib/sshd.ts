/**
 * A throwaway OpenSSH server on loopback for side-by-side numbers: temp host key, temp user key,
 * a high port, stopped after. Never touches the system's sshd config, keys or ~/.ssh.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export interface LoopbackSshd {
  port: number;
  user: string;
  /** ssh client arguments up to (not including) the remote command. */
  args(extra?: string[]): string[];
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Starts sshd; throws an Error whose message is the reason when it cannot. */
export async function startLoopbackSshd(): Promise<LoopbackSshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is not installed`);
  if (!existsSync('/usr/bin/ssh')) throw new Error('the ssh client is not installed');
  const dir = mkdtempSync(path.join(tmpdir(), 'hoop-sshd-'));
  const keygen = (file: string): void => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { stdio: 'ignore' });
  };
  keygen(path.join(dir, 'host_key'));
  keygen(path.join(dir, 'user_key'));
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'user_key.pub')), { mode: 0o600 });
  // Debian's sshd refuses to start without its privilege-separation directory.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const port = await freePort();
  const user = userInfo().username;
  writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      'PrintMotd no',
      'PrintLastLog no',
      'UseDNS no',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const args = (extra: string[] = []): string[] => [
    '-F', '/dev/null',
    '-i', path.join(dir, 'user_key'),
    '-p', String(port),
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
    ...extra,
    `${user}@127.0.0.1`,
  ];
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when a real login succeeds (proves keys, config and the port all work).
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`sshd exited at start: ${stderr.trim().split('\n').pop() ?? 'no reason given'}`);
    }
    try {
      execFileSync('ssh', [...args(), 'true'], { stdio: 'ignore', timeout: 5000 });
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`cannot log in to the loopback sshd: ${stderr.trim().split('\n').pop() ?? (error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { port, user, args, stop };
}
