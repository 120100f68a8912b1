/**
 * Kubernetes request attributes from a method and URL, the way the API server's RequestInfo
 * resolver reads them: verb (with list/watch semantics), API group, resource, subresource,
 * namespace and name. Pure; the proxy turns this into ApiRequestFacts.
 */

export interface RequestInfo {
  /** false for discovery and other non-resource URLs (/version, /api, /apis/apps, /openapi/v2). */
  isResource: boolean;
  verb: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  path: string;
}

/** Namespace sub-paths that are subresources of the namespace itself, not resources in it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const WRITE_VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch' };

/** Subresources that open a stream to a container: every method counts as a create (as in RBAC since 1.30). */
export const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

export function parseRequestInfo(method: string, rawUrl: string): RequestInfo {
  const url = new URL(rawUrl, 'https://proxy.invalid');
  const path = url.pathname;
  const parts = path.split('/').filter((part) => part !== '').map((part) => decodeURIComponent(part));
  const lowerMethod = method.toUpperCase();
  const nonResource: RequestInfo = { isResource: false, verb: lowerMethod.toLowerCase(), apiGroup: '', apiVersion: '', resource: '', path };

  let rest: string[];
  let apiGroup = '';
  let apiVersion: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    apiVersion = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiGroup = parts[1]!;
    apiVersion = parts[2]!;
    rest = parts.slice(3);
  } else {
    return nonResource;
  }

  let verb = WRITE_VERBS[lowerMethod] ?? (lowerMethod === 'DELETE' ? 'delete' : 'get');
  if (rest[0] === 'watch' || rest[0] === 'proxy') {
    // Deprecated path prefixes: /api/v1/watch/... and /api/v1/proxy/...
    verb = rest[0] === 'watch' ? 'watch' : 'proxy';
    rest = rest.slice(1);
  }

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const [resource = '', name, subresource] = rest;
  // For /namespaces/X itself, namespace stays X (as the API server does: RBAC in X covers X).

  if (verb === 'get' && !name) verb = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1' ? 'watch' : 'list';
  else if (verb === 'delete' && !name) verb = 'deletecollection';
  if (subresource && CONNECT_SUBRESOURCES.has(subresource) && subresource !== 'proxy') verb = 'create';

  return {
    isResource: true,
    verb,
    apiGroup,
    apiVersion,
    resource,
    ...(subresource ? { subresource } : {}),
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
    path,
  };
}
