/** Session open time: from "connect" to the first byte of the shell's prompt, on every path. */
import { median, nowMs, percentile, type Report } from './lib/report.js';
import type { Terminal } from './lib/terminal.js';

export async function benchOpenTime(report: Report, paths: { label: string; open: () => Promise<Terminal> | Terminal }[], iterations: number): Promise<Record<string, number>> {
  const section = 'Session open time (connect to first prompt byte)';
  report.heading(section);
  const results: Record<string, number> = {};
  for (const path of paths) {
    try {
      const samples: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const start = nowMs();
        const terminal = await path.open();
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no prompt within 10 s')), 10_000);
          let seen = false;
          terminal.onData(() => {
            if (seen) return;
            seen = true;
            clearTimeout(timer);
            resolve();
          });
        });
        samples.push(nowMs() - start);
        await terminal.close();
      }
      samples.sort((a, b) => a - b);
      results[path.label] = report.measure(section, path.label, median(samples), 'ms', `median of ${iterations}; p90 ${percentile(samples, 90).toFixed(1)} ms`);
    } catch (error) {
      report.skip(section, path.label, (error as Error).message);
    }
  }
  return results;
}
