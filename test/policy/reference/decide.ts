// FROZEN REFERENCE (test only): src/server/policy/decide.ts as of bc84b6f, before the speed work of issue 10.
// The differential test (test/policy/differential.test.ts) holds the fast engine to these exact decisions.
// Do not optimise or fix this copy: it is the definition of "the same decisions as before".
/**
 * Turns what a session asks for into facts and a decision: a kubectl argv (broker runs), a shell
 * command line (command connections: runs and the terminal gate) and a Kubernetes API request
 * (the proxy). One engine, the same rules at every layer. Pure: no holding, no I/O.
 */
import type { PolicyAction } from '../../../src/config/schema.js';
import type { Identity } from '../../../src/server/auth/identity.js';
import type { ApiRequestFacts } from '../../../src/server/policy/api-request.js';
import { baseName } from './command-pattern.js';
import { strictest, type PolicyDecision, type PolicyEngine } from './engine.js';
import type { KubeFacts, PolicyFacts } from '../../../src/server/policy/facts.js';
import { kubectlFacts } from './kubectl-argv.js';
import { privilegeOf } from '../../../src/server/policy/privileged.js';
import { canonicalFromApi } from '../../../src/server/policy/resources.js';
import { analyzeShellLine } from './shell-line.js';

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

export class PolicyDecider {
  constructor(
    readonly engine: PolicyEngine,
    readonly unparsable: PolicyAction,
  ) {}

  /** A kubectl argv in broker mode (with or without the leading `kubectl`). */
  kubectl(asker: Asker, argv: string[], options: { defaultNamespace?: string; explain?: boolean } = {}): LineDecision {
    const words = argv[0] === 'kubectl' ? argv.slice(1) : argv;
    const kube = kubectlFacts(words, { defaultNamespace: options.defaultNamespace });
    const decide = (facts: PolicyFacts): PolicyDecision => (options.explain ? this.engine.explain(facts) : this.engine.decide(facts));
    const decisions = kube.map((facts) => decide({ ...base(asker), kube: facts }));
    if (this.engine.hasCommandRules) decisions.push(decide({ ...base(asker), command: { program: 'kubectl', args: words.map((text) => ({ text, dynamic: false })) } }));
    return { ...merge(decisions, this.engine.defaultAction), kube, complete: true, problems: [] };
  }

  /** A shell command line: every simple command, kubectl ones also as Kubernetes operations. */
  shellLine(asker: Asker, line: string, options: { defaultNamespace?: string; explain?: boolean } = {}): LineDecision {
    const analysis = analyzeShellLine(line);
    const decisions: PolicyDecision[] = [];
    const kube: KubeFacts[] = [];
    const decide = (facts: PolicyFacts): PolicyDecision => (options.explain ? this.engine.explain(facts) : this.engine.decide(facts));
    for (const command of analysis.commands) {
      const [program, ...args] = command.words;
      if (!program) continue;
      decisions.push(decide({ ...base(asker), command: { program: program.text, args } }));
      if (baseName(program.text) === 'kubectl' && !program.dynamic) {
        if (args.some((arg) => arg.dynamic)) {
          // kubectl with words only known at run time: the API layer sees what it really does.
          continue;
        }
        const facts = kubectlFacts(args.map((arg) => arg.text), { defaultNamespace: options.defaultNamespace });
        kube.push(...facts);
        for (const item of facts) {
          decisions.push(decide({ ...base(asker), kube: item }));
          if (asker.cluster) decisions.push(decide({ ...base(asker), connection: asker.cluster, kube: item }));
        }
      }
    }
    const restricted = this.engine.restricts(asker.connection) || (asker.cluster !== undefined && this.engine.restricts(asker.cluster));
    const problems = analysis.complete && restricted ? analysis.problems : [];
    if (problems.length > 0) {
      decisions.push({ action: this.unparsable, why: [`the gate cannot fully understand this line: ${problems.join('; ')} (policy.unparsable is ${this.unparsable})`] });
    }
    const merged = merge(decisions, this.engine.defaultAction);
    return { ...merged, kube, complete: analysis.complete, problems };
  }

  /** A Kubernetes API request in the proxy. */
  api(facts: ApiRequestFacts, options: { explain?: boolean } = {}): PolicyDecision & { kube: KubeFacts } {
    const kube = apiKubeFacts(facts);
    const asker: Asker = { identity: facts.identity, connection: facts.connection };
    const policyFacts: PolicyFacts = { ...base(asker), kube };
    return { ...(options.explain ? this.engine.explain(policyFacts) : this.engine.decide(policyFacts)), kube };
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
