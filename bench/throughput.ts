/**
 * Output throughput: `cat` of one big file through every path, interactive (a pty) and one-shot
 * (pipes), rounds interleaved so a noisy neighbour hurts every path alike; the median counts.
 */
import type { LoopbackSshd } from './lib/sshd.js';
import { MB, median, type Report } from './lib/report.js';
import { cliConnect, cliExec, directPipe, directPty, gatewayExec, gatewayInteractive, sshExec, sshTty, type GatewayTarget, type Transfer } from './lib/paths.js';

export interface ThroughputOptions {
  target: GatewayTarget;
  /** Connection whose program is `cat FILE` (interactive shape). */
  catConnection: string;
  /** Connection whose program runs one command line (bash -c). */
  shellConnection: string;
  file: string;
  fileBytes: number;
  sshd?: LoopbackSshd;
  rounds: number;
}

type Path = { label: string; run: () => Promise<Transfer> };

export async function benchThroughput(report: Report, options: ThroughputOptions): Promise<Record<string, number>> {
  const { target, file, sshd } = options;
  const section = `Output throughput (cat of ${Math.round(options.fileBytes / MB)} MB)`;
  report.heading(section);
  const command = `cat ${file}`;
  const paths: Path[] = [
    { label: 'interactive: gateway (WebSocket client)', run: () => gatewayInteractive(target, options.catConnection) },
    { label: 'interactive: hoop-shell connect (process)', run: () => cliConnect(target, options.catConnection) },
    { label: 'interactive: direct node-pty', run: () => directPty('/bin/cat', [file]) },
    { label: 'one-shot: gateway exec (WebSocket client)', run: () => gatewayExec(target, options.shellConnection, command) },
    { label: 'one-shot: hoop-shell exec (process)', run: () => cliExec(target, options.shellConnection, command) },
    { label: 'one-shot: direct pipes (bash -c)', run: () => directPipe('/bin/bash', ['--noprofile', '--norc', '-c', command]) },
  ];
  if (sshd) {
    paths.push({ label: 'interactive: ssh -tt', run: () => sshTty(sshd.args(['-tt']), ['cat', file]) });
    paths.push({ label: 'one-shot: ssh host cat FILE', run: () => sshExec(sshd.args(), command) });
  }
  const samples = new Map<string, number[]>(paths.map((p) => [p.label, []]));
  const failures = new Map<string, string>();
  for (let round = 0; round < options.rounds; round++) {
    for (const path of paths) {
      if (failures.has(path.label)) continue;
      try {
        const transfer = await path.run();
        if (transfer.bytes < options.fileBytes) throw new Error(`only ${transfer.bytes} of ${options.fileBytes} bytes arrived`);
        samples.get(path.label)!.push(options.fileBytes / MB / ((transfer.lastMs - transfer.firstMs) / 1000));
      } catch (error) {
        failures.set(path.label, (error as Error).message);
      }
    }
  }
  const results: Record<string, number> = {};
  for (const path of paths) {
    const failure = failures.get(path.label);
    if (failure) {
      report.skip(section, path.label, failure);
      continue;
    }
    const values = samples.get(path.label)!;
    results[path.label] = report.measure(section, path.label, median(values), 'MB/s', `median of ${values.length}; ${values.map((v) => v.toFixed(0)).join(', ')}`);
  }
  if (!sshd) report.skip(section, 'ssh -tt and ssh host cat FILE', 'the loopback sshd did not start (see above)');
  const ratio = (label: string, a: string, b: string, goal?: { atLeast: number }): void => {
    if (results[a] !== undefined && results[b] !== undefined) report.ratio(section, label, results[a]! / results[b]!, goal);
  };
  ratio('interactive gateway / direct pty', 'interactive: gateway (WebSocket client)', 'interactive: direct node-pty', { atLeast: 0.9 });
  ratio('one-shot gateway / direct pipes', 'one-shot: gateway exec (WebSocket client)', 'one-shot: direct pipes (bash -c)', { atLeast: 0.9 });
  ratio('interactive gateway / ssh -tt', 'interactive: gateway (WebSocket client)', 'interactive: ssh -tt', { atLeast: 1.0 });
  ratio('one-shot gateway / ssh', 'one-shot: gateway exec (WebSocket client)', 'one-shot: ssh host cat FILE', { atLeast: 1.0 });
  ratio('interactive hoop-shell connect / ssh -tt (both client processes)', 'interactive: hoop-shell connect (process)', 'interactive: ssh -tt', { atLeast: 1.0 });
  ratio('one-shot hoop-shell exec / ssh (both client processes)', 'one-shot: hoop-shell exec (process)', 'one-shot: ssh host cat FILE', { atLeast: 1.0 });
  return results;
}
