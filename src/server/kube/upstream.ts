/**
 * The proxy's side towards the real API server: TLS agents pinned to the kubeconfig's CA (and
 * client certificate), and the request headers to send — the session's headers minus anything
 * that carries or changes identity, plus the gateway's own credential.
 *
 * It must never forward the session token, Impersonate-* headers, or a protobuf Accept (the
 * masker reads JSON only).
 */
import { Agent } from 'node:https';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ClusterCredential } from './kubeconfig.js';
import { acceptJsonOnly } from './secret-masking.js';

/** RFC 9110 hop-by-hop headers, never copied across a proxy. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

export function upstreamAgent(credential: ClusterCredential, keepAlive: boolean): Agent {
  return new Agent({
    keepAlive,
    maxSockets: keepAlive ? 64 : Infinity,
    ca: credential.ca,
    cert: credential.clientCert,
    key: credential.clientKey,
    servername: credential.tlsServerName,
    rejectUnauthorized: true,
  });
}

/** Headers for the upstream request. `upgrade` keeps Connection/Upgrade for exec/attach/port-forward. */
export function upstreamHeaders(headers: IncomingHttpHeaders, credential: ClusterCredential, upgrade: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === 'authorization' || lower === 'host' || lower === 'cookie' || lower.startsWith('impersonate-')) continue;
    if (!upgrade && HOP_BY_HOP.has(lower)) continue;
    if (upgrade && HOP_BY_HOP.has(lower) && lower !== 'connection' && lower !== 'upgrade') continue;
    out[lower] = value;
  }
  // The masker reads JSON only: never let the API server answer in protobuf, CBOR or YAML.
  out.accept = acceptJsonOnly(headers.accept);
  // Bodies are read (and masked) here: no compression from upstream.
  out['accept-encoding'] = 'identity';
  out.host = credential.server.host;
  const authorization = credential.authorization();
  if (authorization) out.authorization = authorization;
  return out;
}

/** Response headers to copy back to the session (hop-by-hop and lengths dropped when re-framed). */
export function downstreamHeaders(headers: IncomingHttpHeaders, reframed: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (reframed && (lower === 'content-length' || lower === 'content-encoding')) continue;
    out[lower] = value;
  }
  return out;
}

/** Raw header lines of an upstream 101 (for relaying an upgrade to the session's socket). */
export function rawHeaderLines(rawHeaders: string[]): string {
  let text = '';
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) text += `${rawHeaders[index]}: ${rawHeaders[index + 1]}\r\n`;
  return text;
}
