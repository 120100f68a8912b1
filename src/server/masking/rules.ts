/**
 * Detector rules as data: reads the shipped `rules/masking.yaml`, applies config (`masking.rules`
 * adds or replaces rules by name, `enabled: false` turns one off, `masking.allow` adds exceptions)
 * and compiles them once. A rule that does not compile is a config error naming the rule; it is
 * never skipped silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export type RuleType = 'regex' | 'block' | 'pair' | 'kubernetes-secret';

export interface RuleSpec {
  name: string;
  label?: string;
  type?: RuleType;
  pattern?: string;
  flags?: string;
  group?: number | number[];
  keywords?: string[];
  prefix?: boolean;
  begin?: string;
  end?: string;
  first?: string;
  partial?: string;
  hold?: string;
  enabled?: boolean;
}

export interface CompiledRule {
  index: number;
  name: string;
  label: string;
  type: RuleType;
  /** regex: the secret; pair: the value line. Always global with indices. */
  re?: RegExp;
  groups: number[];
  begin?: RegExp;
  end?: RegExp;
  first?: RegExp;
  /** Hides a secret cut off at the end of a stalled line (group 1). */
  partial?: RegExp;
  /**
   * Where a secret may have started in an unfinished line (anchored with `$`, groups = the
   * secret so far): only that part is held back. Defaults to `partial`. A keyword rule with
   * neither holds from its keyword's token on.
   */
  hold?: RegExp;
  keywords: string[];
  /** The keywords as written (their case matters for a partial-token guess unless flags has i). */
  keywordsAsWritten: string[];
  prefix: boolean;
}

export interface CompiledRules {
  rules: CompiledRule[];
  /** Distinct keywords, lower case; keywordRules[i] = rules using keywords[i]. */
  keywords: string[];
  keywordRules: number[][];
  /** Prefix-rule keywords (a partial token starting with one is hidden at a timed flush). */
  prefixKeywords: Set<number>;
  /** Rules without keywords run on every line (and make the masker hold partial lines). */
  unkeyed: number[];
  isAllowed(text: string): boolean;
}

export class RuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleError';
  }
}

/** The rules file shipped with the package (rules/masking.yaml next to package.json). */
export function shippedRulesFile(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'rules', 'masking.yaml');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new RuleError('the masking rules file rules/masking.yaml is missing from this installation');
}

export function loadRulesFile(file = shippedRulesFile()): { rules: RuleSpec[]; allow: string[] } {
  const doc = parse(readFileSync(file, 'utf8')) as { rules?: RuleSpec[]; allow?: string[] } | null;
  return { rules: doc?.rules ?? [], allow: doc?.allow ?? [] };
}

/** Config rules replace shipped ones of the same name (fields merged) or add new ones. */
export function mergeRules(shipped: RuleSpec[], configured: RuleSpec[]): RuleSpec[] {
  const byName = new Map(shipped.map((rule) => [rule.name, rule] as const));
  for (const rule of configured) byName.set(rule.name, { ...(byName.get(rule.name) ?? {}), ...rule });
  return [...byName.values()].filter((rule) => rule.enabled !== false);
}

function regex(source: string, flags: string | undefined, where: string): RegExp {
  const extra = (flags ?? '').replace(/[gdy]/g, '');
  try {
    return new RegExp(source, `${extra}gd`);
  } catch (error) {
    throw new RuleError(`masking rule ${where}: ${(error as Error).message}`);
  }
}

export function compileRule(spec: RuleSpec, index: number): CompiledRule {
  const type = spec.type ?? 'regex';
  const where = `"${spec.name}"`;
  const need = (field: 'pattern' | 'begin' | 'end' | 'first'): string => {
    const value = spec[field];
    if (typeof value !== 'string' || value.length === 0) throw new RuleError(`masking rule ${where}: type ${type} needs "${field}"`);
    return value;
  };
  const groups = spec.group === undefined ? [] : Array.isArray(spec.group) ? spec.group : [spec.group];
  const rule: CompiledRule = {
    index,
    name: spec.name,
    label: spec.label ?? spec.name,
    type,
    groups,
    keywords: (spec.keywords ?? []).map((keyword) => keyword.toLowerCase()),
    keywordsAsWritten: spec.keywords ?? [],
    prefix: spec.prefix === true,
  };
  if (type === 'regex') rule.re = regex(need('pattern'), spec.flags, where);
  if (type === 'block') {
    rule.begin = regex(need('begin'), spec.flags, where);
    rule.end = regex(need('end'), spec.flags, where);
  }
  if (type === 'pair') {
    rule.first = regex(need('first'), spec.flags, where);
    rule.re = regex(need('pattern'), spec.flags, where);
  }
  if (spec.partial) rule.partial = regex(spec.partial, spec.flags, where);
  if (spec.hold ?? spec.partial) rule.hold = regex((spec.hold ?? spec.partial)!, spec.flags, where);
  if (type === 'kubernetes-secret' && rule.keywords.length === 0) {
    rule.keywords = [' data:', '\ndata:', '"data"', ' stringdata:', '\nstringdata:', '"stringdata"'];
    rule.keywordsAsWritten = rule.keywords;
  }
  return rule;
}

/** Allow entries: `/regex/flags` or an exact literal. */
export function compileAllow(entries: string[]): (text: string) => boolean {
  const literals = new Set<string>();
  const patterns: RegExp[] = [];
  for (const entry of entries) {
    const m = /^\/(.*)\/([a-z]*)$/s.exec(entry);
    if (!m) {
      literals.add(entry);
      continue;
    }
    try {
      patterns.push(new RegExp(m[1]!, m[2]!.replace(/[gy]/g, '')));
    } catch (error) {
      throw new RuleError(`masking allow entry ${entry}: ${(error as Error).message}`);
    }
  }
  return (text) => literals.has(text) || patterns.some((pattern) => pattern.test(text));
}

export function compileRules(specs: RuleSpec[], allow: string[]): CompiledRules {
  const rules = specs.map(compileRule);
  const keywords: string[] = [];
  const keywordRules: number[][] = [];
  const prefixKeywords = new Set<number>();
  const unkeyed: number[] = [];
  for (const rule of rules) {
    if (rule.keywords.length === 0) unkeyed.push(rule.index);
    for (const keyword of rule.keywords) {
      let id = keywords.indexOf(keyword);
      if (id === -1) {
        id = keywords.length;
        keywords.push(keyword);
        keywordRules.push([]);
      }
      if (!keywordRules[id]!.includes(rule.index)) keywordRules[id]!.push(rule.index);
      if (rule.prefix) prefixKeywords.add(id);
    }
  }
  return { rules, keywords, keywordRules, prefixKeywords, unkeyed, isAllowed: compileAllow(allow) };
}

/** Shipped rules plus config, compiled. */
export function buildRules(config: { rules?: RuleSpec[]; allow?: string[] } = {}): CompiledRules {
  const shipped = loadRulesFile();
  return compileRules(mergeRules(shipped.rules, config.rules ?? []), [...shipped.allow, ...(config.allow ?? [])]);
}
