/**
 * The kubeconfig a session holds: it points at the gateway's kube proxy, trusts the proxy CA and
 * carries the session's own token. It lives in the session's private HOME (0600) and goes with it.
 *
 * It must never contain the connection's real server, CA, token or client key.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

export interface SessionKubeconfig {
  /** Cluster and context name (the kubernetes connection's name). */
  name: string;
  server: string;
  caPem: string;
  token: string;
  namespace: string;
}

export function sessionKubeconfigText(config: SessionKubeconfig): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: config.name, cluster: { server: config.server, 'certificate-authority-data': Buffer.from(config.caPem).toString('base64') } }],
    users: [{ name: 'hoop-session', user: { token: config.token } }],
    contexts: [{ name: config.name, context: { cluster: config.name, user: 'hoop-session', namespace: config.namespace } }],
    'current-context': config.name,
    preferences: {},
  });
}

/** Writes `$HOME/.kube/config`; returns its path (for KUBECONFIG). */
export function writeSessionKubeconfig(home: string, config: SessionKubeconfig): string {
  const dir = path.join(home, '.kube');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'config');
  writeFileSync(file, sessionKubeconfigText(config), { mode: 0o600 });
  return file;
}
