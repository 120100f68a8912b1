/**
 * Finds what makes a workload privileged in a Kubernetes object (a request body, a manifest, or
 * `kubectl run --overrides`): privileged or privilege-escalating containers, added SYS_ADMIN-class
 * capabilities, host namespaces (hostNetwork, hostPID, hostIPC) and hostPath volumes — in Pods,
 * in the pod templates of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, and
 * in Lists of them. Returns a reason for approvers, or undefined. Never throws on odd input.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DANGEROUS_CAPABILITIES = new Set(['SYS_ADMIN', 'ALL', 'NET_ADMIN', 'SYS_PTRACE', 'SYS_MODULE', 'CAP_SYS_ADMIN']);

function containerPrivilege(container: unknown, where: string): string | undefined {
  if (!isObject(container)) return undefined;
  const name = typeof container.name === 'string' ? container.name : '?';
  const security = container.securityContext;
  if (!isObject(security)) return undefined;
  if (security.privileged === true) return `${where} container "${name}" is privileged`;
  const capabilities = isObject(security.capabilities) ? security.capabilities.add : undefined;
  if (Array.isArray(capabilities)) {
    const added = capabilities.filter((capability) => typeof capability === 'string' && DANGEROUS_CAPABILITIES.has(capability.toUpperCase()));
    if (added.length > 0) return `${where} container "${name}" adds ${added.join(', ')}`;
  }
  return undefined;
}

/** A pod spec's privilege, if any. */
export function podSpecPrivilege(spec: unknown, where = 'pod'): string | undefined {
  if (!isObject(spec)) return undefined;
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[field] === true) return `${where} uses ${field}`;
  }
  if (Array.isArray(spec.volumes)) {
    const hostPath = spec.volumes.find((volume) => isObject(volume) && volume.hostPath !== undefined) as Json | undefined;
    if (hostPath) return `${where} mounts hostPath volume "${String(hostPath.name ?? '?')}"`;
  }
  for (const list of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const container of containers) {
      const why = containerPrivilege(container, where);
      if (why) return why;
    }
  }
  return undefined;
}

/** Walks an object of any kind the way Kubernetes nests pod specs. */
export function privilegeOf(object: unknown, depth = 0): string | undefined {
  if (!isObject(object) || depth > 6) return undefined;
  const kind = typeof object.kind === 'string' ? object.kind : '';
  if (Array.isArray(object.items)) {
    for (const item of object.items) {
      const why = privilegeOf(item, depth + 1);
      if (why) return why;
    }
  }
  const spec = object.spec;
  if (!isObject(spec)) {
    // An ephemeral container patch or a bare container (kubectl debug, overrides).
    return containerPrivilege(object, kind || 'container');
  }
  const label = kind ? `${kind}${isObject(object.metadata) && object.metadata.name ? ` ${String(object.metadata.name)}` : ''}` : 'pod';
  const direct = podSpecPrivilege(spec, label);
  if (direct) return direct;
  if (isObject(spec.template)) {
    const why = podSpecPrivilege((spec.template as Json).spec, `${label} pod template`);
    if (why) return why;
  }
  if (isObject(spec.jobTemplate)) {
    const template = isObject((spec.jobTemplate as Json).spec) ? ((spec.jobTemplate as Json).spec as Json).template : undefined;
    if (isObject(template)) {
      const why = podSpecPrivilege(template.spec, `${label} job pod template`);
      if (why) return why;
    }
  }
  return undefined;
}
