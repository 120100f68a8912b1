/**
 * The policy engine: rules from config, precompiled into matchers once, then decided per request.
 * Several matching rules: the strictest action wins (deny > review > allow); none: `policy.default`.
 * A bitset index over the rules' fields (rule-index.ts) picks the few rules worth testing, so a
 * decision does not walk every rule; `explain` still tests them all, one by one.
 * It only decides; holding, approving and telling the user belong to others. It never throws on
 * facts: unknown facts simply fail to match the fields that need them.
 */
import type { PolicyAction, PolicyRuleConfig } from '../../config/schema.js';
import { compileCommandPattern, type CommandMatcher } from './command-pattern.js';
import { ANY_NAMESPACE, type KubeFacts, type PolicyFacts } from './facts.js';
import { canonicalResource } from './resources.js';
import { RuleIndex, type RuleKeys } from './rule-index.js';

export interface CompiledRule {
  index: number;
  name: string;
  action: PolicyAction;
  approvers?: { groups: string[]; count: number };
  /** Seconds an approval may wait (rule `timeout`, default 15m). */
  timeoutSeconds: number;
  config: PolicyRuleConfig;
  /** What the match looks at, field by field (for the engine's index). */
  keys: RuleKeys;
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

/** Resource names of a rule → `*`, canonical whole resources, and resource → subresources. */
function resourceKeys(names: string[]): NonNullable<RuleKeys['resources']> {
  const whole = new Set<string>();
  const sub = new Map<string, Set<string>>();
  if (names.includes('*')) return { any: true, whole, sub };
  for (const name of names) {
    const [resource = '', subresource] = name.split('/');
    if (subresource) {
      const canonical = canonicalResource(resource);
      let set = sub.get(canonical);
      if (!set) sub.set(canonical, (set = new Set()));
      set.add(subresource.toLowerCase());
    } else whole.add(canonicalResource(resource));
  }
  return { any: false, whole, sub };
}

/** `pods` matches pods and its subresources (`pods/exec`); `pods/exec` only that subresource. */
function resourceTest(keys: NonNullable<RuleKeys['resources']>): (kube: KubeFacts) => boolean {
  if (keys.any) return (kube) => kube.resource !== undefined;
  const { whole, sub } = keys;
  return (kube) => {
    if (kube.resource === undefined) return false;
    if (whole.has(kube.resource)) return true;
    return kube.subresource !== undefined && sub.get(kube.resource)?.has(kube.subresource) === true;
  };
}

function kubeOf(facts: PolicyFacts): KubeFacts | undefined {
  return facts.kube;
}

export function compileRule(config: PolicyRuleConfig, index: number, timeoutSeconds: number | undefined): CompiledRule {
  const match = config.match;
  const checks: Check[] = [];
  const explainers: ((facts: PolicyFacts) => string)[] = [];
  const needsKube = Boolean(match.verbs || match.resources || match.namespaces || match.names || match.privileged !== undefined);
  const keys: RuleKeys = { needsKube, needsCommand: match.commands !== undefined };

  const connections = asList(match.connection);
  if (connections) {
    const set = (keys.connections = new Set(connections));
    checks.push((facts) => set.has(facts.connection));
    explainers.push((facts) => `connection is ${facts.connection}`);
  }
  if (match.users) {
    const set = (keys.users = new Set(match.users));
    checks.push((facts) => set.has(facts.user));
    explainers.push((facts) => `user is ${facts.user}`);
  }
  if (match.groups) {
    const set = (keys.groups = new Set(match.groups));
    checks.push((facts) => facts.groups.some((group) => set.has(group)));
    explainers.push((facts) => `user is in group ${facts.groups.filter((group) => set.has(group)).join(', ')}`);
  }
  if (needsKube) checks.push((facts) => facts.kube !== undefined);
  if (match.verbs) {
    const set = (keys.verbs = verbSet(match.verbs));
    checks.push((facts) => set.has(kubeOf(facts)!.verb));
    explainers.push((facts) => `verb is ${facts.kube!.verb}`);
  }
  if (match.resources) {
    const test = resourceTest((keys.resources = resourceKeys(match.resources)));
    checks.push((facts) => test(kubeOf(facts)!));
    explainers.push((facts) => `resource is ${facts.kube!.resource}${facts.kube!.subresource ? `/${facts.kube!.subresource}` : ''}`);
  }
  if (match.namespaces) {
    const set = (keys.namespaces = new Set(match.namespaces));
    checks.push((facts) => {
      const namespace = kubeOf(facts)!.namespace;
      return namespace === ANY_NAMESPACE || (namespace !== undefined && set.has(namespace));
    });
    explainers.push((facts) => (facts.kube!.namespace === ANY_NAMESPACE ? 'all namespaces (-A) include ' + [...set].join(', ') : `namespace is ${facts.kube!.namespace}`));
  }
  if (match.names) {
    const set = (keys.names = new Set(match.names));
    checks.push((facts) => {
      const names = kubeOf(facts)!.names;
      return names === undefined || names.some((name) => set.has(name));
    });
    explainers.push((facts) => (facts.kube!.names === undefined ? 'the names are not known before it runs (selector or --all), so they may include ' + [...set].join(', ') : `name is ${facts.kube!.names.filter((name) => set.has(name)).join(', ')}`));
  }
  if (match.privileged !== undefined) {
    const wanted = (keys.privileged = match.privileged);
    checks.push((facts) => (kubeOf(facts)!.privileged ?? false) === wanted);
    explainers.push((facts) => (wanted ? `privileged: ${facts.kube!.privilegedWhy ?? 'yes'}` : 'not privileged'));
  }
  if (match.commands) {
    const matchers: CommandMatcher[] = match.commands.map(compileCommandPattern);
    keys.programs = { exact: new Set(matchers.filter((matcher) => !matcher.programIsGlob).map((matcher) => matcher.program)), glob: matchers.some((matcher) => matcher.programIsGlob) };
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
    keys,
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

const NO_RULE_ALLOW: readonly string[] = Object.freeze(['no rule matched; policy.default is allow']);
const ACTIONS_STRICTEST_FIRST: readonly PolicyAction[] = ['deny', 'review', 'allow'];

export class PolicyEngine {
  readonly rules: CompiledRule[];
  readonly defaultAction: PolicyAction;
  /** Whether any rule looks at shell commands (kubectl argv then also becomes command facts). */
  readonly hasCommandRules: boolean;
  readonly #index: RuleIndex;
  /** Per action, strictest first: which rule positions carry it. */
  readonly #byAction: { action: PolicyAction; bits: Uint32Array }[];
  /** `restricts`, precomputed: true for every connection, or for the connections named here. */
  readonly #restrictsEverywhere: boolean;
  readonly #restrictedConnections = new Set<string>();

  constructor(rules: CompiledRule[], defaultAction: PolicyAction) {
    this.rules = rules;
    this.defaultAction = defaultAction;
    this.hasCommandRules = rules.some((rule) => rule.config.match.commands !== undefined);
    this.#index = new RuleIndex(rules.map((rule) => rule.keys));
    this.#byAction = ACTIONS_STRICTEST_FIRST.map((action) => {
      const bits = new Uint32Array(Math.ceil(rules.length / 32));
      rules.forEach((rule, position) => {
        if (rule.action === action) bits[position >>> 5]! |= 1 << (position & 31);
      });
      return { action, bits };
    });
    let everywhere = defaultAction !== 'allow';
    for (const rule of rules) {
      if (rule.action === 'allow') continue;
      const wanted = asList(rule.config.match.connection);
      if (wanted === undefined) everywhere = true;
      else for (const connection of wanted) this.#restrictedConnections.add(connection);
    }
    this.#restrictsEverywhere = everywhere;
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
    return this.#restrictsEverywhere || this.#restrictedConnections.has(connection);
  }

  /**
   * The hot path: the strictest matching rule, first in config order among equals; undefined when
   * none matches. Only the index's candidates are tested, strictest action first, so the first
   * rule that passes its full test is the answer.
   */
  strictestRule(facts: PolicyFacts): CompiledRule | undefined {
    const candidates = this.#index.candidates(facts);
    const rules = this.rules;
    for (const { bits } of this.#byAction) {
      for (let word = 0; word < bits.length; word++) {
        let pending = candidates[word]! & bits[word]!;
        while (pending !== 0) {
          const lowest = pending & -pending;
          const rule = rules[(word << 5) + 31 - Math.clz32(lowest)]!;
          if (rule.test(facts)) return rule;
          pending ^= lowest;
        }
      }
    }
    return undefined;
  }

  /** The decision on one set of facts; reasons only for non-allow (they are for people). */
  decide(facts: PolicyFacts): PolicyDecision {
    return this.decisionOf(this.strictestRule(facts), facts);
  }

  /** The decision a rule (or, without one, `policy.default`) makes on these facts. */
  decisionOf(rule: CompiledRule | undefined, facts: PolicyFacts): PolicyDecision {
    if (!rule) return { action: this.defaultAction, why: this.defaultAction === 'allow' ? NO_RULE_ALLOW : [`no rule matched; policy.default is ${this.defaultAction}`] };
    // Reasons are for people (approvers, refusals): an allow needs none on the hot path.
    return { action: rule.action, rule, why: rule.action === 'allow' ? [] : rule.explain(facts) };
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
