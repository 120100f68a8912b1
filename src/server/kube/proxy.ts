/**
 * KubeProxy: the Kubernetes API proxy inside the gateway process (DESIGN.md "Data path"). One
 * HTTPS server on loopback. Every request must carry a live session token; the proxy decides it
 * with the API-layer policy, forwards it to the real API server with the connection's real
 * credential, masks Secret data in what comes back, streams watches and logs, relays the upgraded
 * connections of exec/attach/port-forward, and records every request.
 *
 * It must never forward the session token, never hand the real credential to a session, never
 * let a token act after its session ended or for another session, and never pass an unmasked
 * body it was supposed to mask.
 */
import type { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import { request as httpsRequest, createServer, type Agent, type Server } from 'node:https';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';
import type { KubernetesConnectionConfig, ConnectionConfig } from '../../config/schema.js';
import { describeError } from '../../errors.js';
import type { Identity } from '../auth/identity.js';
import type { Logger } from '../log.js';
import type { ApiAuthorizer, ApiRequestFacts } from '../policy/api-request.js';
import type { CommandDecision } from '../session/session.js';
import type { Store } from '../store/store.js';
import { recordApiRequest } from './api-request-log.js';
import { relayBytes } from './byte-relay.js';
import { loadClusterCredential, type ClusterCredential } from './kubeconfig.js';
import { sendStatus, writeStatusToSocket } from './kube-status.js';
import { prepareProxyTls } from './proxy-tls.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import { MaskingFailure, PLACEHOLDER_REFUSAL, bodyHandling, maskWholeBody, parseWriteBody, watchMasker, writeCarriesPlaceholder } from './response-filter.js';
import { SessionTokens, type TokenBinding } from './session-tokens.js';
import { downstreamHeaders, rawHeaderLines, upstreamAgent, upstreamHeaders } from './upstream.js';

/** Largest write body the proxy reads (it must read writes whole to check them). */
export const MAX_WRITE_BODY_BYTES = 16 * 1024 * 1024;
/** Largest JSON body the proxy buffers to mask; bigger ones are refused rather than passed on. */
export const MAX_MASKED_BODY_BYTES = 256 * 1024 * 1024;

/** What the proxy needs of its host (the Gateway satisfies this). */
export interface KubeProxyHost {
  readonly config: { dataDir: string; connections: ConnectionConfig[]; kubeProxy?: { listen?: string } };
  readonly store: Store;
  readonly events: EventEmitter;
  readonly logger: Logger;
  readonly sessions: Map<string, { identity: Identity; ended: boolean }>;
  readonly apiAuthorizer?: ApiAuthorizer;
}

interface LoadedCredential {
  credential: ClusterCredential;
  /** The kubeconfig's mtime when read: a changed file is read again at the next session start. */
  mtimeMs: number;
  agent: Agent;
  upgradeAgent: Agent;
}

interface Caller {
  binding: TokenBinding;
  identity: Identity;
  upstream: LoadedCredential;
}

export class KubeProxy {
  readonly #host: KubeProxyHost;
  readonly #tokens = new SessionTokens();
  readonly #credentials = new Map<string, LoadedCredential>();
  /** Open responses and upgraded sockets per session, cut when the session's tokens are revoked. */
  readonly #open = new Map<string, Set<{ destroy(): void }>>();
  #server?: Server;
  #caPem = '';

  constructor(host: KubeProxyHost) {
    this.#host = host;
  }

  async start(): Promise<void> {
    const listen = this.#host.config.kubeProxy?.listen ?? '127.0.0.1:0';
    const index = listen.lastIndexOf(':');
    const host = listen.slice(0, index).replace(/^\[|\]$/g, '');
    const port = Number(listen.slice(index + 1));
    const tls = await prepareProxyTls(this.#host.config.dataDir, [host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host, '127.0.0.1', 'localhost']);
    this.#caPem = tls.caPem;
    this.#server = createServer({ cert: tls.certPem, key: tls.keyPem, ALPNProtocols: ['http/1.1'] }, (request, response) =>
      this.#handle(request, response).catch((error) => {
        this.#host.logger.log('error', 'kube.proxy-error', { error: describeError(error) });
        sendStatus(response, 502, 'hoop-shell: the gateway could not proxy this request');
      }),
    );
    this.#server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#handleUpgrade(request, socket, head).catch((error) => {
        this.#host.logger.log('error', 'kube.proxy-error', { error: describeError(error) });
        socket.destroy();
      }),
    );
    this.#server.on('clientError', (_error, socket) => socket.destroy());
    this.#server.on('tlsClientError', () => {});
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`kube proxy cannot listen on ${listen}: ${error.code ?? error.message}`)));
      this.#server!.listen(port, host, () => resolve());
    });
  }

  /** https://host:port as session kubeconfigs name it. */
  get url(): string {
    const address = this.#server?.address() as AddressInfo | null;
    if (!address) throw new TypeError('kube proxy is not listening');
    const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `https://${host}:${address.port}`;
  }

  /** The proxy CA, which session kubeconfigs trust. Public. */
  get caPem(): string {
    return this.#caPem;
  }

  /**
   * Loads (and checks) the connection's credential, then issues a token for the session. Throws
   * a GatewayError naming the connection when its kubeconfig cannot be used.
   */
  issueToken(sessionId: string, connectionName: string): { token: string; namespace: string } {
    const loaded = this.#credential(connectionName, true);
    return { token: this.#tokens.issue({ sessionId, connection: connectionName }), namespace: loaded.credential.namespace };
  }

  /** Ends the session's tokens and cuts its open watches, logs and exec streams. */
  revoke(sessionId: string): void {
    this.#tokens.revoke(sessionId);
    const open = this.#open.get(sessionId);
    this.#open.delete(sessionId);
    for (const stream of open ?? []) stream.destroy();
  }

  async stop(): Promise<void> {
    for (const sessionId of [...this.#open.keys()]) this.revoke(sessionId);
    for (const loaded of this.#credentials.values()) {
      loaded.agent.destroy();
      loaded.upgradeAgent.destroy();
    }
    await new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #credential(connectionName: string, checkForChange = false): LoadedCredential {
    const connection = this.#host.config.connections.find((candidate) => candidate.name === connectionName);
    if (!connection || connection.type !== 'kubernetes') throw new TypeError(`no kubernetes connection ${connectionName}`);
    const cached = this.#credentials.get(connectionName);
    const mtimeMs = checkForChange || !cached ? fileMtime(connection.kubeconfig) : cached.mtimeMs;
    if (cached && cached.mtimeMs === mtimeMs) return cached;
    const credential = loadClusterCredential(connection as KubernetesConnectionConfig);
    const loaded = { credential, mtimeMs, agent: upstreamAgent(credential, true), upgradeAgent: upstreamAgent(credential, false) };
    this.#credentials.set(connectionName, loaded);
    // Requests in flight (watches, exec) keep the old agents; their idle sockets close with the server's keep-alive timeout.
    return loaded;
  }

  #authenticate(request: IncomingMessage): Caller | undefined {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const binding = this.#tokens.resolve(token);
    if (!binding) return undefined;
    const session = this.#host.sessions.get(binding.sessionId);
    if (!session || session.ended) return undefined;
    return { binding, identity: session.identity, upstream: this.#credential(binding.connection) };
  }

  #track(sessionId: string, stream: { destroy(): void }, closer: { once(event: 'close', listener: () => void): unknown }): void {
    let set = this.#open.get(sessionId);
    if (!set) this.#open.set(sessionId, (set = new Set()));
    set.add(stream);
    closer.once('close', () => set!.delete(stream));
  }

  #facts(caller: Caller, info: RequestInfo, method: string, body: unknown): ApiRequestFacts {
    return {
      sessionId: caller.binding.sessionId,
      connection: caller.binding.connection,
      identity: caller.identity,
      verb: info.verb,
      resource: info.resource,
      apiGroup: info.apiGroup,
      ...(info.subresource ? { subresource: info.subresource } : {}),
      ...(info.namespace ? { namespace: info.namespace } : {}),
      ...(info.name ? { name: info.name } : {}),
      ...(body !== undefined ? { body } : {}),
      description: `${method} ${info.path}`,
    };
  }

  /** Refusals that do not depend on policy: minting cluster credentials. */
  #builtinRefusal(info: RequestInfo): string | undefined {
    if (info.resource === 'serviceaccounts' && info.subresource === 'token' && info.verb === 'create') {
      return 'hoop-shell: creating service account tokens is refused: it would hand out a cluster credential outside the gateway';
    }
    return undefined;
  }

  async #decide(facts: ApiRequestFacts, info: RequestInfo): Promise<CommandDecision> {
    const builtin = this.#builtinRefusal(info);
    if (builtin) return { action: 'deny', rule: 'gateway credential boundary', reason: builtin };
    // Discovery (/version, /api, /apis, /openapi) is not a resource: policy rules cannot name it.
    if (!info.isResource || !this.#host.apiAuthorizer) return { action: 'allow' };
    try {
      return await this.#host.apiAuthorizer(facts);
    } catch (error) {
      this.#host.logger.log('error', 'kube.authorizer-failed', { error: describeError(error) });
      return { action: 'deny', reason: 'the policy check failed' };
    }
  }

  #record(facts: ApiRequestFacts, identity: Identity, status: number, started: number, decision: CommandDecision): void {
    const durationMs = Math.round(performance.now() - started);
    try {
      recordApiRequest(this.#host.store, {
        session_id: facts.sessionId,
        user: identity.user,
        actor: identity.actor ?? null,
        connection: facts.connection,
        verb: facts.verb,
        api_group: facts.apiGroup,
        resource: facts.resource,
        subresource: facts.subresource ?? null,
        namespace: facts.namespace ?? null,
        name: facts.name ?? null,
        path: facts.description.slice(facts.description.indexOf(' ') + 1),
        status,
        decision: decision.action,
        rule: decision.rule ?? null,
        duration_ms: durationMs,
        at: new Date().toISOString(),
      });
    } catch (error) {
      this.#host.logger.log('warn', 'kube.record-failed', { error: describeError(error) });
    }
    this.#host.events.emit('api.request', { ...facts, status, durationMs, decision: decision.action, ...(decision.rule ? { rule: decision.rule } : {}) });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (request.method ?? 'GET').toUpperCase();
    let caller: Caller | undefined;
    try {
      caller = this.#authenticate(request);
    } catch (error) {
      sendStatus(response, 503, `hoop-shell: ${describeError(error)}`);
      return;
    }
    if (!caller) {
      request.resume();
      this.#host.logger.log('warn', 'kube.token-refused', { remote: request.socket.remoteAddress, path: new URL(request.url ?? '/', 'https://proxy.invalid').pathname });
      sendStatus(response, 401, 'hoop-shell: this session token is not valid (the session has ended, or it belongs to no session)');
      return;
    }
    const info = parseRequestInfo(method, request.url ?? '/');
    let body: Buffer | undefined;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH' || (method === 'DELETE' && request.headers['content-length'] !== undefined)) {
      body = await readBody(request, MAX_WRITE_BODY_BYTES);
      if (!body) {
        sendStatus(response, 413, `hoop-shell: request body over ${MAX_WRITE_BODY_BYTES} bytes`);
        return;
      }
    }
    const identity = caller.identity;
    if (body && writeCarriesPlaceholder(body)) {
      const facts = this.#facts(caller, info, method, undefined);
      const decision: CommandDecision = { action: 'deny', rule: 'masked secret placeholder' };
      sendStatus(response, 422, `hoop-shell: refused: ${PLACEHOLDER_REFUSAL}`);
      this.#record(facts, identity, 422, started, decision);
      return;
    }
    const contentType = request.headers['content-type'];
    let parsed = body ? parseWriteBody(body.toString('utf8'), contentType) : undefined;
    if (body && parsed === undefined && isBinaryObjectEncoding(contentType) && (method === 'POST' || method === 'PUT') && info.isResource) {
      // Typed clients (kubectl create/run) send protobuf, which policy cannot read: let the API
      // server itself decode it in a dry run, answering in JSON, so policy sees the real object.
      parsed = await this.#dryRunAsJson(caller.upstream, method, request, body);
    }
    const facts = this.#facts(caller, info, method, parsed);

    const decision = await this.#decide(facts, info);
    if (decision.action === 'deny') {
      const rule = decision.rule ? ` by rule "${decision.rule}"` : '';
      const message = decision.reason?.startsWith('hoop-shell:') ? decision.reason : `hoop-shell: ${info.verb} ${info.resource || info.path} denied${rule}${decision.reason ? `: ${decision.reason}` : ''}`;
      sendStatus(response, 403, message);
      this.#record(facts, identity, 403, started, decision);
      return;
    }
    if (this.#host.sessions.get(caller.binding.sessionId)?.ended !== false) {
      sendStatus(response, 401, 'hoop-shell: the session has ended');
      return;
    }
    if (response.destroyed || request.socket.destroyed) {
      // kubectl gave up while the request waited (e.g. for approval): nobody would see the answer.
      this.#record(facts, identity, 499, started, decision);
      return;
    }

    let recorded = false;
    const recordOnce = (status: number): void => {
      if (recorded) return;
      recorded = true;
      this.#record(facts, identity, status, started, decision);
    };
    const { credential, agent } = caller.upstream;
    const upstream = requestUpstream(credential, agent, method, request, false);
    this.#track(caller.binding.sessionId, response, response);
    this.#track(caller.binding.sessionId, upstream, upstream);
    upstream.on('error', (error) => {
      if (response.destroyed || response.writableFinished) return; // we cut it (client gone, session ended)
      this.#host.logger.log('warn', 'kube.upstream-error', { connection: caller!.binding.connection, error: describeError(error) });
      sendStatus(response, 502, `hoop-shell: cannot reach the API server of connection "${caller!.binding.connection}" (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      recordOnce(502);
    });
    response.on('close', () => {
      if (!upstream.destroyed && !response.writableFinished) upstream.destroy();
    });
    upstream.on('response', (answer) => this.#relay(answer, response, info, () => recordOnce(answer.statusCode ?? 0)));
    upstream.end(body);
  }

  /** The object a protobuf (or CBOR) write would create, as JSON, from a server-side dry run; undefined if that fails. */
  #dryRunAsJson(upstream: LoadedCredential, method: string, request: IncomingMessage, body: Buffer): Promise<unknown> {
    const { credential, agent } = upstream;
    const url = request.url ?? '/';
    return new Promise((resolve) => {
      const dryRun = httpsRequest(
        {
          protocol: 'https:',
          hostname: credential.server.hostname,
          port: credential.server.port || 443,
          method,
          path: `${credential.server.pathname.replace(/\/$/, '')}${url}${url.includes('?') ? '&' : '?'}dryRun=All`,
          headers: { ...upstreamHeaders(request.headers, credential, false), accept: 'application/json', 'content-length': body.length },
          agent,
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('error', () => resolve(undefined));
          answer.on('end', () => {
            if ((answer.statusCode ?? 500) >= 300) return resolve(undefined);
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch {
              resolve(undefined);
            }
          });
        },
      );
      dryRun.on('error', () => resolve(undefined));
      dryRun.end(body);
    });
  }

  #relay(answer: IncomingMessage, response: ServerResponse, info: RequestInfo, done: () => void): void {
    const status = answer.statusCode ?? 502;
    const contentType = answer.headers['content-type'];
    let finished = false;
    response.once('close', () => {
      if (finished) return;
      finished = true;
      done();
    });
    answer.on('error', () => response.destroy());
    const handling = bodyHandling(contentType, info.verb === 'watch');
    if (handling === 'mask-watch') {
      response.writeHead(status, downstreamHeaders(answer.headers, true));
      response.flushHeaders();
      pipeline(answer, watchMasker(), response, (error) => {
        if (error instanceof MaskingFailure) this.#host.logger.log('error', 'kube.mask-failed', { error: error.message });
        if (error) response.destroy();
      });
      return;
    }
    if (handling === 'mask-whole') {
      const chunks: Buffer[] = [];
      let size = 0;
      answer.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_MASKED_BODY_BYTES) {
          answer.destroy();
          sendStatus(response, 502, 'hoop-shell: the API server response is too large to mask; refused');
          return;
        }
        chunks.push(chunk);
      });
      answer.on('end', () => {
        if (size > MAX_MASKED_BODY_BYTES) return;
        let out: Buffer;
        try {
          out = maskWholeBody(Buffer.concat(chunks), contentType);
        } catch (error) {
          this.#host.logger.log('error', 'kube.mask-failed', { error: describeError(error) });
          sendStatus(response, 502, `hoop-shell: ${describeError(error)}; refused`);
          return;
        }
        response.writeHead(status, { ...downstreamHeaders(answer.headers, true), 'content-length': out.length });
        response.end(out);
      });
      return;
    }
    // Logs and other text: streamed as they come (logs -f), never buffered.
    response.writeHead(status, downstreamHeaders(answer.headers, false));
    response.flushHeaders();
    answer.pipe(response);
  }

  async #handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const started = performance.now();
    socket.on('error', () => socket.destroy());
    const method = (request.method ?? 'GET').toUpperCase();
    let caller: Caller | undefined;
    try {
      caller = this.#authenticate(request);
    } catch (error) {
      return writeStatusToSocket(socket, 503, `hoop-shell: ${describeError(error)}`);
    }
    if (!caller) {
      this.#host.logger.log('warn', 'kube.token-refused', { remote: request.socket.remoteAddress, upgrade: true });
      return writeStatusToSocket(socket, 401, 'hoop-shell: this session token is not valid (the session has ended, or it belongs to no session)');
    }
    const info = parseRequestInfo(method, request.url ?? '/');
    const facts = this.#facts(caller, info, method, undefined);
    const identity = caller.identity;
    const decision = await this.#decide(facts, info);
    if (decision.action === 'deny') {
      const rule = decision.rule ? ` by rule "${decision.rule}"` : '';
      writeStatusToSocket(socket, 403, decision.reason?.startsWith('hoop-shell:') ? decision.reason : `hoop-shell: ${info.verb} ${info.resource}/${info.subresource ?? ''} denied${rule}${decision.reason ? `: ${decision.reason}` : ''}`);
      this.#record(facts, identity, 403, started, decision);
      return;
    }
    if (socket.destroyed || this.#host.sessions.get(caller.binding.sessionId)?.ended !== false) return void socket.destroy();

    const { credential, upgradeAgent } = caller.upstream;
    const upstream = requestUpstream(credential, upgradeAgent, method, request, true);
    const sessionId = caller.binding.sessionId;
    let upgraded = false;
    this.#track(sessionId, socket, socket);
    this.#track(sessionId, upstream, upstream);
    upstream.on('error', (error) => {
      if (socket.destroyed || upgraded) return; // cut by us or by the other side once streaming
      writeStatusToSocket(socket, 502, `hoop-shell: cannot reach the API server of connection "${caller!.binding.connection}" (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      this.#record(facts, identity, 502, started, decision);
    });
    upstream.on('response', (answer) => {
      // The API server refused the upgrade (404 pod, 403 RBAC, …): relay its answer as HTTP.
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers = Object.entries(downstreamHeaders(answer.headers, true))
          .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}\r\n`)
          .join('');
        socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage ?? ''}\r\n${headers}content-length: ${body.length}\r\nconnection: close\r\n\r\n`), body]));
        this.#record(facts, identity, answer.statusCode ?? 0, started, decision);
      });
    });
    upstream.on('upgrade', (answer, upstreamSocket: Socket, upstreamHead: Buffer) => {
      upgraded = true;
      this.#track(sessionId, upstreamSocket, upstreamSocket);
      socket.write(`HTTP/1.1 ${answer.statusCode ?? 101} ${answer.statusMessage ?? 'Switching Protocols'}\r\n${rawHeaderLines(answer.rawHeaders)}\r\n`);
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (head.length > 0) upstreamSocket.write(head);
      upstreamSocket.setNoDelay(true);
      (socket as Socket).setNoDelay?.(true);
      let closed = false;
      const close = (): void => {
        if (closed) return;
        closed = true;
        socket.destroy();
        upstreamSocket.destroy();
        this.#record(facts, identity, answer.statusCode ?? 101, started, decision);
      };
      upstreamSocket.on('error', close);
      upstreamSocket.on('close', close);
      socket.on('close', close);
      socket.on('error', close);
      // Raw bytes both ways: WebSocket frames (v5.channel.k8s.io) or SPDY, never parsed here.
      relayBytes(upstreamSocket, socket);
      relayBytes(socket, upstreamSocket);
    });
    upstream.end();
  }
}

function isBinaryObjectEncoding(contentType: string | undefined): boolean {
  return /protobuf|cbor/i.test(contentType ?? '');
}

function fileMtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/** Reads a request body up to `limit` bytes; undefined when it is bigger. */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** The same request to the real API server, with the real credential (`upgrade`: exec/attach/port-forward). */
function requestUpstream(credential: ClusterCredential, agent: Agent, method: string, request: IncomingMessage, upgrade: boolean): ClientRequest {
  return httpsRequest({
    protocol: 'https:',
    hostname: credential.server.hostname,
    port: credential.server.port || 443,
    method,
    path: `${credential.server.pathname.replace(/\/$/, '')}${request.url ?? '/'}`,
    headers: upstreamHeaders(request.headers, credential, upgrade),
    agent,
  });
}
