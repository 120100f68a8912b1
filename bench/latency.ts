/**
 * Keystroke echo latency: one key at a time into bash's readline, timed until its echo is back,
 * alternating a letter and a backspace so the line never grows. Same shell on every path.
 */
import { type Report, nowMs, percentile } from './lib/report.js';
import type { Terminal } from './lib/terminal.js';

export interface EchoLatency {
  p50: number;
  p99: number;
  max: number;
}

export async function measureEcho(open: () => Promise<Terminal> | Terminal, roundTrips: number, warmup = 50): Promise<EchoLatency> {
  const terminal = await open();
  let pending: { expect: string; seen: string; resolve: () => void } | undefined;
  const ready = new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    terminal.onData((chunk) => {
      if (pending) {
        pending.seen += chunk.toString('latin1');
        if (pending.seen.includes(pending.expect)) {
          const done = pending.resolve;
          pending = undefined;
          done();
        }
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(resolve, 200);
    });
  });
  await ready;
  const samples: number[] = [];
  try {
    for (let i = 0; i < warmup + roundTrips; i++) {
      const key = i % 2 === 0 ? 'x' : '\x7f';
      const expect = i % 2 === 0 ? 'x' : '\b';
      const start = nowMs();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no echo within 5 s for keystroke ${i}`)), 5000);
        pending = { expect, seen: '', resolve: () => (clearTimeout(timer), resolve()) };
        terminal.write(key);
      });
      if (i >= warmup) samples.push(nowMs() - start);
    }
  } finally {
    await terminal.close();
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples[samples.length - 1]! };
}

export async function benchLatency(report: Report, section: string, paths: { label: string; open: () => Promise<Terminal> | Terminal }[], roundTrips: number): Promise<Record<string, EchoLatency>> {
  report.heading(section);
  const results: Record<string, EchoLatency> = {};
  for (const path of paths) {
    try {
      const latency = await measureEcho(path.open, roundTrips);
      results[path.label] = latency;
      report.measure(section, `${path.label} p50`, latency.p50, 'ms');
      report.measure(section, `${path.label} p99`, latency.p99, 'ms', `max ${latency.max.toFixed(2)} ms`);
    } catch (error) {
      report.skip(section, path.label, (error as Error).message);
    }
  }
  return results;
}
