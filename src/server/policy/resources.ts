/**
 * Every name a built-in Kubernetes resource goes by (plural, singular, short names, `plural.group`)
 * mapped to one canonical key: the plural for the core group, `plural.group` otherwise. Policy
 * rules and request facts are both reduced to canonical keys so `po`, `pod`, `pods` are one thing.
 * Never guesses: a name it does not know stays as written (CRDs are matched literally).
 */

interface ResourceEntry {
  plural: string;
  group: string;
  singular: string;
  short?: string[];
}

const BUILT_IN: ResourceEntry[] = [
  // core
  { plural: 'pods', group: '', singular: 'pod', short: ['po'] },
  { plural: 'services', group: '', singular: 'service', short: ['svc'] },
  { plural: 'secrets', group: '', singular: 'secret' },
  { plural: 'configmaps', group: '', singular: 'configmap', short: ['cm'] },
  { plural: 'namespaces', group: '', singular: 'namespace', short: ['ns'] },
  { plural: 'nodes', group: '', singular: 'node', short: ['no'] },
  { plural: 'persistentvolumes', group: '', singular: 'persistentvolume', short: ['pv'] },
  { plural: 'persistentvolumeclaims', group: '', singular: 'persistentvolumeclaim', short: ['pvc'] },
  { plural: 'serviceaccounts', group: '', singular: 'serviceaccount', short: ['sa'] },
  { plural: 'endpoints', group: '', singular: 'endpoints', short: ['ep'] },
  { plural: 'events', group: '', singular: 'event', short: ['ev'] },
  { plural: 'replicationcontrollers', group: '', singular: 'replicationcontroller', short: ['rc'] },
  { plural: 'resourcequotas', group: '', singular: 'resourcequota', short: ['quota'] },
  { plural: 'limitranges', group: '', singular: 'limitrange', short: ['limits'] },
  { plural: 'podtemplates', group: '', singular: 'podtemplate' },
  // apps
  { plural: 'deployments', group: 'apps', singular: 'deployment', short: ['deploy'] },
  { plural: 'statefulsets', group: 'apps', singular: 'statefulset', short: ['sts'] },
  { plural: 'daemonsets', group: 'apps', singular: 'daemonset', short: ['ds'] },
  { plural: 'replicasets', group: 'apps', singular: 'replicaset', short: ['rs'] },
  { plural: 'controllerrevisions', group: 'apps', singular: 'controllerrevision' },
  // batch
  { plural: 'jobs', group: 'batch', singular: 'job' },
  { plural: 'cronjobs', group: 'batch', singular: 'cronjob', short: ['cj'] },
  // networking
  { plural: 'ingresses', group: 'networking.k8s.io', singular: 'ingress', short: ['ing'] },
  { plural: 'networkpolicies', group: 'networking.k8s.io', singular: 'networkpolicy', short: ['netpol'] },
  { plural: 'ingressclasses', group: 'networking.k8s.io', singular: 'ingressclass' },
  // rbac
  { plural: 'roles', group: 'rbac.authorization.k8s.io', singular: 'role' },
  { plural: 'rolebindings', group: 'rbac.authorization.k8s.io', singular: 'rolebinding' },
  { plural: 'clusterroles', group: 'rbac.authorization.k8s.io', singular: 'clusterrole' },
  { plural: 'clusterrolebindings', group: 'rbac.authorization.k8s.io', singular: 'clusterrolebinding' },
  // a few more that operators write rules about
  { plural: 'horizontalpodautoscalers', group: 'autoscaling', singular: 'horizontalpodautoscaler', short: ['hpa'] },
  { plural: 'poddisruptionbudgets', group: 'policy', singular: 'poddisruptionbudget', short: ['pdb'] },
  { plural: 'customresourcedefinitions', group: 'apiextensions.k8s.io', singular: 'customresourcedefinition', short: ['crd', 'crds'] },
  { plural: 'storageclasses', group: 'storage.k8s.io', singular: 'storageclass', short: ['sc'] },
];

const ALIASES = new Map<string, string>();
for (const entry of BUILT_IN) {
  const key = canonicalKey(entry.plural, entry.group);
  const names = [entry.plural, entry.singular, ...(entry.short ?? [])];
  for (const name of names) {
    ALIASES.set(name, key);
    if (entry.group) {
      ALIASES.set(`${name}.${entry.group}`, key);
      // kubectl also accepts the group's first label and `plural.version.group`
      ALIASES.set(`${name}.${entry.group.split('.')[0]}`, key);
    }
  }
  if (entry.group) {
    for (const version of ['v1', 'v1beta1', 'v2']) ALIASES.set(`${entry.plural}.${version}.${entry.group}`, key);
  }
}

function canonicalKey(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}

/** `po` → `pods`, `deploy` → `deployments.apps`, `Pods` → `pods`; unknown names are kept (lower case). */
export function canonicalResource(name: string): string {
  const lower = name.trim().toLowerCase();
  return ALIASES.get(lower) ?? lower;
}

/** The canonical key of an API request's resource (plural + API group). */
export function canonicalFromApi(plural: string, apiGroup: string): string {
  const key = canonicalKey(plural.toLowerCase(), apiGroup.toLowerCase());
  return ALIASES.get(key) ?? key;
}

/** Whether the name is one the built-in table knows (for `policy check`). */
export function isKnownResource(name: string): boolean {
  return ALIASES.has(name.trim().toLowerCase());
}

/** Resources whose objects carry a pod template (for `privileged`). */
export const POD_TEMPLATE_OWNERS = new Set(['deployments.apps', 'statefulsets.apps', 'daemonsets.apps', 'replicasets.apps', 'jobs.batch', 'cronjobs.batch', 'replicationcontrollers', 'podtemplates']);
