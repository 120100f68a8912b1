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

const MODULES: { file: string; exportNames: string[]; what: string; goals?: Record<string, string> }[] = [
  { file: 'masking.js', exportNames: ['benchMasker', 'benchSessionMasking'], what: 'masker MB/s and session throughput masking on/off', goals: { 'session throughput, masking on vs off': '>= 0.85' } },
  { file: 'recording.js', exportNames: ['benchRecording'], what: 'session throughput recording on/off', goals: { ratio: '>= 0.9' } },
  { file: 'policy.js', exportNames: ['benchPolicy'], what: 'policy decisions/s and gate latency' },
  { file: 'kube.js', exportNames: ['benchKube'], what: 'kubectl through the proxy vs direct', goals: { getPodsRatio: '<= 1.3', execRatio: '>= 0.7' } },
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
      const named = module.exportNames.map((name) => loaded[name]).filter((value) => typeof value === 'function');
      const fns = (named.length > 0 ? named : Object.entries(loaded).filter(([name, value]) => name.startsWith('bench') && typeof value === 'function').map(([, value]) => value)) as ((
        context: OptionalBenchContext,
      ) => Promise<unknown>)[];
      if (fns.length === 0) throw new Error(`bench/${module.file} exports none of ${module.exportNames.join(', ')}`);
      const rows: BenchRow[] = [];
      for (const fn of fns) rows.push(...toRows(await fn(context), module.goals));
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
  const rows: BenchRow[] = [];
  for (const item of list) {
    if (!item || typeof item !== 'object') continue;
    const record = item as Record<string, unknown>;
    const label = typeof record.label === 'string' ? record.label : typeof record.name === 'string' ? record.name : undefined;
    if (label !== undefined && typeof record.value === 'number') {
      rows.push({ label, value: record.value, unit: String(record.unit ?? ''), goal: (record.goal as string | undefined) ?? goals[label] });
      continue;
    }
    for (const [key, value] of Object.entries(record)) {
      if (typeof value !== 'number') continue;
      const unit = /ratio$/i.test(key) ? 'x' : /MBps$/.test(key) ? 'MB/s' : /Ms$/.test(key) ? 'ms' : /PerSecond$|PerSec$/.test(key) ? '/s' : /MB$/.test(key) ? 'MB' : /bytes/i.test(key) ? 'bytes' : '';
      rows.push({ label: key === 'ratio' ? 'on / off' : key, value, unit, ...(goals[key] ? { goal: goals[key] } : {}) });
    }
  }
  return rows;
}
