/**
 * Reads the real cluster credential of a `type: kubernetes` connection from its kubeconfig:
 * server, CA, and one of bearer token (inline or file), client certificate/key (inline or file)
 * or basic auth. Exec and auth-provider plugins are refused: they would run programs on the
 * gateway host and hand out credentials we cannot hold in-process.
 *
 * The credential it returns lives only in the gateway process. It must never put the credential
 * or the kubeconfig's path into an error message (errors may reach a session).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { KubernetesConnectionConfig } from '../../config/schema.js';
import { GatewayError } from '../../errors.js';

/** What the proxy needs to reach the real API server as the gateway. */
export interface ClusterCredential {
  connection: string;
  /** https://host:port, maybe with a path prefix (no trailing slash). */
  server: URL;
  /** PEM or DER bytes of the CA(s) that sign the API server's certificate; none = system roots. */
  ca?: Buffer;
  tlsServerName?: string;
  clientCert?: Buffer;
  clientKey?: Buffer;
  /** The Authorization header value to send upstream, read fresh (token files rotate). */
  authorization(): string | undefined;
  /** The namespace the context names (the session kubeconfig starts there). */
  namespace: string;
}

type Mapping = Record<string, unknown>;

function fail(connection: string, why: string): never {
  throw new GatewayError('CONFIG_INVALID', `connection "${connection}": ${why}`);
}

function asMapping(value: unknown): Mapping | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Mapping) : undefined;
}

function named(list: unknown, name: string): Mapping | undefined {
  if (!Array.isArray(list)) return undefined;
  return asMapping(list.find((entry) => asMapping(entry)?.name === name));
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Reads a file the kubeconfig names, relative to the kubeconfig's own directory. */
function readReferenced(connection: string, base: string, file: string, what: string): Buffer {
  try {
    return readFileSync(path.resolve(base, file));
  } catch (error) {
    return fail(connection, `cannot read the ${what} its kubeconfig names (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function decodeData(connection: string, value: unknown, what: string): Buffer | undefined {
  const text = optionalString(value);
  if (text === undefined) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length === 0) fail(connection, `${what} in its kubeconfig is not base64`);
  return bytes;
}

/** Loads and checks the credential; throws a GatewayError (CONFIG_INVALID) naming the connection. */
export function loadClusterCredential(connection: KubernetesConnectionConfig): ClusterCredential {
  const name = connection.name;
  let text: string;
  try {
    text = readFileSync(connection.kubeconfig, 'utf8');
  } catch (error) {
    return fail(name, `cannot read its kubeconfig (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let document: Mapping | undefined;
  try {
    document = asMapping(parseYaml(text));
  } catch {
    document = undefined;
  }
  if (!document) fail(name, 'its kubeconfig is not a YAML mapping');
  const base = path.dirname(connection.kubeconfig);

  const contextName = connection.context ?? optionalString(document['current-context']);
  if (!contextName) fail(name, 'its kubeconfig has no current-context; set "context" on the connection');
  const context = asMapping(named(document.contexts, contextName)?.context);
  if (!context) fail(name, `its kubeconfig has no context "${contextName}"`);
  const clusterName = optionalString(context.cluster);
  const cluster = clusterName ? asMapping(named(document.clusters, clusterName)?.cluster) : undefined;
  if (!cluster) fail(name, `context "${contextName}" names no cluster its kubeconfig defines`);
  const userName = optionalString(context.user);
  const user = userName ? asMapping(named(document.users, userName)?.user) ?? {} : {};

  const serverText = optionalString(cluster.server);
  if (!serverText) fail(name, `cluster "${clusterName}" has no server`);
  let server: URL;
  try {
    server = new URL(serverText);
  } catch {
    return fail(name, `cluster "${clusterName}" has a server that is not a URL`);
  }
  if (server.protocol !== 'https:') fail(name, `cluster "${clusterName}" must be served over https (the gateway will not send a credential in clear text)`);
  if (cluster['insecure-skip-tls-verify'] === true) {
    fail(name, `cluster "${clusterName}" sets insecure-skip-tls-verify; the gateway only sends its credential to a verified API server (give it certificate-authority-data)`);
  }
  if (optionalString(cluster['proxy-url'])) fail(name, `cluster "${clusterName}" uses proxy-url, which the gateway does not support`);

  if (user.exec !== undefined && user.exec !== null) {
    fail(name, `user "${userName}" uses an exec credential plugin, which the gateway refuses (it would run a program on the gateway host); use a token or client certificate`);
  }
  if (user['auth-provider'] !== undefined && user['auth-provider'] !== null) {
    fail(name, `user "${userName}" uses an auth-provider plugin, which the gateway refuses; use a token or client certificate`);
  }

  const ca =
    decodeData(name, cluster['certificate-authority-data'], 'certificate-authority-data') ??
    (optionalString(cluster['certificate-authority']) ? readReferenced(name, base, cluster['certificate-authority'] as string, 'certificate authority') : undefined);
  const clientCert =
    decodeData(name, user['client-certificate-data'], 'client-certificate-data') ??
    (optionalString(user['client-certificate']) ? readReferenced(name, base, user['client-certificate'] as string, 'client certificate') : undefined);
  const clientKey =
    decodeData(name, user['client-key-data'], 'client-key-data') ??
    (optionalString(user['client-key']) ? readReferenced(name, base, user['client-key'] as string, 'client key') : undefined);
  if (Boolean(clientCert) !== Boolean(clientKey)) fail(name, `user "${userName}" needs both a client certificate and its key`);

  const token = optionalString(user.token);
  const tokenFile = optionalString(user.tokenFile) ? path.resolve(base, user.tokenFile as string) : undefined;
  const username = optionalString(user.username);
  const password = optionalString(user.password);
  if (!token && !tokenFile && !clientCert && !username) {
    fail(name, `user "${userName ?? '(none)'}" has no credential the gateway can use (token, tokenFile, client certificate, username/password)`);
  }
  if (tokenFile) readReferenced(name, base, tokenFile, 'token file');

  return {
    connection: name,
    server: new URL(server.href.replace(/\/+$/, '')),
    ca,
    tlsServerName: optionalString(cluster['tls-server-name']),
    clientCert,
    clientKey,
    namespace: optionalString(context.namespace) ?? 'default',
    authorization: token
      ? () => `Bearer ${token}`
      : tokenFile
        ? tokenFileReader(tokenFile)
        : username
          ? () => `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`
          : () => undefined,
  };
}

/** Projected service-account tokens rotate: re-read the file when it changes. */
function tokenFileReader(file: string): () => string | undefined {
  let cached: { mtimeMs: number; value: string } | undefined;
  return () => {
    try {
      const { mtimeMs } = statSync(file);
      if (!cached || cached.mtimeMs !== mtimeMs) cached = { mtimeMs, value: readFileSync(file, 'utf8').trim() };
    } catch {
      /* keep the last good token; the API server will say if it is no longer valid */
    }
    return cached ? `Bearer ${cached.value}` : undefined;
  };
}
