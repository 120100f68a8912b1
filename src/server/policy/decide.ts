/**
 * Turns what a session asks for into facts and a decision: a kubectl argv (broker runs), a shell
 * command line (command connections: runs and the terminal gate) and a Kubernetes API request
 * (the proxy). One engine, the same rules at every layer. Pure: no holding, no I/O.
 */
import type { PolicyAction } from '../../config/schema.js';
import type { Identity } from '../auth/identity.js';
import type { ApiRequestFacts } from './api-request.js';
import { baseName } from './command-pattern.js';
import { ACTION_RANK, strictest, type CompiledRule, type PolicyDecision, type PolicyEngine } from './engine.js';
import type { CommandFacts, KubeFacts, PolicyFacts } from './facts.js';
import { kubectlFacts } from './kubectl-argv.js';
import { privilegeOf } from './privileged.js';
import { canonicalFromApi } from './resources.js';
import { analyzeShellLine, type ShellAnalysis } from './shell-line.js';

export interface LineDecision extends PolicyDecision {
  /** Kubernetes operations the line asks for (for approval grants at the API layer). */
  kube: KubeFacts[];
  /** False: the shell would wait for more lines (continuation) — nothing runs on this Enter. */
  complete: boolean;
  /** What could not be seen through (decided by `policy.unparsable`). */
  problems: string[];
}

export interface Asker {
  identity: Identity;
  connection: string;
  /**
   * The cluster a command connection reaches (`kubernetes: NAME`): kubectl in its shell lines is
   * also checked as that connection, so `connection: k8s-prod` rules hold it at the command layer
   * as they will at the API layer (where requests carry the cluster's connection name).
   */
  cluster?: string;
}

function base(asker: Asker): Omit<PolicyFacts, 'kube' | 'command'> {
  return { connection: asker.connection, user: asker.identity.user, groups: asker.identity.groups, ...(asker.identity.actor ? { actor: asker.identity.actor } : {}) };
}

/** Facts for the hot path: one object shape for every decision (the engine's lookups stay fast). */
function factsOf(asker: Asker, connection: string, kube: KubeFacts | undefined, command: CommandFacts | undefined): PolicyFacts {
  return { connection, user: asker.identity.user, groups: asker.identity.groups, actor: asker.identity.actor, kube, command };
}

/**
 * The strictest of a line's decisions as they are made, keeping only what the result needs: the
 * same choice `strictest` makes over the full list (first of the highest rank; a rule beats
 * `policy.default` at equal rank), with reasons built once, for the winner only.
 */
class StrictestSoFar {
  #rank = -1;
  #rule: CompiledRule | undefined;
  #facts: PolicyFacts | undefined;
  /** A decision without a rule: policy.default (why undefined) or policy.unparsable (why given). */
  #why: string[] | undefined;

  constructor(readonly engine: PolicyEngine) {}

  /** One set of facts decided by the engine. */
  add(facts: PolicyFacts): void {
    const rule = this.engine.strictestRule(facts);
    const rank = ACTION_RANK[rule ? rule.action : this.engine.defaultAction];
    if (rank > this.#rank || (rank === this.#rank && this.#rule === undefined && rule !== undefined)) {
      this.#rank = rank;
      this.#rule = rule;
      this.#facts = facts;
      this.#why = undefined;
    }
  }

  /** A decision no rule made (policy.unparsable). */
  addRuleless(action: PolicyAction, why: string[]): void {
    if (ACTION_RANK[action] > this.#rank) {
      this.#rank = ACTION_RANK[action];
      this.#rule = undefined;
      this.#facts = undefined;
      this.#why = why;
    }
  }

  decision(): PolicyDecision {
    if (this.#rank < 0) return strictest([], this.engine.defaultAction);
    if (this.#why) return { action: ACTIONS[this.#rank]!, why: this.#why };
    return this.engine.decisionOf(this.#rule, this.#facts!);
  }
}

const ACTIONS: PolicyAction[] = ['allow', 'review', 'deny'];

/** A hot-path decision with the line's facts; literal objects, as a spread of mixed shapes is slow. */
function lineDecision(decision: PolicyDecision, kube: KubeFacts[], complete: boolean, problems: string[]): LineDecision {
  return decision.rule ? { action: decision.action, rule: decision.rule, why: decision.why, kube, complete, problems } : { action: decision.action, why: decision.why, kube, complete, problems };
}

export class PolicyDecider {
  constructor(
    readonly engine: PolicyEngine,
    readonly unparsable: PolicyAction,
  ) {}

  /** A kubectl argv in broker mode (with or without the leading `kubectl`). */
  kubectl(asker: Asker, argv: string[], options: { defaultNamespace?: string; explain?: boolean } = {}): LineDecision {
    if (options.explain) return this.#kubectlExplained(asker, argv, options);
    const words = argv[0] === 'kubectl' ? argv.slice(1) : argv;
    const kube = kubectlFacts(words, { defaultNamespace: options.defaultNamespace });
    const best = new StrictestSoFar(this.engine);
    for (const item of kube) best.add(factsOf(asker, asker.connection, item, undefined));
    if (this.engine.hasCommandRules) best.add(factsOf(asker, asker.connection, undefined, { program: 'kubectl', args: words.map((text) => ({ text, dynamic: false })) }));
    return lineDecision(best.decision(), kube, true, []);
  }

  /** A shell command line: every simple command, kubectl ones also as Kubernetes operations. */
  shellLine(asker: Asker, line: string, options: { defaultNamespace?: string; explain?: boolean } = {}): LineDecision {
    if (options.explain) return this.#shellLineExplained(asker, line, options);
    const analysis = analyzeShellLine(line);
    const best = new StrictestSoFar(this.engine);
    const kube: KubeFacts[] = [];
    for (const command of analysis.commands) {
      const words = command.words;
      const program = words[0];
      if (!program) continue;
      const args = words.slice(1);
      best.add(factsOf(asker, asker.connection, undefined, { program: program.text, args }));
      if (!program.dynamic && baseName(program.text) === 'kubectl') {
        // kubectl with words only known at run time: the API layer sees what it really does.
        if (args.some((arg) => arg.dynamic)) continue;
        const found = kubectlFacts(args.map((arg) => arg.text), { defaultNamespace: options.defaultNamespace });
        for (const item of found) {
          kube.push(item);
          best.add(factsOf(asker, asker.connection, item, undefined));
          if (asker.cluster) best.add(factsOf(asker, asker.cluster, item, undefined));
        }
      }
    }
    const problems = this.#problems(asker, analysis);
    if (problems.length > 0) best.addRuleless(this.unparsable, this.#unparsableWhy(problems));
    return lineDecision(best.decision(), kube, analysis.complete, problems);
  }

  /** What makes a line `policy.unparsable`: only where some rule or the default could hold or refuse. */
  #problems(asker: Asker, analysis: ShellAnalysis): string[] {
    const restricted = this.engine.restricts(asker.connection) || (asker.cluster !== undefined && this.engine.restricts(asker.cluster));
    return analysis.complete && restricted ? analysis.problems : [];
  }

  #unparsableWhy(problems: string[]): string[] {
    return [`the gate cannot fully understand this line: ${problems.join('; ')} (policy.unparsable is ${this.unparsable})`];
  }

  /** `policy explain`: every rule that matched each part of the command, and why. */
  #kubectlExplained(asker: Asker, argv: string[], options: { defaultNamespace?: string }): LineDecision {
    const words = argv[0] === 'kubectl' ? argv.slice(1) : argv;
    const kube = kubectlFacts(words, { defaultNamespace: options.defaultNamespace });
    const decisions = kube.map((facts) => this.engine.explain({ ...base(asker), kube: facts }));
    if (this.engine.hasCommandRules) decisions.push(this.engine.explain({ ...base(asker), command: { program: 'kubectl', args: words.map((text) => ({ text, dynamic: false })) } }));
    return { ...merge(decisions, this.engine.defaultAction), kube, complete: true, problems: [] };
  }

  #shellLineExplained(asker: Asker, line: string, options: { defaultNamespace?: string }): LineDecision {
    const analysis = analyzeShellLine(line);
    const decisions: PolicyDecision[] = [];
    const kube: KubeFacts[] = [];
    const decide = (facts: PolicyFacts): PolicyDecision => this.engine.explain(facts);
    for (const command of analysis.commands) {
      const [program, ...args] = command.words;
      if (!program) continue;
      decisions.push(decide({ ...base(asker), command: { program: program.text, args } }));
      if (baseName(program.text) === 'kubectl' && !program.dynamic) {
        if (args.some((arg) => arg.dynamic)) continue;
        const facts = kubectlFacts(args.map((arg) => arg.text), { defaultNamespace: options.defaultNamespace });
        kube.push(...facts);
        for (const item of facts) {
          decisions.push(decide({ ...base(asker), kube: item }));
          if (asker.cluster) decisions.push(decide({ ...base(asker), connection: asker.cluster, kube: item }));
        }
      }
    }
    const problems = this.#problems(asker, analysis);
    if (problems.length > 0) decisions.push({ action: this.unparsable, why: this.#unparsableWhy(problems) });
    return { ...merge(decisions, this.engine.defaultAction), kube, complete: analysis.complete, problems };
  }

  /**
   * Decides a few typical inputs once and throws the results away, so the code of the readers
   * and the engine is compiled at start rather than on a user's first Enter (that first decision
   * took milliseconds). Pure: no rule, cache or state that affects later decisions changes.
   */
  warmUp(): void {
    const asker: Asker = { identity: { user: 'warm-up', groups: ['warm-up'], issuer: 'warm-up' }, connection: 'warm-up', cluster: 'warm-up' };
    const lines = ['kubectl get pods -n default -l app=web', 'ls -la /tmp | grep x && echo "$(date)" > /dev/null', "sudo env A=1 bash -c 'rm -rf x'; (cd /; cat <<EOF\nx\nEOF\n)"];
    for (let round = 0; round < 3; round++) {
      for (const line of lines) this.shellLine(asker, line);
      this.kubectl(asker, ['delete', 'pod/web-1', '--namespace=default', '-it']);
      this.api({ sessionId: 'warm-up', connection: 'warm-up', identity: asker.identity, verb: 'create', resource: 'pods', apiGroup: '', namespace: 'default', body: { kind: 'Pod', spec: { containers: [{ name: 'c' }] } }, description: 'warm-up' });
    }
  }

  /** A Kubernetes API request in the proxy. */
  api(facts: ApiRequestFacts, options: { explain?: boolean } = {}): PolicyDecision & { kube: KubeFacts } {
    const kube = apiKubeFacts(facts);
    const asker: Asker = { identity: facts.identity, connection: facts.connection };
    if (options.explain) return { ...this.engine.explain({ ...base(asker), kube }), kube };
    const decision = this.engine.decide(factsOf(asker, facts.connection, kube, undefined));
    return decision.rule ? { action: decision.action, rule: decision.rule, why: decision.why, kube } : { action: decision.action, why: decision.why, kube };
  }
}

/** API request → facts: canonical resource, names, privilege found in the body. */
export function apiKubeFacts(facts: ApiRequestFacts): KubeFacts {
  const resource = canonicalFromApi(facts.resource, facts.apiGroup);
  const why = facts.body !== undefined && ['create', 'update', 'patch'].includes(facts.verb) ? privilegeOf(facts.body) : undefined;
  let namespace = facts.namespace;
  if (resource === 'namespaces' && facts.name) namespace = facts.name;
  return {
    verb: facts.verb,
    resource,
    ...(facts.subresource ? { subresource: facts.subresource } : {}),
    ...(namespace ? { namespace } : {}),
    ...(facts.name ? { names: [facts.name] } : facts.verb === 'list' || facts.verb === 'watch' || facts.verb === 'deletecollection' ? {} : { names: [] }),
    privileged: why !== undefined,
    ...(why ? { privilegedWhy: why } : {}),
  };
}

function merge(decisions: PolicyDecision[], fallback: PolicyAction): PolicyDecision {
  const best = strictest(decisions, fallback);
  const matches = decisions.flatMap((decision) => decision.matches ?? []);
  const unique = matches.filter((match, index) => matches.findIndex((other) => other.rule === match.rule) === index);
  return decisions.some((decision) => decision.matches) ? { ...best, matches: unique } : best;
}
