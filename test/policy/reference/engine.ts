// FROZEN REFERENCE (test only): src/server/policy/engine.ts as of bc84b6f, before the speed work of issue 10.
// The differential test (test/policy/differential.test.ts) holds the fast engine to these exact decisions.
// Do not optimise or fix this copy: it is the definition of "the same decisions as before".
/**
 * The policy engine: rules from config, precompiled into matchers once, then decided per request.
 * Several matching rules: the strictest action wins (deny > review > allow); none: `policy.default`.
 * It only decides; holding, approving and telling the user belong to others. It never throws on
 * facts: unknown facts simply fail to match the fields that need them.
 */
import type { PolicyAction, PolicyRuleConfig } from '../../../src/config/schema.js';
import { compileCommandPattern, type CommandMatcher } from './command-pattern.js';
import { ANY_NAMESPACE, type KubeFacts, type PolicyFacts } from '../../../src/server/policy/facts.js';
import { canonicalResource } from '../../../src/server/policy/resources.js';

export interface CompiledRule {
  index: number;
  name: string;
  action: PolicyAction;
  approvers?: { groups: string[]; count: number };
  /** Seconds an approval may wait (rule `timeout`, default 15m). */
  timeoutSeconds: number;
  config: PolicyRuleConfig;
  test(facts: PolicyFacts): boolean;
  /** Why it matched, one phrase per field (only called for explanations and approvals). */
  explain(facts: PolicyFacts): string[];
}

export interface RuleMatch {
  rule: CompiledRule;
  why: string[];
}

export interface PolicyDecision {
  action: PolicyAction;
  /** The deciding rule (none when `policy.default` decided). */
  rule?: CompiledRule;
  why: readonly string[];
  /** Every rule that matched (explain computes these; the hot path only the deciding one). */
  matches?: RuleMatch[];
}

export const ACTION_RANK: Record<PolicyAction, number> = { allow: 0, review: 1, deny: 2 };
export const DEFAULT_REVIEW_TIMEOUT_SECONDS = 15 * 60;

type Check = (facts: PolicyFacts) => boolean;

function asList(value: string | string[] | undefined): string[] | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value : [value];
}

/** `delete` covers `deletecollection` too: a rule about deleting pods also holds `delete pods --all`. */
function verbSet(verbs: string[]): Set<string> {
  const set = new Set(verbs.map((verb) => verb.toLowerCase()));
  if (set.has('delete')) set.add('deletecollection');
  if (set.has('get')) {
    /* get is get; list and watch are named separately as in RBAC */
  }
  return set;
}

/** `pods` matches pods and its subresources (`pods/exec`); `pods/exec` only that subresource. */
function resourceTest(names: string[]): (kube: KubeFacts) => boolean {
  if (names.includes('*')) return (kube) => kube.resource !== undefined;
  const whole = new Set<string>();
  const sub = new Set<string>();
  for (const name of names) {
    const [resource = '', subresource] = name.split('/');
    if (subresource) sub.add(`${canonicalResource(resource)}/${subresource.toLowerCase()}`);
    else whole.add(canonicalResource(resource));
  }
  return (kube) => {
    if (kube.resource === undefined) return false;
    if (whole.has(kube.resource)) return true;
    return kube.subresource !== undefined && sub.has(`${kube.resource}/${kube.subresource}`);
  };
}

function kubeOf(facts: PolicyFacts): KubeFacts | undefined {
  return facts.kube;
}

export function compileRule(config: PolicyRuleConfig, index: number, timeoutSeconds: number | undefined): CompiledRule {
  const match = config.match;
  const checks: Check[] = [];
  const explainers: ((facts: PolicyFacts) => string)[] = [];

  const connections = asList(match.connection);
  if (connections) {
    const set = new Set(connections);
    checks.push((facts) => set.has(facts.connection));
    explainers.push((facts) => `connection is ${facts.connection}`);
  }
  if (match.users) {
    const set = new Set(match.users);
    checks.push((facts) => set.has(facts.user));
    explainers.push((facts) => `user is ${facts.user}`);
  }
  if (match.groups) {
    const set = new Set(match.groups);
    checks.push((facts) => facts.groups.some((group) => set.has(group)));
    explainers.push((facts) => `user is in group ${facts.groups.filter((group) => set.has(group)).join(', ')}`);
  }
  const needsKube = match.verbs || match.resources || match.namespaces || match.names || match.privileged !== undefined;
  if (needsKube) checks.push((facts) => facts.kube !== undefined);
  if (match.verbs) {
    const set = verbSet(match.verbs);
    checks.push((facts) => set.has(kubeOf(facts)!.verb));
    explainers.push((facts) => `verb is ${facts.kube!.verb}`);
  }
  if (match.resources) {
    const test = resourceTest(match.resources);
    checks.push((facts) => test(kubeOf(facts)!));
    explainers.push((facts) => `resource is ${facts.kube!.resource}${facts.kube!.subresource ? `/${facts.kube!.subresource}` : ''}`);
  }
  if (match.namespaces) {
    const set = new Set(match.namespaces);
    checks.push((facts) => {
      const namespace = kubeOf(facts)!.namespace;
      return namespace === ANY_NAMESPACE || (namespace !== undefined && set.has(namespace));
    });
    explainers.push((facts) => (facts.kube!.namespace === ANY_NAMESPACE ? 'all namespaces (-A) include ' + [...set].join(', ') : `namespace is ${facts.kube!.namespace}`));
  }
  if (match.names) {
    const set = new Set(match.names);
    checks.push((facts) => {
      const names = kubeOf(facts)!.names;
      return names === undefined || names.some((name) => set.has(name));
    });
    explainers.push((facts) => (facts.kube!.names === undefined ? 'the names are not known before it runs (selector or --all), so they may include ' + [...set].join(', ') : `name is ${facts.kube!.names.filter((name) => set.has(name)).join(', ')}`));
  }
  if (match.privileged !== undefined) {
    const wanted = match.privileged;
    checks.push((facts) => (kubeOf(facts)!.privileged ?? false) === wanted);
    explainers.push((facts) => (wanted ? `privileged: ${facts.kube!.privilegedWhy ?? 'yes'}` : 'not privileged'));
  }
  if (match.commands) {
    const matchers: CommandMatcher[] = match.commands.map(compileCommandPattern);
    checks.push((facts) => facts.command !== undefined && matchers.some((matcher) => matcher.test(facts.command!)));
    explainers.push((facts) => `command matches "${matchers.find((matcher) => matcher.test(facts.command!))?.source}"`);
  }

  const test = compileChecks(checks);
  return {
    index,
    name: config.name,
    action: config.action,
    approvers: config.approvers ? { groups: config.approvers.groups, count: config.approvers.count ?? 1 } : undefined,
    timeoutSeconds: timeoutSeconds ?? DEFAULT_REVIEW_TIMEOUT_SECONDS,
    config,
    test,
    explain: (facts) => (explainers.length === 0 ? ['the rule matches everything'] : explainers.map((explainer) => explainer(facts))),
  };
}

/** Unrolled for the common sizes: a closure per rule, no array walk on the hot path. */
function compileChecks(checks: Check[]): Check {
  const [a, b, c, d] = checks;
  switch (checks.length) {
    case 0:
      return () => true;
    case 1:
      return a!;
    case 2:
      return (facts) => a!(facts) && b!(facts);
    case 3:
      return (facts) => a!(facts) && b!(facts) && c!(facts);
    case 4:
      return (facts) => a!(facts) && b!(facts) && c!(facts) && d!(facts);
    default:
      return (facts) => {
        for (const check of checks) if (!check(facts)) return false;
        return true;
      };
  }
}

/** Precomputed per (connection, kind of request): only the rules that could ever match it. */
const MAX_INDEXED_CONNECTIONS = 1000;
const NO_RULE_ALLOW: readonly string[] = Object.freeze(['no rule matched; policy.default is allow']);

export class PolicyEngine {
  readonly rules: CompiledRule[];
  readonly defaultAction: PolicyAction;
  readonly #index = new Map<string, Map<string, CompiledRule[]>>();
  /** Whether any rule looks at shell commands (kubectl argv then also becomes command facts). */
  readonly hasCommandRules: boolean;

  constructor(rules: CompiledRule[], defaultAction: PolicyAction) {
    this.rules = rules;
    this.defaultAction = defaultAction;
    this.hasCommandRules = rules.some((rule) => rule.config.match.commands !== undefined);
  }

  /** Rules that name this connection (or none) and fit this kind of request; in config order. */
  #candidates(facts: PolicyFacts): CompiledRule[] {
    const kind = facts.kube ? (facts.command ? 'both' : 'kube') : facts.command ? 'command' : 'none';
    let byConnection = this.#index.get(kind);
    if (!byConnection) this.#index.set(kind, (byConnection = new Map()));
    let list = byConnection.get(facts.connection);
    if (!list) {
      list = this.rules.filter((rule) => {
        const match = rule.config.match;
        const connections = match.connection === undefined ? undefined : Array.isArray(match.connection) ? match.connection : [match.connection];
        if (connections && !connections.includes(facts.connection)) return false;
        const needsKube = match.verbs || match.resources || match.namespaces || match.names || match.privileged !== undefined;
        if (needsKube && !facts.kube) return false;
        if (match.commands && !facts.command) return false;
        return true;
      });
      if (byConnection.size >= MAX_INDEXED_CONNECTIONS) byConnection.clear();
      byConnection.set(facts.connection, list);
    }
    return list;
  }

  static fromConfig(policy: { default: PolicyAction; rules: PolicyRuleConfig[] }, parseTimeout: (text: string) => number | undefined): PolicyEngine {
    const rules = policy.rules.map((rule, index) => compileRule(rule, index, rule.timeout ? parseTimeout(rule.timeout) : undefined));
    return new PolicyEngine(rules, policy.default);
  }

  /**
   * Whether anything on this connection could be refused or held: a non-allow default or a
   * non-allow rule that may apply. If not, a line the gate cannot read cannot hide anything.
   */
  restricts(connection: string): boolean {
    if (this.defaultAction !== 'allow') return true;
    return this.rules.some((rule) => {
      if (rule.action === 'allow') return false;
      const wanted = rule.config.match.connection;
      return wanted === undefined || (Array.isArray(wanted) ? wanted.includes(connection) : wanted === connection);
    });
  }

  /** The hot path: the strictest matching rule, first in config order among equals. */
  decide(facts: PolicyFacts): PolicyDecision {
    let best: CompiledRule | undefined;
    for (const rule of this.#candidates(facts)) {
      if ((best === undefined || ACTION_RANK[rule.action] > ACTION_RANK[best.action]) && rule.test(facts)) {
        best = rule;
        if (rule.action === 'deny') break;
      }
    }
    if (!best) return { action: this.defaultAction, why: this.defaultAction === 'allow' ? NO_RULE_ALLOW : [`no rule matched; policy.default is ${this.defaultAction}`] };
    // Reasons are for people (approvers, refusals): an allow needs none on the hot path.
    return { action: best.action, rule: best, why: best.action === 'allow' ? [] : best.explain(facts) };
  }

  /** Every rule that matched and why (for `policy explain`). */
  explain(facts: PolicyFacts): PolicyDecision {
    const matches = this.rules.filter((rule) => rule.test(facts)).map((rule) => ({ rule, why: rule.explain(facts) }));
    const decision = this.decide(facts);
    return { ...decision, why: decision.rule ? decision.rule.explain(facts) : decision.why, matches };
  }
}

/** The strictest of several decisions (the simple commands of one shell line). */
export function strictest(decisions: PolicyDecision[], fallback: PolicyAction): PolicyDecision {
  let best: PolicyDecision | undefined;
  for (const decision of decisions) {
    if (!best || ACTION_RANK[decision.action] > ACTION_RANK[best.action] || (ACTION_RANK[decision.action] === ACTION_RANK[best.action] && !best.rule && decision.rule)) best = decision;
  }
  return best ?? { action: fallback, why: [`nothing to check; policy.default is ${fallback}`] };
}
