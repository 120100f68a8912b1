/**
 * Benchmarks of other areas, picked up when their modules exist in this build (bench/masking.ts,
 * bench/recording.ts, bench/policy.ts, bench/kube.ts). Contract for such a module: export
 * `async function benchX(context): Promise<BenchRow[]>` (see lib/report.ts); rows whose unit is
 * "x" or "×" are ratios. A missing module is reported as not measured, never guessed.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchRow, Report } from './lib/report.js';

export interface OptionalBenchContext {
  quick: boolean;
  /** A gateway child with a `shell` command connection, for modules that want one. */
  gatewayUrl?: string;
  token?: string;
}

const MODULES = [
  { file: 'masking.js', exportName: 'benchMasker', what: 'masker MB/s and session throughput masking on/off' },
  { file: 'recording.js', exportName: 'benchRecording', what: 'session throughput recording on/off', goals: { ratio: '>= 0.9' } as Record<string, string> },
  { file: 'policy.js', exportName: 'benchPolicy', what: 'policy decisions/s and gate latency' },
  { file: 'kube.js', exportName: 'benchKube', what: 'kubectl through the proxy vs direct' },
];

export async function benchOptional(report: Report, context: OptionalBenchContext): Promise<void> {
  for (const module of MODULES) {
    const section = `Other areas: ${module.what}`;
    const url = new URL(`./${module.file}`, import.meta.url);
    if (!existsSync(fileURLToPath(url))) {
      report.heading(section);
      report.skip(section, module.what, `bench/${module.file.replace(/\.js$/, '.ts')} is not in this build`);
      continue;
    }
    report.heading(section);
    try {
      const loaded = (await import(url.href)) as Record<string, unknown>;
      const fn = (loaded[module.exportName] ?? Object.entries(loaded).find(([name, value]) => name.startsWith('bench') && typeof value === 'function')?.[1]) as
        | ((context: OptionalBenchContext) => Promise<unknown>)
        | undefined;
      if (!fn) throw new Error(`bench/${module.file} exports no ${module.exportName}()`);
      const rows = toRows(await fn(context), 'goals' in module ? module.goals : undefined);
      for (const row of rows) {
        if (row.unit === 'x' || row.unit === '×') {
          const goal = row.goal ? /([<>]=?)\s*([\d.]+)/.exec(row.goal) : null;
          report.ratio(section, row.label, row.value, goal ? (goal[1]!.startsWith('>') ? { atLeast: Number(goal[2]) } : { atMost: Number(goal[2]) }) : undefined);
        } else report.measure(section, row.label, row.value, row.unit, row.goal ? `goal ${row.goal}${row.pass === undefined ? '' : row.pass ? ': met' : ': MISSED'}` : undefined);
      }
    } catch (error) {
      report.skip(section, module.what, `bench/${module.file} failed: ${(error as Error).message}`);
    }
  }
}

/**
 * Rows from what a module returned: BenchRow(s) as they are, or a plain object of numbers
 * (e.g. `{onMBps, offMBps, ratio, replayOpenMs}`) whose keys name the unit.
 */
export function toRows(result: unknown, goals: Record<string, string> = {}): BenchRow[] {
  const list = Array.isArray(result) ? result : [result];
  if (list.every((row) => row && typeof row === 'object' && 'label' in row && 'value' in row)) return list as BenchRow[];
  const rows: BenchRow[] = [];
  for (const item of list) {
    for (const [key, value] of Object.entries((item ?? {}) as Record<string, unknown>)) {
      if (typeof value !== 'number') continue;
      const unit = /ratio$/i.test(key) ? 'x' : /MBps$/.test(key) ? 'MB/s' : /Ms$/.test(key) ? 'ms' : /PerSecond$|PerSec$/.test(key) ? '/s' : /MB$/.test(key) ? 'MB' : /bytes/i.test(key) ? 'bytes' : '';
      rows.push({ label: key === 'ratio' ? 'on / off' : key, value, unit, ...(goals[key] ? { goal: goals[key] } : {}) });
    }
  }
  return rows;
}
