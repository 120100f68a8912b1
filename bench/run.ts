/**
 * `npm run bench`: every measurement of BENCHMARKS.md from one run, printed as it comes with the
 * ratios, and what could not be measured and why. `--write` also rewrites BENCHMARKS.md;
 * `--quick` uses small sizes (a smoke run, not for the record). Leaves no process or file behind.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { benchAgent } from './agent.js';
import { benchConcurrency } from './concurrency.js';
import { benchLatency } from './latency.js';
import { startGatewayProcess, REPO_ROOT, type GatewayProcess } from './lib/gateway-process.js';
import { BASH, type GatewayTarget } from './lib/paths.js';
import { MB, Report } from './lib/report.js';
import { startLoopbackSshd, type LoopbackSshd } from './lib/sshd.js';
import { cliTerminal, directTerminal, gatewayTerminal, sshTerminal } from './lib/terminal.js';
import { benchOpenTime } from './open-time.js';
import { benchOptional } from './optional.js';
import { benchThroughput } from './throughput.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const write = args.has('--write');
const sizes = quick
  ? { fileMb: 10, rounds: 1, roundTrips: 200, sessions: 20, sessionMb: 1, openIterations: 3, agentCommands: 100 }
  : { fileMb: 100, rounds: 3, roundTrips: 1000, sessions: 200, sessionMb: 1, openIterations: 15, agentCommands: 1000 };

/** Log-like printable lines, like the output people actually cat. */
function writeDataFile(file: string, megabytes: number): number {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < MB; i++) {
    const line = `2026-11-28T22:${String(i % 60).padStart(2, '0')}:00.${String(i % 1000).padStart(3, '0')}Z INFO  pod/web-7d9c-xk2p9 request id=${String(i).padStart(8, '0')} path=/api/v1/items?page=${i % 97} status=200 bytes=${(i * 7919) % 65536}\n`;
    lines.push(line);
    length += line.length;
  }
  const block = Buffer.from(lines.join('')).subarray(0, MB);
  const fd = openSync(file, 'w');
  for (let i = 0; i < megabytes; i++) writeSync(fd, block);
  closeSync(fd);
  return megabytes * MB;
}

function machine(): string[] {
  const cpu = cpus();
  // `ssh -V` prints its version on stderr.
  const ssh = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr?.trim() || 'ssh not installed';
  return [
    `- CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores`,
    `- RAM: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- Node ${process.version}, Linux ${release()}, ${ssh}`,
    `- load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine is shared; rounds are interleaved and medians used)`,
  ];
}

async function main(): Promise<void> {
  const started = Date.now();
  const report = new Report();
  const work = mkdtempSync(path.join(tmpdir(), 'hoop-bench-data-'));
  const file = path.join(work, 'big.log');
  const small = path.join(work, 'small.log');
  const fileBytes = writeDataFile(file, sizes.fileMb);
  const smallBytes = writeDataFile(small, sizes.sessionMb);
  const info = machine();
  process.stdout.write(`hoop-shell bench${quick ? ' (quick)' : ''}\n${info.join('\n')}\n`);

  let gateway: GatewayProcess | undefined;
  let sshd: LoopbackSshd | undefined;
  try {
    gateway = await startGatewayProcess({
      config: {
        connections: [
          { name: 'shell', type: 'command', command: BASH },
          { name: 'cat', type: 'command', command: ['/bin/cat', file] },
        ],
      },
    });
    const target: GatewayTarget = { url: gateway.url, token: await gateway.token() };
    try {
      sshd = await startLoopbackSshd();
    } catch (error) {
      report.skip('OpenSSH', 'every ssh comparison', (error as Error).message);
    }

    await benchThroughput(report, { target, catConnection: 'cat', shellConnection: 'shell', file, fileBytes, sshd, rounds: sizes.rounds });

    const terminals = [
      { label: 'gateway (WebSocket client)', open: () => gatewayTerminal(target, 'shell') },
      { label: 'hoop-shell connect (process)', open: () => cliTerminal(target, 'shell') },
      { label: 'direct node-pty', open: () => directTerminal() },
      ...(sshd ? [{ label: 'ssh -tt (process)', open: () => sshTerminal(sshd!.args(['-tt'])) }] : []),
    ];
    const latencySection = `Keystroke echo latency (${sizes.roundTrips} round trips, bash readline)`;
    const latency = await benchLatency(report, latencySection, terminals, sizes.roundTrips);
    const gw = latency['gateway (WebSocket client)'];
    if (gw) {
      report.ratio(latencySection, 'gateway p99 / 1.5 ms budget', gw.p99 / 1.5, { atMost: 1 });
      const direct = latency['direct node-pty'];
      if (direct) report.ratio(latencySection, 'gateway p50 / direct pty p50', gw.p50 / direct.p50);
      const ssh = latency['ssh -tt (process)'];
      const cli = latency['hoop-shell connect (process)'];
      if (ssh) report.ratio(latencySection, 'gateway p50 / ssh -tt p50', gw.p50 / ssh.p50, { atMost: 1 });
      if (ssh && cli) report.ratio(latencySection, 'hoop-shell connect p50 / ssh -tt p50 (both client processes)', cli.p50 / ssh.p50, { atMost: 1 });
    }
    if (!sshd) report.skip(latencySection, 'ssh -tt', 'the loopback sshd did not start');

    const open = await benchOpenTime(report, terminals, sizes.openIterations);
    const openSection = 'Session open time (connect to first prompt byte)';
    if (open['gateway (WebSocket client)'] && open['ssh -tt (process)']) report.ratio(openSection, 'gateway / ssh -tt', open['gateway (WebSocket client)'] / open['ssh -tt (process)']);
    if (open['hoop-shell connect (process)'] && open['ssh -tt (process)']) report.ratio(openSection, 'hoop-shell connect / ssh -tt (both client processes)', open['hoop-shell connect (process)'] / open['ssh -tt (process)']);

    await benchAgent(report, { target, connection: 'shell', count: sizes.agentCommands });
    // A fresh gateway for the memory numbers: the one above has moved hundreds of MB, and its
    // garbage (collected or not) would blur an RSS difference of a few MB.
    await gateway.stop();
    gateway = await startGatewayProcess({ config: { connections: [{ name: 'shell', type: 'command', command: BASH }] } });
    const fresh: GatewayTarget = { url: gateway.url, token: await gateway.token() };
    await benchConcurrency(report, { gateway, target: fresh, connection: 'shell', sessions: sizes.sessions, file: small, fileBytes: smallBytes });
    await benchOptional(report, { quick, gatewayUrl: gateway.url, token: target.token });
  } finally {
    await sshd?.stop();
    await gateway?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  process.stdout.write(`\nbench finished in ${seconds} s; ${report.notMeasured.length} item(s) not measured\n`);
  if (write) {
    const body = [
      '# Benchmarks',
      '',
      'Written by `npm run bench -- --write` (the numbers below are from one run of it; `npm run bench` alone prints',
      'the same without touching this file). What each line measures: see `bench/*.ts` headers and "How to read" below.',
      '',
      `## Machine (run of ${new Date().toISOString().slice(0, 16)}Z, ${seconds} s)`,
      '',
      ...info,
      '',
      '## Results',
      '',
      report.markdown(),
    ].join('\n');
    const target = path.join(REPO_ROOT, 'BENCHMARKS.md');
    const { readFileSync, existsSync } = await import('node:fs');
    // Keep the hand-written notes that follow the generated part.
    const marker = '<!-- end of generated results -->';
    const old = existsSync(target) ? readFileSync(target, 'utf8') : '';
    const notes = old.includes(marker) ? old.slice(old.indexOf(marker) + marker.length) : '\n';
    writeFileSync(target, `${body}\n${marker}${notes}`);
    process.stdout.write(`wrote ${target}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
