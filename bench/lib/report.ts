/**
 * The bench's result model and its two renderings: lines on the terminal as each number comes in,
 * and the BENCHMARKS.md tables. Never invents a number: what was not measured says why.
 */
export interface Measurement {
  section: string;
  label: string;
  value: number;
  unit: string;
  detail?: string;
}

export interface Ratio {
  section: string;
  label: string;
  value: number;
  /** e.g. ">= 0.9" */
  goal?: string;
  pass?: boolean;
}

export interface NotMeasured {
  section: string;
  what: string;
  why: string;
}

/** What an optional bench module (other helpers' areas) returns. */
export interface BenchRow {
  label: string;
  value: number;
  unit: string;
  goal?: string;
  pass?: boolean;
}

export class Report {
  readonly measurements: Measurement[] = [];
  readonly ratios: Ratio[] = [];
  readonly notMeasured: NotMeasured[] = [];
  readonly #out: NodeJS.WritableStream;

  constructor(out: NodeJS.WritableStream = process.stdout) {
    this.#out = out;
  }

  measure(section: string, label: string, value: number, unit: string, detail?: string): number {
    this.measurements.push({ section, label, value, unit, detail });
    this.#out.write(`  ${label.padEnd(52)} ${formatNumber(value).padStart(10)} ${unit}${detail ? `   (${detail})` : ''}\n`);
    return value;
  }

  ratio(section: string, label: string, value: number, goal?: { atLeast?: number; atMost?: number }): void {
    const pass = goal ? (goal.atLeast === undefined || value >= goal.atLeast) && (goal.atMost === undefined || value <= goal.atMost) : undefined;
    const goalText = goal ? (goal.atLeast !== undefined ? `>= ${goal.atLeast}` : `<= ${goal.atMost}`) : undefined;
    this.ratios.push({ section, label, value, goal: goalText, pass });
    this.#out.write(`  ${('ratio ' + label).padEnd(52)} ${formatNumber(value).padStart(10)} x${goalText ? `   goal ${goalText}: ${pass ? 'met' : 'MISSED'}` : ''}\n`);
  }

  skip(section: string, what: string, why: string): void {
    this.notMeasured.push({ section, what, why: why.split('\n')[0]!.slice(0, 300) });
    this.#out.write(`  not measured: ${what}: ${why.split('\n')[0]}\n`);
  }

  heading(text: string): void {
    this.#out.write(`\n${text}\n`);
  }

  /** The results part of BENCHMARKS.md. */
  markdown(): string {
    const sections = [...new Set([...this.measurements.map((m) => m.section), ...this.ratios.map((r) => r.section), ...this.notMeasured.map((n) => n.section)])];
    const lines: string[] = [];
    for (const section of sections) {
      lines.push(`### ${section}`, '');
      const rows = this.measurements.filter((m) => m.section === section);
      if (rows.length) {
        lines.push('| measurement | value | unit | notes |', '|---|---:|---|---|');
        for (const m of rows) lines.push(`| ${m.label} | ${formatNumber(m.value)} | ${m.unit} | ${m.detail ?? ''} |`);
        lines.push('');
      }
      const ratios = this.ratios.filter((r) => r.section === section);
      if (ratios.length) {
        lines.push('| ratio | value | goal | |', '|---|---:|---|---|');
        for (const r of ratios) lines.push(`| ${r.label} | ${formatNumber(r.value)}× | ${r.goal ?? ''} | ${r.pass === undefined ? '' : r.pass ? 'met' : '**missed**'} |`);
        lines.push('');
      }
      for (const n of this.notMeasured.filter((x) => x.section === section)) lines.push(`- not measured: ${n.what}: ${n.why}`);
      if (this.notMeasured.some((x) => x.section === section)) lines.push('');
    }
    return lines.join('\n');
  }
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export const MB = 1024 * 1024;

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
