/**
 * The fast policy path must decide exactly as the plain one did: random policies, identities,
 * kubectl argvs, shell lines and API requests (built from the rules' own vocabulary plus tricky
 * spellings), each decided by the engine in src and by the frozen reference copy of the old
 * engine, decider and parsers (test/policy/reference). Every field a caller can see is compared:
 * action, deciding rule, reasons, understood operations, completeness, problems, explain matches.
 * Seeded, so a failure names an input that reproduces it.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ApiRequestFacts } from '../../src/server/policy/api-request.js';
import type { Asker } from '../../src/server/policy/decide.js';
import { buildDecider } from '../../src/server/policy/install.js';
import { kubectlFacts } from '../../src/server/policy/kubectl-argv.js';
import { analyzeShellLine } from '../../src/server/policy/shell-line.js';
import { parseDuration } from '../../src/util/duration.js';
import { PolicyDecider as ReferenceDecider } from './reference/decide.js';
import { PolicyEngine as ReferenceEngine } from './reference/engine.js';
import { kubectlFacts as referenceKubectlFacts } from './reference/kubectl-argv.js';
import { analyzeShellLine as referenceAnalyze } from './reference/shell-line.js';
// The bench's 200-rule policy, so the measured shape is also checked.
import { rules } from '../../bench/policy.js';

/** mulberry32: small, seeded, good enough to pick test inputs. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Pick {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  one<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  some<T>(list: readonly T[], max = 3): T[] {
    const count = 1 + this.int(max);
    return Array.from({ length: count }, () => this.one(list));
  }
}

const CONNECTIONS = ['k8s-a', 'k8s-b', 'ops', 'dev-shell', 'k8s-2'];
const USERS = ['alice', 'bob', 'carol'];
const GROUPS = ['dev', 'oncall', 'interns', 'security', 'group-3'];
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', '*', 'DELETE', 'Get', 'escalate'];
const RULE_RESOURCES = ['pods', 'po', 'pod', 'Pods', 'pods/exec', 'pods/log', 'pods/EXEC', 'pods/', 'po/portforward', 'deploy', 'deployments', 'deployments.apps', 'deployments/scale', 'secrets', 'svc', 'services', '*', 'nodes', 'namespaces', 'ns', 'serviceaccounts/token', 'widgets.example.com', 'jobs', 'cronjobs.batch', 'horizontalpodautoscalers', 'pods/ephemeralcontainers', 'pods/eviction', 'configmaps', 'ingresses'];
const NAMESPACES = ['default', 'kube-system', 'prod', 'team-4', 'team-9'];
const NAMES = ['web-1', 'db', 'x', 'worker-1', 'web'];
const COMMAND_PATTERNS = ['rm -r', 'rm --recursive', 'rm -f', 'dd of=/dev/*', 'kubectl delete', 'kubectl * -n', 'kubectl', 'r? -f', 'tool* --force', 'tool7 --force', '/bin/rm', '*', 'curl *example*', '[rc]m -r', '[!x]m', 'bash', 'python3 -c', 'echo', 'cat /etc/*', 'kubectl --namespace', 'sudo', 'env', 'ls -l', 'grep h', '*sh -c', 'rm /data3/*'];

function randomRule(pick: Pick, index: number): Record<string, unknown> {
  const match: Record<string, unknown> = {};
  const kube = pick.chance(0.6);
  if (pick.chance(0.6)) match.connection = pick.chance(0.7) ? pick.one(CONNECTIONS) : pick.some(CONNECTIONS);
  if (pick.chance(0.1)) match.users = pick.some(USERS, 2);
  if (pick.chance(0.2)) match.groups = pick.some(GROUPS, 2);
  if (kube) {
    if (pick.chance(0.7)) match.verbs = pick.some(VERBS);
    if (pick.chance(0.7)) match.resources = pick.some(RULE_RESOURCES);
    if (pick.chance(0.3)) match.namespaces = pick.some(NAMESPACES, 2);
    if (pick.chance(0.15)) match.names = pick.some(NAMES, 2);
    if (pick.chance(0.15)) match.privileged = pick.chance(0.7);
  } else if (pick.chance(0.85)) match.commands = pick.some(COMMAND_PATTERNS);
  // Now and then a rule that mixes both kinds (it can never match) or matches everything.
  if (pick.chance(0.03)) match.commands = pick.some(COMMAND_PATTERNS);
  const action = pick.one(['allow', 'allow', 'review', 'review', 'deny'] as const);
  return {
    name: `r${index}`,
    match,
    action,
    ...(action === 'review' ? { approvers: { groups: pick.some(GROUPS, 2), count: 1 + pick.int(2) } } : {}),
    ...(pick.chance(0.2) ? { timeout: pick.one(['30s', '15m', '2h']) } : {}),
  };
}

function randomPolicy(pick: Pick): { default: 'allow' | 'review' | 'deny'; unparsable: 'allow' | 'review' | 'deny'; rules: Record<string, unknown>[] } {
  const count = pick.one([0, 1, 2, 3, 5, 8, 12, 20, 60]);
  return {
    default: pick.one(['allow', 'allow', 'review', 'deny'] as const),
    unparsable: pick.one(['allow', 'review', 'deny'] as const),
    rules: Array.from({ length: count }, (_, index) => randomRule(pick, index)),
  };
}


function randomAsker(pick: Pick): Asker {
  const groups = pick.chance(0.2) ? [] : [...new Set(pick.some(GROUPS, 3))];
  return {
    identity: { user: pick.one(USERS), groups, issuer: 'x', ...(pick.chance(0.2) ? { actor: 'agent-1' } : {}) },
    connection: pick.one(CONNECTIONS),
    ...(pick.chance(0.3) ? { cluster: pick.one(CONNECTIONS) } : {}),
  };
}

const SUBCOMMANDS = ['get', 'describe', 'top', 'delete', 'create', 'apply', 'replace', 'patch', 'edit', 'label', 'annotate', 'set', 'scale', 'autoscale', 'rollout', 'run', 'expose', 'exec', 'attach', 'port-forward', 'cp', 'logs', 'debug', 'drain', 'cordon', 'uncordon', 'taint', 'version', 'config', 'auth', 'krew', 'frobnicate'];
const RESOURCE_WORDS = ['pod', 'pods', 'po', 'Pods', 'po/web-1', 'pod/web-1', 'pods/db', 'svc/web', 'pods,svc', 'pods,,svc', 'deploy', 'deploy/web', 'deployment/web', 'deployments.apps/web', 'deployments.v1.apps', 'pods.v1.', 'secret', 'secrets', 'ns', 'namespace', 'namespaces', 'node/worker-1', 'nodes/worker-1', 'no', 'generic', 'clusterip', 'token', 'sa', 'cm', 'configmap', 'job', 'cj', 'hpa', 'widgets.example.com', 'restart', 'status', 'history', 'image', 'web-1:/tmp', 'pod/web-1:/tmp', '/tmp/x', 'web-1', 'db', 'x', 'edit-last-applied', 'set-last-applied', 'quota', 'pdb', 'priorityclass', 'ingress'];
const FLAG_GROUPS: string[][] = [
  ['-n', 'prod'], ['-nkube-system'], ['-n=team-4'], ['--namespace=kube-system'], ['--namespace', 'team-9'], ['-A'], ['--all-namespaces'], ['--all-namespaces=false'], ['--all-namespaces=true'],
  ['-l', 'app=web'], ['-lapp=web'], ['--selector=app=web'], ['--all'], ['--all=false'], ['--field-selector', 'x=y'], ['-f', '-'], ['-f', 'pod.yaml'], ['--filename=x.yaml'], ['-k', 'dir'],
  ['-it'], ['-ti'], ['-itn', 'prod'], ['-An'], ['-nA'], ['-w'], ['--watch'], ['--watch-only'], ['--privileged'], ['--privileged=false'], ['--overrides={"spec":{"hostNetwork":true}}'],
  ['--overrides', '{"spec":{"containers":[{"name":"c","securityContext":{"privileged":true}}]}}'], ['--overrides={bad'], ['--profile=sysadmin'], ['--profile', 'netadmin'], ['--profile=general'],
  ['--', 'sh', '-c', 'rm -rf /'], ['--replicas=3'], ['--replicas', '0'], ['-c', 'app'], ['-o', 'yaml'], ['-oyaml'], ['--image=busybox'], ['--name', 'web'], ['--name=svc-1'], ['--context', 'prod'],
  ['-v=9'], ['-v', '9'], ['--server-side'], ['--server-side=true'], ['-p', '{"spec":{}}'], ['--type=merge'], ['-'], ['--dry-run=client'], ['-x'], ['--force'], ['--grace-period=0'], ['-R'],
];

function randomArgv(pick: Pick): string[] {
  const words: string[] = [];
  if (pick.chance(0.3)) words.push('kubectl');
  const parts: string[][] = [];
  if (pick.chance(0.2)) parts.push(pick.one(FLAG_GROUPS));
  parts.push([pick.one(SUBCOMMANDS)]);
  const positional = pick.int(4);
  for (let i = 0; i < positional; i++) parts.push([pick.one([...RESOURCE_WORDS, ...NAMES, ...NAMESPACES])]);
  const flags = pick.int(4);
  for (let i = 0; i < flags; i++) parts.splice(1 + pick.int(parts.length), 0, pick.one(FLAG_GROUPS));
  for (const part of parts) words.push(...part);
  if (pick.chance(0.05)) words.push(...pick.one(FLAG_GROUPS).slice(0, 1)); // a value flag with its value missing
  return words;
}

const SIMPLE_COMMANDS = [
  'ls -la /tmp', 'rm -rf /tmp/x', 'rm -fr /data3/x', 'rm -r -f x', 'rm --recursive x', 'rm x', '/bin/rm -rf x', 'tool7 --force', 'tool12 --force=yes', 'dd if=/dev/zero of=/dev/sda', 'echo hi', 'grep h',
  'cat /etc/passwd', 'curl https://example.com', 'cm -r x', 'python3 -c "print(1)"', 'perl -e 1', 'node --eval 1', 'awk 1', 'cd /srv', 'true', 'false', 'sudo -u root rm -rf /', 'doas rm -r x',
  'env A=1 B=2 rm -rf x', 'env -u X kubectl get pods', 'env -S "rm -rf x"', 'nice -n 5 timeout 10 rm -rf x', 'timeout -s KILL 5 tool7 --force', 'xargs rm', 'xargs -n 1 kubectl delete pod', 'watch kubectl get pods',
  'watch -n 1 "rm -rf x"', 'command -v rm', 'command rm -rf x', 'exec rm -r x', 'nohup rm -r x', 'stdbuf -o0 rm -r x', 'chroot /x rm -r y', 'flock /tmp/l rm -r x', 'busybox sh -c "rm -r x"', 'busybox rm -r x',
  'bash', 'bash -c "rm -rf x"', "sh -c 'kubectl delete secret db -n kube-system'", 'bash -lc "tool7 --force"', 'bash -o pipefail -c "rm -r x"', 'bash ./script.sh', 'bash -c "$X"', 'bash $X',
  'eval rm -rf x', "eval 'kubectl -n kube-system delete secret db'", 'eval "$X"', 'source x.sh', '. ./x.sh', 'alias k=kubectl', 'alias', 'A=1', 'A=1 rm -rf x', 'A+=1 tool7 --force', '"A=1" rm',
  '$CMD -rf x', '${CMD} x', '$(printf rm) -rf x', 'r$X -rf x', 'rm $FLAGS x', 'rm "$@" x', 'rm ${X:-x}', 'rm $((1+2))', "$'\\x72\\x6d' -rf x", "$'\\162m' -r x", "$'r\\cm'", 'r\\m -rf x', '"rm" -rf x',
  "r'm' -rf x", 'r"m" -rf x', 'r* -rf x', 'r{m,x} -rf', 'kubectl get pods', 'kubectl delete pod web-1 -n team-4', 'kubectl -n kube-system delete secret db', 'kubectl delete secret $S -n kube-system',
  '$K delete pod x', 'KUBECONFIG=x kubectl delete secret db -n kube-system', 'kubectl exec -it web-1 -- sh', 'kubectl run x --image=busybox --privileged', 'kubectl scale deploy web --replicas=0',
  '/usr/bin/kubectl delete po x', 'kubectl "delete" pod x', 'kubectl delete pod "$(cat name)"', 'cat <<EOF\nrm -rf x\nEOF', 'bash <<EOF\nrm -rf x\nEOF', 'bash <<\'EOF\'\nrm -r $X\nEOF', 'sh <<-EOF\n\trm -r x\n\tEOF',
  'bash <<< "rm -rf x"', 'bash <<< $X', 'bash < x.sh', 'bash 0<x.sh', 'sh <&3', 'cat <<EOF\n$(rm -rf x)\nEOF', 'cat <<EOF', 'cat << "E"\n`rm -r x`\nE', 'cat <<', 'echo `rm -rf x`', 'echo "$(rm -rf x)"',
  'echo "`tool7 --force`"', 'echo $(echo $(rm -rf x))', 'diff <(rm -r x) >(tool7 --force)', 'echo ${X:-$(rm -r x)}', 'echo $((X+$(rm -r x)))', 'echo "unterminated', "echo 'unterminated", 'echo $(ls',
  'echo `ls', 'rm -rf \\', 'echo a\\\nb', 'echo # rm -rf x', 'echo a#b', 'echo "a;rm -rf x"', "echo 'a|rm -r x'", 'echo a\\;rm -r x', 'echo ${X', 'echo $\'abc', '2>&1 rm -r x', 'rm -r x >/dev/null 2>&1',
  'rm -r x &>log', 'echo x >|f', '<in rm -r x', 'echo x >& 2', 'cat 3<>f', 'nuke() { rm -rf "$1"; }', 'function nuke { rm -r x; }', 'case $x in a) rm -r x;; esac', '[[ -f x ]]', '(( x++ ))', 'time rm -r x',
  '! rm -r x', 'echo $', 'echo $1 $@ $* $# $? $$ $! $-', 'echo ~', '\\', '"', "'", '`', '$(', '${', ')', 'fi', 'done', '}', 'esac',
];
const CONNECTORS = ['; ', ' && ', ' || ', ' | ', ' |& ', ' & ', '\n', ';'];

function compound(pick: Pick, depth = 0): string {
  const roll = pick.int(depth > 2 ? 3 : 10);
  const simple = (): string => pick.one(SIMPLE_COMMANDS);
  switch (roll) {
    case 0:
    case 1:
    case 2:
      return simple();
    case 3:
      return `(${compound(pick, depth + 1)})`;
    case 4:
      return `{ ${compound(pick, depth + 1)}; }`;
    case 5:
      return `if ${compound(pick, depth + 1)}; then ${compound(pick, depth + 1)}; ${pick.chance(0.3) ? `else ${simple()}; ` : ''}fi`;
    case 6:
      return `for f in ${pick.one(['a b', '-r -v', '$(ls)', '"$@"'])}; do ${compound(pick, depth + 1)}; done`;
    case 7:
      return `while ${simple()}; do ${compound(pick, depth + 1)}; done`;
    case 8:
      return `echo $(${compound(pick, depth + 1)})`;
    default:
      return `${pick.one(['bash -c', 'sh -c', 'eval'])} ${pick.chance(0.5) ? `"${compound(pick, depth + 1).replace(/["\\$`]/g, '\\$&')}"` : `'${compound(pick, depth + 1).replace(/'/g, '')}'`}`;
  }
}

function randomLine(pick: Pick): string {
  const roll = pick.int(10);
  if (roll === 0) {
    // Raw fuzz: shell metacharacters and words in random order.
    const alphabet = [' ', ' ', 'rm', '-rf', 'x', 'kubectl', 'delete', 'pod', ';', '&', '|', '(', ')', '{', '}', '<', '>', '<<', 'EOF', '\n', '"', "'", '`', '$', '$(', '${', '\\', '#', '=', 'A=1', '*', '?', '[', ']', '\t', '-n', 'kube-system', 'secret', 'bash', '-c', 'eval', 'sudo', '2>&1', '<<<', '$\'', '\\x72'];
    return Array.from({ length: 1 + pick.int(14) }, () => pick.one(alphabet)).join(pick.chance(0.5) ? '' : ' ');
  }
  if (roll === 1) return `kubectl ${randomArgv(pick).filter((word) => word !== 'kubectl').map((word) => (/[\s"'{}$;&|<>()]/.test(word) ? `'${word.replace(/'/g, '')}'` : word)).join(' ')}`;
  if (roll < 6) return roll < 4 ? pick.one(SIMPLE_COMMANDS) : `${pick.one(SIMPLE_COMMANDS)}${pick.one(CONNECTORS)}${pick.one(SIMPLE_COMMANDS)}`;
  const count = 1 + pick.int(3);
  let line = compound(pick);
  for (let i = 1; i < count; i++) line += pick.one(CONNECTORS) + compound(pick);
  if (pick.chance(0.05)) line += pick.one([' |', ' &&', ' \\', ' #x', '  ']);
  if (pick.chance(0.05)) line = `  ${line}`;
  return line;
}

const API_RESOURCES: [string, string][] = [['pods', ''], ['secrets', ''], ['services', ''], ['namespaces', ''], ['nodes', ''], ['deployments', 'apps'], ['deployments', 'extensions'], ['cronjobs', 'batch'], ['widgets', 'example.com'], ['Pods', ''], ['serviceaccounts', ''], ['horizontalpodautoscalers', 'autoscaling']];
const BODIES: unknown[] = [
  undefined,
  { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', securityContext: { privileged: true } }] } },
  { kind: 'Pod', spec: { containers: [{ name: 'c' }] } },
  { kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { volumes: [{ name: 'root', hostPath: { path: '/' } }] } } } },
  { kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: { hostPID: true } } } } } },
  { kind: 'List', items: [{ kind: 'Pod', spec: { hostNetwork: true } }] },
  { name: 'debugger', securityContext: { capabilities: { add: ['sys_admin'] } } },
  'not an object',
  null,
];

function randomApi(pick: Pick, asker: Asker): ApiRequestFacts {
  const [resource, apiGroup] = pick.one(API_RESOURCES);
  const name = pick.chance(0.6) ? pick.one(NAMES) : undefined;
  const namespace = pick.chance(0.8) ? pick.one(NAMESPACES) : undefined;
  const subresource = pick.chance(0.2) ? pick.one(['exec', 'log', 'scale', 'portforward', 'ephemeralcontainers', 'token', 'EXEC']) : undefined;
  return {
    sessionId: 's',
    connection: asker.connection,
    identity: asker.identity,
    verb: pick.one(VERBS),
    resource,
    apiGroup,
    ...(subresource ? { subresource } : {}),
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
    ...(pick.chance(0.4) ? { body: pick.one(BODIES) } : {}),
    description: 'x',
  };
}

/** Equal, or a failure that shows the input (built only then: the inputs are large). */
function same(actual: unknown, expected: unknown, where: () => string, strict = false): void {
  if (isDeepStrictEqual(actual, expected)) return;
  if (strict) expect(actual, where()).toStrictEqual(expected);
  else expect(actual, where()).toEqual(expected);
}

/** A result or the message it threw (some inputs throw, and callers then refuse: that must not change either). */
function outcome<T>(run: () => T): { value: T } | { threw: string } {
  try {
    return { value: run() };
  } catch (error) {
    return { threw: (error as Error).message };
  }
}

/** Everything a caller of a decision can see, as plain data. */
interface RuleView {
  index: number;
  name: string;
  action: string;
  approvers?: unknown;
  timeoutSeconds: number;
}
interface DecisionView {
  action: string;
  rule?: RuleView;
  why: readonly string[];
  kube?: unknown;
  complete?: boolean;
  problems?: string[];
  matches?: { rule: RuleView; why: string[] }[];
}

function visible(decision: DecisionView): unknown {
  return {
    action: decision.action,
    rule: decision.rule ? [decision.rule.index, decision.rule.name, decision.rule.action, decision.rule.approvers, decision.rule.timeoutSeconds] : undefined,
    why: [...decision.why],
    kube: decision.kube,
    complete: decision.complete,
    problems: decision.problems,
    matches: decision.matches?.map((match) => [match.rule.index, match.rule.name, match.why]),
  };
}

function deciders(policy: { default: 'allow' | 'review' | 'deny'; unparsable: 'allow' | 'review' | 'deny'; rules: Record<string, unknown>[] }) {
  const config = parseConfig({ policy }, 'differential');
  const fast = buildDecider(config.policy);
  // The gateway warms its decider up at start; that must not change a decision.
  fast.warmUp();
  return { fast, reference: new ReferenceDecider(ReferenceEngine.fromConfig(config.policy, parseDuration), config.policy.unparsable) };
}

const POLICIES = 40;
const INPUTS_PER_POLICY = 150;

describe('the fast policy path decides exactly as the reference', () => {
  it('kubectl argvs: the same understood operations, every time', () => {
    const pick = new Pick(random(1));
    for (let i = 0; i < 20_000; i++) {
      const argv = randomArgv(pick).filter((word) => word !== 'kubectl');
      const options = pick.chance(0.5) ? { defaultNamespace: pick.one(NAMESPACES) } : {};
      same(kubectlFacts(argv, options), referenceKubectlFacts(argv, options), () => JSON.stringify(argv), true);
    }
  });

  it('shell lines: the same commands, completeness and problems, every time', () => {
    const pick = new Pick(random(2));
    for (let i = 0; i < 20_000; i++) {
      const line = randomLine(pick);
      same(outcome(() => analyzeShellLine(line)), outcome(() => referenceAnalyze(line)), () => JSON.stringify(line), true);
    }
  });

  it('decisions on random policies: kubectl, shell lines and API requests, plain and explained', () => {
    const pick = new Pick(random(3));
    let compared = 0;
    const policies = Array.from({ length: POLICIES }, () => randomPolicy(pick));
    policies.push({ default: 'allow', unparsable: 'review', rules: rules(200) });
    policies.push({ default: 'deny', unparsable: 'deny', rules: rules(40) });
    for (const policy of policies) {
      const { fast, reference } = deciders(policy);
      for (const connection of CONNECTIONS) expect(fast.engine.restricts(connection), connection).toBe(reference.engine.restricts(connection));
      for (let i = 0; i < INPUTS_PER_POLICY; i++) {
        const asker = randomAsker(pick);
        const explain = pick.chance(0.15);
        const options = { explain, ...(pick.chance(0.5) ? { defaultNamespace: pick.one(NAMESPACES) } : {}) };
        const argv = randomArgv(pick);
        const where = (input: unknown): string => JSON.stringify({ policy, asker, options, input });
        same(outcome(() => visible(fast.kubectl(asker, argv, options))), outcome(() => visible(reference.kubectl(asker, argv, options))), () => where(argv));
        const line = randomLine(pick);
        same(outcome(() => visible(fast.shellLine(asker, line, options))), outcome(() => visible(reference.shellLine(asker, line, options))), () => where(line));
        const request = randomApi(pick, asker);
        same(visible(fast.api(request, { explain })), visible(reference.api(request, { explain })), () => where(request));
        compared += 3;
      }
    }
    expect(compared).toBe((POLICIES + 2) * INPUTS_PER_POLICY * 3);
  });

  it('engine decisions on raw facts, odd ones included (no resource, empty names, -A, paths, run-time words)', () => {
    const pick = new Pick(random(4));
    const programs = ['rm', '/bin/rm', './rm', 'kubectl', '/usr/local/bin/kubectl', 'tool7', 'dd', 'echo', '', 'r', 'sh', 'bash', 'x/', 'cm'];
    const args = ['-r', '-rf', '-fr', '--recursive', '--force', '--force=yes', 'of=/dev/sda', '/data3/x', '/etc/passwd', '-n', 'kube-system', 'x', '', '-', '--namespace=prod', '-f'];
    for (let p = 0; p < POLICIES; p++) {
      const policy = randomPolicy(pick);
      const { fast, reference } = deciders(policy);
      for (let i = 0; i < INPUTS_PER_POLICY; i++) {
        const asker = randomAsker(pick);
        const base = { connection: asker.connection, user: asker.identity.user, groups: asker.identity.groups };
        const kube = {
          verb: pick.one(VERBS),
          ...(pick.chance(0.85) ? { resource: pick.one(['pods', 'secrets', 'deployments.apps', 'services', 'nodes', 'namespaces', 'widgets.example.com', 'serviceaccounts', 'Pods', '']) } : {}),
          ...(pick.chance(0.3) ? { subresource: pick.one(['exec', 'log', 'scale', 'token', 'portforward', 'EXEC', '']) } : {}),
          ...(pick.chance(0.85) ? { namespace: pick.one([...NAMESPACES, '*', '']) } : {}),
          ...(pick.chance(0.6) ? { names: pick.chance(0.2) ? [] : pick.some(NAMES, 3) } : {}),
          ...(pick.chance(0.5) ? { privileged: pick.chance(0.5) } : {}),
        };
        const command = { program: pick.one(programs), args: Array.from({ length: pick.int(4) }, () => ({ text: pick.one(args), dynamic: pick.chance(0.1) })) };
        for (const facts of [{ ...base, kube }, { ...base, command }, { ...base }, { ...base, kube, command }]) {
          const where = (): string => JSON.stringify({ policy, facts });
          same(visible(fast.engine.decide(facts)), visible(reference.engine.decide(facts)), where);
          if (i % 10 === 0) same(visible(fast.engine.explain(facts)), visible(reference.engine.explain(facts)), where);
        }
      }
    }
  });

  it('the same strictest rule on the bench policy for every verb, resource, namespace and group mix', () => {
    const { fast, reference } = deciders({ default: 'allow', unparsable: 'review', rules: rules(200) });
    const verbs = ['get', 'list', 'create', 'update', 'patch', 'delete', 'deletecollection', 'watch'];
    const resources: [string, string][] = [['pods', ''], ['deployments', 'apps'], ['services', ''], ['secrets', ''], ['configmaps', ''], ['statefulsets', 'apps'], ['jobs', 'batch'], ['ingresses', 'networking.k8s.io']];
    for (let connection = 0; connection < 6; connection++) {
      for (const verb of verbs) {
        for (const [resource, apiGroup] of resources) {
          for (let team = 0; team < 18; team += 3) {
            const groups = team % 2 ? [`group-${team % 7}`, 'dev'] : [];
            const request: ApiRequestFacts = { sessionId: 's', connection: `k8s-${connection}`, identity: { user: 'u', groups, issuer: 'x' }, verb, resource, apiGroup, namespace: `team-${team}`, description: 'x' };
            same(visible(fast.api(request)), visible(reference.api(request)), () => JSON.stringify(request));
          }
        }
      }
    }
  });
});
