/**
 * Agent commands per second: many short allowed commands, one after another, in one runs session
 * through the gateway, against the same commands started directly (pipes, as the gateway starts
 * them) and typed into one bash on a direct pty (as an agent driving a terminal would).
 */
import { spawn } from 'node:child_process';
import * as pty from 'node-pty';
import { nowMs, type Report } from './lib/report.js';
import { BASH, openGatewaySession, type GatewayTarget } from './lib/paths.js';

const COMMAND = '/bin/true';

async function viaGateway(target: GatewayTarget, connection: string, count: number): Promise<number> {
  const session = await openGatewaySession(target, connection, false);
  const start = nowMs();
  for (let i = 0; i < count; i++) {
    const result = await session.run(COMMAND).result;
    if (result.exitCode !== 0 || result.decision !== 'allow') throw new Error(`run ${i} ended ${result.decision}/${result.exitCode}`);
  }
  const seconds = (nowMs() - start) / 1000;
  await session.close();
  return count / seconds;
}

async function viaPipes(count: number): Promise<number> {
  const start = nowMs();
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(BASH[0]!, [...BASH.slice(1), '-c', COMMAND], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`exited ${code}`))));
    });
  }
  return count / ((nowMs() - start) / 1000);
}

async function viaDirectPty(count: number): Promise<number> {
  const prompt = '__READY__> ';
  const term = pty.spawn(BASH[0]!, BASH.slice(1), { name: 'xterm-256color', cols: 120, rows: 40, cwd: '/tmp', env: { PATH: process.env.PATH ?? '', TERM: 'xterm-256color', PS1: prompt, HOME: '/tmp' } });
  let text = '';
  let waiter: (() => void) | undefined;
  term.onData((data) => {
    text += data;
    if (waiter && text.includes(prompt)) {
      text = '';
      const done = waiter;
      waiter = undefined;
      done();
    }
  });
  const next = (): Promise<void> => new Promise((resolve) => (text.includes(prompt) ? ((text = ''), resolve()) : (waiter = resolve)));
  await next();
  const start = nowMs();
  for (let i = 0; i < count; i++) {
    const ready = next();
    term.write(`${COMMAND}\r`);
    await ready;
  }
  const rate = count / ((nowMs() - start) / 1000);
  term.kill();
  return rate;
}

export async function benchAgent(report: Report, options: { target: GatewayTarget; connection: string; count: number }): Promise<void> {
  const section = `Agent commands per second (${options.count} × ${COMMAND}, sequential)`;
  report.heading(section);
  const results: Record<string, number> = {};
  const paths: [string, () => Promise<number>][] = [
    ['gateway runs session (WebSocket client)', () => viaGateway(options.target, options.connection, options.count)],
    ['direct: bash -c per command (pipes)', () => viaPipes(options.count)],
    ['direct: one bash on a node-pty, typed', () => viaDirectPty(options.count)],
  ];
  for (const [label, run] of paths) {
    try {
      results[label] = report.measure(section, label, await run(), 'commands/s');
    } catch (error) {
      report.skip(section, label, (error as Error).message);
    }
  }
  const gateway = results['gateway runs session (WebSocket client)'];
  if (gateway !== undefined && results['direct: bash -c per command (pipes)'] !== undefined) report.ratio(section, 'gateway / direct pipes', gateway / results['direct: bash -c per command (pipes)']!);
  if (gateway !== undefined && results['direct: one bash on a node-pty, typed'] !== undefined) report.ratio(section, 'gateway / direct pty', gateway / results['direct: one bash on a node-pty, typed']!);
}
