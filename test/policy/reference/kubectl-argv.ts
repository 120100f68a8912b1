// FROZEN REFERENCE (test only): src/server/policy/kubectl-argv.ts as of bc84b6f, before the speed work of issue 10.
// The differential test (test/policy/differential.test.ts) holds the fast engine to these exact decisions.
// Do not optimise or fix this copy: it is the definition of "the same decisions as before".
/**
 * Understands a kubectl argv (without the leading `kubectl`) the way kubectl does: global flags
 * anywhere (`-n x`, `-nx`, `--namespace=x`, `-A`), `TYPE NAME…`, `TYPE/NAME`, `TYPE1,TYPE2`,
 * selectors, and the subcommands that hide their verb (`exec` = create pods/exec, `scale` = patch
 * …/scale). Returns one KubeFacts per resource the command touches. Manifests given with `-f`
 * (files, URLs, stdin) are not read here: the API layer decides on what they contain.
 * Never throws: what it cannot place is left unknown, and unknown matches conservatively.
 */
import { ANY_NAMESPACE, type KubeFacts } from '../../../src/server/policy/facts.js';
import { privilegeOf } from '../../../src/server/policy/privileged.js';
import { canonicalResource } from '../../../src/server/policy/resources.js';

/** Flags that take a value in the next word (unless written `--flag=value`). */
const VALUE_FLAGS = new Set([
  '-n', '--namespace', '--context', '--cluster', '--user', '--kubeconfig', '-s', '--server', '--token', '--as', '--as-group', '--as-uid',
  '--request-timeout', '--cache-dir', '--certificate-authority', '--client-certificate', '--client-key', '--tls-server-name', '-v', '--v',
  '--vmodule', '--log-dir', '--log-file', '--profile', '--profile-output', '--password', '--username', '--log-flush-frequency',
  '-l', '--selector', '-f', '--filename', '-o', '--output', '--field-selector', '-c', '--container', '--image', '--replicas', '--type',
  '-p', '--patch', '--patch-file', '--grace-period', '--timeout', '--overrides', '--env', '--port', '--labels', '--restart', '--sort-by',
  '--template', '-k', '--kustomize', '--cascade', '--current-replicas', '--resource-version', '--since', '--since-time', '--tail',
  '--to-revision', '--from-literal', '--from-file', '--from-env-file', '--docker-server', '--docker-username', '--docker-password',
  '--docker-email', '--chunk-size', '--field-manager', '--subresource', '--limits', '--requests', '--serviceaccount',
  '--pod-running-timeout', '--target', '--hostport', '--protocol', '--target-port', '--name', '--external-ip', '--cluster-ip',
  '--min', '--max', '--cpu-percent', '--revision', '--schedule', '--from', '--clusterrole', '--role', '--group', '--verb', '--resource',
  '--resource-name', '--copy-to', '--set-image', '--filename', '--prune-allowlist', '--selector', '--max-log-requests', '--pod-selector',
  '--for', '--key', '--cert', '--show-managed-fields', '--allow-missing-template-keys', '--output-watch-events', '--server-side',
  '--image-pull-policy', '--annotations', '--session-affinity', '--load-balancer-ip', '--delete-emptydir-data', '--skip-wait-for-delete-timeout',
]);

/** Boolean flags that look like value flags when written with `=` only. */
const BOOLEAN_FLAGS_WITH_OPTIONAL_VALUE = new Set(['--server-side', '--show-managed-fields', '--allow-missing-template-keys', '--output-watch-events', '--delete-emptydir-data']);

const CLUSTER_SCOPED = new Set([
  'nodes', 'namespaces', 'persistentvolumes', 'clusterroles.rbac.authorization.k8s.io', 'clusterrolebindings.rbac.authorization.k8s.io',
  'storageclasses.storage.k8s.io', 'customresourcedefinitions.apiextensions.k8s.io', 'ingressclasses.networking.k8s.io',
]);

export interface KubectlArgs {
  subcommand: string[];
  positionals: string[];
  flags: Map<string, string[]>;
  namespace?: string;
}

/** Splits flags from positionals; global flags may appear anywhere. */
export function splitKubectlArgs(argv: string[]): KubectlArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (flag: string, value: string): void => {
    const list = flags.get(flag) ?? [];
    list.push(value);
    flags.set(flag, list);
  };
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]!;
    if (word === '--') {
      // Everything after `--` is the container command of exec/run/debug: not kubectl's business.
      flags.set('--', argv.slice(index + 1));
      break;
    }
    if (word.startsWith('--') && word.length > 2) {
      const equals = word.indexOf('=');
      if (equals > 0) add(word.slice(0, equals), word.slice(equals + 1));
      else if (VALUE_FLAGS.has(word) && !BOOLEAN_FLAGS_WITH_OPTIONAL_VALUE.has(word)) add(word, argv[++index] ?? '');
      else add(word, 'true');
      continue;
    }
    if (word.startsWith('-') && word.length > 1 && word !== '-') {
      // Short flags: `-n x`, `-nx`, `-n=x`, clusters of booleans (`-it`, `-A`).
      const letters = word.slice(1);
      for (let position = 0; position < letters.length; position++) {
        const flag = `-${letters[position]}`;
        if (VALUE_FLAGS.has(flag)) {
          const rest = letters.slice(position + 1).replace(/^=/, '');
          add(flag, rest !== '' ? rest : argv[++index] ?? '');
          break;
        }
        add(flag, 'true');
      }
      continue;
    }
    positionals.push(word);
  }
  const namespaceValues = [...(flags.get('-n') ?? []), ...(flags.get('--namespace') ?? [])];
  const allNamespaces = flags.has('-A') || flags.get('--all-namespaces')?.some((value) => value !== 'false');
  const namespace = allNamespaces ? ANY_NAMESPACE : namespaceValues.at(-1);
  return { subcommand: [], positionals, flags, namespace };
}

function flag(args: KubectlArgs, ...names: string[]): string[] {
  return names.flatMap((name) => args.flags.get(name) ?? []);
}

function hasFlag(args: KubectlArgs, ...names: string[]): boolean {
  return flag(args, ...names).some((value) => value !== 'false');
}

interface Target {
  resource: string;
  names?: string[];
}

/** `pods x y`, `pod/x svc/y`, `pods,svc` (names undefined), `deploy` → targets. */
function targets(positionals: string[], byNameOnly: boolean): Target[] {
  if (positionals.length === 0) return [];
  if (positionals.some((word) => word.includes('/'))) {
    const byResource = new Map<string, string[]>();
    for (const word of positionals) {
      const [type = '', name = ''] = word.split('/', 2);
      const resource = canonicalResource(type);
      byResource.set(resource, [...(byResource.get(resource) ?? []), ...(name ? [name] : [])]);
    }
    return [...byResource].map(([resource, names]) => ({ resource, names: names.length > 0 ? names : undefined }));
  }
  const [types, ...names] = positionals;
  return types!.split(',').filter(Boolean).map((type) => ({ resource: canonicalResource(type), names: names.length > 0 || byNameOnly ? names : undefined }));
}

const CREATE_TYPES: Record<string, string> = {
  deployment: 'deployments.apps', deploy: 'deployments.apps', service: 'services', svc: 'services', secret: 'secrets', configmap: 'configmaps',
  cm: 'configmaps', namespace: 'namespaces', ns: 'namespaces', job: 'jobs.batch', cronjob: 'cronjobs.batch', cj: 'cronjobs.batch',
  role: 'roles.rbac.authorization.k8s.io', rolebinding: 'rolebindings.rbac.authorization.k8s.io', clusterrole: 'clusterroles.rbac.authorization.k8s.io',
  clusterrolebinding: 'clusterrolebindings.rbac.authorization.k8s.io', serviceaccount: 'serviceaccounts', sa: 'serviceaccounts',
  quota: 'resourcequotas', resourcequota: 'resourcequotas', ingress: 'ingresses.networking.k8s.io', ing: 'ingresses.networking.k8s.io',
  poddisruptionbudget: 'poddisruptionbudgets.policy', pdb: 'poddisruptionbudgets.policy', priorityclass: 'priorityclasses.scheduling.k8s.io',
};
/** `create secret generic NAME`, `create service clusterip NAME`: one more word before the name. */
const CREATE_WITH_KIND = new Set(['secrets', 'services']);

const READ_ONLY = new Set(['version', 'api-resources', 'api-versions', 'cluster-info', 'explain', 'config', 'completion', 'plugin', 'help', 'kustomize', 'options', 'auth', 'alpha', 'certificate', 'diff', 'wait', 'events']);

/** Privilege asked for on the kubectl command line (`run --privileged`, overrides, debug profiles). */
function commandLinePrivilege(args: KubectlArgs, sub: string): string | undefined {
  if (hasFlag(args, '--privileged')) return '--privileged';
  for (const overrides of flag(args, '--overrides')) {
    try {
      const why = privilegeOf(JSON.parse(overrides));
      if (why) return `--overrides: ${why}`;
    } catch {
      return '--overrides is not valid JSON';
    }
  }
  if (sub === 'debug') {
    const profile = flag(args, '--profile').at(-1);
    if (profile === 'sysadmin' || profile === 'netadmin') return `debug --profile=${profile}`;
    if (args.positionals.some((word) => /^(node|nodes|no)\//.test(word))) return 'debug of a node runs a pod with host namespaces';
  }
  return undefined;
}

export interface KubectlOptions {
  /** Namespace when the command names none (the session kubeconfig's, usually `default`). */
  defaultNamespace?: string;
}

/** The Kubernetes operations a kubectl argv asks for (argv without `kubectl`). */
export function kubectlFacts(argv: string[], options: KubectlOptions = {}): KubeFacts[] {
  const args = splitKubectlArgs(argv);
  const [sub = '', ...rest] = args.positionals;
  const namespaceOf = (resource: string, names?: string[]): string | undefined => {
    if (resource === 'namespaces') return names?.length === 1 ? names[0] : names === undefined ? ANY_NAMESPACE : undefined;
    if (CLUSTER_SCOPED.has(resource)) return undefined;
    return args.namespace ?? options.defaultNamespace ?? 'default';
  };
  const fromFile = flag(args, '-f', '--filename', '-k', '--kustomize').length > 0;
  const selected = hasFlag(args, '-l', '--selector', '--all', '--field-selector');
  const build = (verb: string, target: Target | undefined, extra: Partial<KubeFacts> = {}): KubeFacts => {
    const names = target ? (selected && (target.names?.length ?? 0) === 0 ? undefined : target.names) : undefined;
    return {
      verb,
      ...(target ? { resource: target.resource, namespace: namespaceOf(target.resource, names) } : { namespace: args.namespace ?? options.defaultNamespace ?? 'default' }),
      ...(names ? { names } : {}),
      ...extra,
    };
  };
  const fromTargets = (verb: string, list: Target[], extra: Partial<KubeFacts> = {}): KubeFacts[] => {
    if (fromFile || list.length === 0) return [build(verb, undefined, extra)];
    return list.map((target) => build(verb, target, extra));
  };

  switch (sub) {
    case 'get':
    case 'describe':
    case 'top': {
      const list = sub === 'top' ? targets(rest.length ? rest : ['pods'], false) : targets(rest, false);
      const facts = list.map((target) => build(target.names?.length ? 'get' : 'list', target));
      if (hasFlag(args, '-w', '--watch', '--watch-only')) facts.push(...list.map((target) => build('watch', target)));
      return fromFile ? [build('get', undefined)] : facts;
    }
    case 'delete':
      return fromTargets('delete', targets(rest, false));
    case 'create': {
      const [kind, ...after] = rest;
      if (fromFile || !kind) return [build('create', undefined)];
      const resource = CREATE_TYPES[kind] ?? canonicalResource(kind);
      const name = CREATE_WITH_KIND.has(resource) ? after[1] : after[0];
      if (kind === 'token') return [build('create', { resource: 'serviceaccounts', names: after.slice(0, 1) }, { subresource: 'token' })];
      return [build('create', { resource, names: name ? [name] : [] })];
    }
    case 'apply':
    case 'replace': {
      if (rest[0] === 'edit-last-applied' || rest[0] === 'set-last-applied') return fromTargets('patch', targets(rest.slice(1), true));
      const verbs = sub === 'apply' ? ['create', 'patch'] : ['update'];
      return verbs.map((verb) => build(verb, undefined));
    }
    case 'patch':
    case 'edit':
    case 'label':
    case 'annotate':
      return fromTargets('patch', targets(rest, false));
    case 'set':
      return fromTargets('patch', targets(rest.slice(1), false));
    case 'scale':
      return fromTargets('patch', targets(rest, false), { subresource: 'scale' });
    case 'autoscale':
      return [build('create', { resource: 'horizontalpodautoscalers.autoscaling', names: rest.slice(0, 1).map((word) => word.split('/').pop()!) })];
    case 'rollout': {
      const [action = '', ...more] = rest;
      const verb = action === 'status' || action === 'history' ? 'get' : 'patch';
      return fromTargets(verb, targets(more, false));
    }
    case 'run': {
      const why = commandLinePrivilege(args, sub);
      return [build('create', { resource: 'pods', names: rest.slice(0, 1) }, { privileged: why !== undefined, ...(why ? { privilegedWhy: why } : {}) })];
    }
    case 'expose':
      return [build('create', { resource: 'services', names: flag(args, '--name').slice(-1) })];
    case 'exec':
    case 'attach':
    case 'port-forward':
    case 'cp': {
      const subresource = sub === 'port-forward' ? 'portforward' : sub === 'cp' ? 'exec' : sub;
      const podWord = sub === 'cp' ? rest.map((word) => /^([^/:]+\/)?([^:/]+):/.exec(word)?.[2]).find(Boolean) : rest[0];
      const pod = podWord && !podWord.includes('/') ? podWord : podWord?.startsWith('pod/') || podWord?.startsWith('pods/') || podWord?.startsWith('po/') ? podWord.split('/')[1] : undefined;
      return [build('create', { resource: 'pods', names: pod ? [pod] : undefined }, { subresource })];
    }
    case 'logs': {
      const podWord = rest[0];
      const pod = podWord && !podWord.includes('/') ? podWord : undefined;
      return [build('get', { resource: 'pods', names: pod ? [pod] : undefined }, { subresource: 'log' })];
    }
    case 'debug': {
      const why = commandLinePrivilege(args, sub);
      const privileged = { privileged: why !== undefined, ...(why ? { privilegedWhy: why } : {}) };
      return [build('create', { resource: 'pods' }, privileged), build('patch', { resource: 'pods', names: rest.slice(0, 1).filter((word) => !word.includes('/')) }, { subresource: 'ephemeralcontainers', ...privileged })];
    }
    case 'drain':
      return [build('patch', { resource: 'nodes', names: rest.slice(0, 1) }), build('create', { resource: 'pods', names: undefined }, { subresource: 'eviction', namespace: ANY_NAMESPACE })];
    case 'cordon':
    case 'uncordon':
    case 'taint':
      return [build('patch', { resource: 'nodes', names: rest.slice(sub === 'taint' ? 1 : 0, sub === 'taint' ? 2 : 1).filter(Boolean) })];
    default:
      if (READ_ONLY.has(sub)) return [];
      // An unknown subcommand (a plugin, a typo): nothing the command layer can name; the API layer decides.
      return [];
  }
}
