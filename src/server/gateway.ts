/**
 * The gateway process: one HTTP server carrying the JSON API and the session WebSocket. It
 * authenticates every request before anything else happens, hosts sessions, and on stop tells
 * every session, closes recordings and rows, then the store.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { LoadedConfig } from '../config/load.js';
import type { ConnectionConfig } from '../config/schema.js';
import { CloseCodes, GatewayError, describeError, isGatewayError } from '../errors.js';
import { Limits } from '../limits.js';
import { PROTOCOL_VERSION, Stream, WS_PATH, decodeData, parseClientMessage, type ClientMessage, type ServerMessage } from '../protocol/messages.js';
import type { Identity } from './auth/identity.js';
import { GATEWAY_AUDIENCE, GATEWAY_ISSUER, SIGNING_ALGORITHM, loadOrCreateSigningKey, type SigningKey } from './auth/signing-key.js';
import { TokenVerifier, type TrustedIssuer } from './auth/verifier.js';
import { installAudit, type AuditServices } from './audit/install.js';
import { commandDriver } from './connections/command.js';
import { installIdentity } from './identity/install.js';
import { rolesOf } from './identity/roles.js';
import type { ConnectionDriver } from './connections/driver.js';
import { createKubernetesDriver, withKubeAccess } from './connections/kubernetes.js';
import { KubeProxy } from './kube/proxy.js';
import type { ApiAuthorizer } from './policy/api-request.js';
import { warmUpScreenWorkers } from './screen/screen-model.js';
import { installPolicy } from './policy/install.js';
import { Router, readJsonBody, sendError, sendJson, type RouteContext } from './http/router.js';
import { createLogger, type Logger } from './log.js';
import { SessionAttachments } from './session/attachments.js';
import { Session, type SessionServices } from './session/session.js';
import { parseDuration } from '../util/duration.js';
import { installMasking } from './masking/install.js';
import { SecretValueRegistry } from './masking/secret-values.js';
import { Store } from './store/store.js';
import { installWatch } from './watch/index.js';
import { WebSocketSink } from './ws-sink.js';

export interface SocketContext {
  identity: Identity;
  ws: WebSocket;
  send(message: ServerMessage | Record<string, unknown>): void;
  /** Runs when the socket closes (unsubscribe, stop watching). */
  onClose(listener: () => void): void;
}

export type SocketHandler = (context: SocketContext, message: ClientMessage) => void | Promise<void>;

export interface GatewayOptions {
  logger?: Logger;
}

const unavailableKubernetesDriver: ConnectionDriver = {
  ...commandDriver,
  type: 'kubernetes',
  prepare: async () => {
    throw new GatewayError('UNAVAILABLE', 'kubernetes connections are not available in this build');
  },
};

export class Gateway {
  readonly config: LoadedConfig;
  readonly logger: Logger;
  readonly router = new Router();
  readonly sessions = new Map<string, Session>();
  readonly drivers = new Map<string, ConnectionDriver>([
    ['command', commandDriver],
    ['kubernetes', unavailableKubernetesDriver],
  ]);
  /** Extra issuers (external OIDC) are added here before start; the gateway's own is always first. */
  readonly extraIssuers: TrustedIssuer[] = [];
  /** Hooks the policy, masking and recording modules fill in; sessions receive them. */
  sessionHooks: Pick<SessionServices, 'authorizeRun' | 'createOutputFilter' | 'createInputGate' | 'replayLink' | 'maskText'> = {};
  /** Values that must never leave the gateway (connection credentials…): masked in all output. */
  readonly secretValues = new SecretValueRegistry();
  /** Hides secrets in a text (command lines, approval requests); identity until masking is installed. */
  maskText: (text: string) => string = (text) => text;
  /** Decides Kubernetes API requests in the proxy (the policy module sets it; none = allow). */
  apiAuthorizer?: ApiAuthorizer;
  /**
   * Gateway-wide events, the one-way feed for audit and live views. Listeners must not throw.
   *  - 'session.start' (session), 'session.end' (session, outcome)
   *  - 'command' (session, CommandEvent): every command received, decided, finished
   *  - 'approval' (approval): created or changed (policy/approvals module)
   *  - 'api.request' (ApiRequestFacts & {status, durationMs}) (kube proxy)
   *  - 'session.terminated' (session, {by, reason}) (hoop-tui's terminate)
   */
  readonly events = new EventEmitter();
  /**
   * Handlers for WebSocket messages that are not about the socket's own session (subscribe,
   * watch, …), keyed by message type. They get the socket's identity and a way to send.
   */
  readonly socketHandlers = new Map<string, SocketHandler>();
  store!: Store;
  /** The Kubernetes API proxy (started when a kubernetes connection is configured). */
  kubeProxy?: KubeProxy;
  /** The audit chain, its log on `events`, and recording retention (src/server/audit). */
  audit!: AuditServices;
  signingKey!: SigningKey;
  verifier!: TokenVerifier;
  #server?: Server;
  #wss?: WebSocketServer;
  #attachments!: SessionAttachments;
  #stopping?: Promise<void>;

  constructor(config: LoadedConfig, options: GatewayOptions = {}) {
    this.config = config;
    this.logger = options.logger ?? createLogger();
    installWatch(this);
  }

  get recordingsDir(): string {
    return path.join(this.config.dataDir, 'recordings');
  }

  get maxFrameBytes(): number {
    return this.config.limits.maxFrameBytes ?? Limits.maxFrameBytes;
  }

  /** The URL clients use (http://host:port). */
  get url(): string {
    const address = this.#server?.address() as AddressInfo | null;
    if (!address) throw new TypeError('gateway is not listening');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  connection(name: string): ConnectionConfig | undefined {
    return this.config.connections.find((connection) => connection.name === name);
  }

  async start(): Promise<void> {
    mkdirSync(this.config.dataDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.recordingsDir, { recursive: true, mode: 0o700 });
    this.store = Store.open(this.config.dataDir);
    const interrupted = this.store.markLiveSessionsInterrupted();
    if (interrupted > 0) this.logger.log('warn', 'sessions.interrupted', { count: interrupted });
    this.signingKey = await loadOrCreateSigningKey(this.config.dataDir);
    this.verifier = new TokenVerifier([
      {
        issuer: GATEWAY_ISSUER,
        audience: GATEWAY_AUDIENCE,
        key: this.signingKey.publicKey,
        algorithms: [SIGNING_ALGORITHM],
        groupsClaim: 'groups',
      },
      ...this.extraIssuers,
    ]);
    installMasking(this);
    this.#registerRoutes();
    installIdentity(this); // OIDC issuers, agent tokens and their revocation (issue 8)
    installPolicy(this);
    // The command gate's screen model runs in a worker thread: start it now, not on a first Enter.
    if (this.sessionHooks.createInputGate) warmUpScreenWorkers();
    if (this.config.connections.some((connection) => connection.type === 'kubernetes')) {
      this.kubeProxy = new KubeProxy(this);
      await this.kubeProxy.start();
      this.drivers.set('kubernetes', createKubernetesDriver(this.kubeProxy));
      this.drivers.set('command', withKubeAccess(this.drivers.get('command')!, this.kubeProxy));
    }
    this.audit = installAudit(this);
    this.#attachments = new SessionAttachments({
      graceMs: (parseDuration(this.config.sessions.reattachGrace) ?? 60) * 1000,
      bufferBytes: this.config.sessions.reattachBufferBytes,
    });

    this.#wss = new WebSocketServer({ noServer: true, maxPayload: this.maxFrameBytes * 4, perMessageDeflate: false });
    this.#server = createServer((request, response) => void this.#handleHttp(request, response));
    this.#server.on('upgrade', (request, socket, head) =>
      this.#handleUpgrade(request, socket, head).catch((error) => {
        // Never let one upgrade request take the process down (an unhandled rejection would).
        this.logger.log('error', 'ws.upgrade-failed', { error: describeError(error) });
        socket.destroy();
      }),
    );
    // Unparseable HTTP still gets an answer (400, or 431 for oversize headers), then the socket closes.
    this.#server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      const body = JSON.stringify({ error: { code: 'BAD_REQUEST', message: 'malformed HTTP request' } });
      socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
    });
    const [host, port] = splitListen(this.config.listen);
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new GatewayError(
            'UNAVAILABLE',
            error.code === 'EADDRINUSE' ? `cannot listen on ${this.config.listen}: address already in use` : `cannot listen on ${this.config.listen}: ${error.message}`,
          ),
        ),
      );
      this.#server!.listen(port, host, () => resolve());
    });
    this.logger.log('info', 'gateway.listening', { url: this.url, dataDir: this.config.dataDir, config: this.config.source });
  }

  #registerRoutes(): void {
    this.router.add('GET', '/healthz', () => ({ ok: true, protocol: PROTOCOL_VERSION }), { public: true });
    this.router.add('GET', '/v1/whoami', ({ identity }) => ({ ...identity, roles: rolesOf(this.config.roles, identity) }));
    this.router.add('GET', '/v1/connections', ({ identity }) =>
      this.config.connections
        .filter((connection) => !identity.connections || identity.connections.includes(connection.name))
        .map((connection) => ({ name: connection.name, type: connection.type })),
    );
    this.router.add('GET', '/v1/sessions', ({ identity, query }) => {
      const all = query.get('all') === 'true';
      const rows = this.store.listSessions({ state: all ? undefined : 'live', limit: 200 });
      return rows.filter((row) => row.user === identity.user || this.hasRole(identity, 'auditor') || this.hasRole(identity, 'admin') || this.hasRole(identity, 'approver'));
    });
    this.router.add('GET', '/v1/sessions/:id', ({ identity, params }) => {
      const row = this.store.getSession(params.id!);
      if (!row || (row.user !== identity.user && !this.hasRole(identity, 'auditor') && !this.hasRole(identity, 'admin') && !this.hasRole(identity, 'approver'))) {
        throw new GatewayError('UNKNOWN_SESSION', `no session ${params.id}`);
      }
      return { ...row, commands: this.store.listCommands(row.id) };
    });
  }

  /** Roles come from groups (config `roles`). */
  hasRole(identity: Identity, role: string): boolean {
    const groups = this.config.roles[role] ?? [];
    return identity.groups.some((group) => groups.includes(group));
  }

  async #handleHttp(request: IncomingMessage, response: import('node:http').ServerResponse): Promise<void> {
    try {
      const url = requestTarget(request.url);
      const found = this.router.match(request.method ?? 'GET', url.pathname);
      if (!found) throw new GatewayError('NOT_FOUND', `no such endpoint ${url.pathname}`);
      if ('allowed' in found) {
        response.setHeader('allow', found.allowed.join(', '));
        sendJson(response, 405, { error: { code: 'BAD_REQUEST', message: `method ${request.method} not allowed` } });
        return;
      }
      const identity = found.route.public ? (undefined as unknown as Identity) : await this.verifier.verifyAuthorization(request.headers.authorization);
      const context: RouteContext = { request, response, params: found.params, query: url.searchParams, identity, body: () => readJsonBody(request) };
      const result = await found.route.handler(context);
      if (result !== undefined) sendJson(response, 200, result);
    } catch (error) {
      // The path only: a query string may carry a token (browser replay sign-in).
      if (!isGatewayError(error)) this.logger.log('error', 'http.error', { path: (request.url ?? '').split('?')[0], error: describeError(error) });
      sendError(response, error);
    }
  }

  async #handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const refuse = (status: number, message: string): void => {
      const [code, text] = status === 401 ? ['UNAUTHENTICATED', 'Unauthorized'] : status === 400 ? ['BAD_REQUEST', 'Bad Request'] : ['NOT_FOUND', 'Not Found'];
      const body = JSON.stringify({ error: { code, message } });
      socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    };
    socket.on('error', () => socket.destroy());
    let pathname: string;
    try {
      pathname = requestTarget(request.url).pathname;
    } catch (error) {
      return refuse(400, describeError(error));
    }
    if (pathname !== WS_PATH) return refuse(404, `no WebSocket endpoint at ${pathname} (use ${WS_PATH})`);
    let identity: Identity;
    try {
      identity = await this.verifier.verifyAuthorization(request.headers.authorization);
    } catch (error) {
      this.logger.log('warn', 'auth.refused', { remote: request.socket.remoteAddress, reason: describeError(error) });
      return refuse(401, describeError(error));
    }
    if (this.#stopping) return refuse(404, 'gateway is shutting down');
    this.#wss!.handleUpgrade(request, socket, head, (ws) => this.#handleSocket(ws, identity));
  }

  #handleSocket(ws: WebSocket, identity: Identity): void {
    const sink = new WebSocketSink(ws);
    let session: Session | undefined;
    let opening = false;
    const send = (message: ServerMessage): void => sink.sendControl(message);
    const fail = (code: string, message: string, fatal = false, closeCode: number = CloseCodes.POLICY_VIOLATION): void => {
      send({ type: 'error', code, message, fatal });
      if (fatal) ws.close(closeCode, message.slice(0, 120));
    };
    const closeListeners: (() => void)[] = [];
    const socketContext: SocketContext = {
      identity,
      ws,
      send: (message) => sink.sendControl(message as ServerMessage),
      onClose: (listener) => closeListeners.push(listener),
    };
    send({ type: 'hello', protocol: PROTOCOL_VERSION, user: identity.user, groups: identity.groups, ...(identity.actor ? { actor: identity.actor } : {}) });

    const open = async (message: Extract<ClientMessage, { type: 'open' }>): Promise<void> => {
      const connection = this.connection(message.connection);
      if (!connection) throw new GatewayError('UNKNOWN_CONNECTION', `unknown connection "${message.connection}" (known: ${this.config.connections.map((c) => c.name).join(', ') || 'none'})`);
      if (identity.connections && !identity.connections.includes(connection.name)) {
        throw new GatewayError('FORBIDDEN', `this token is limited to ${identity.connections.join(', ')}`);
      }
      const driver = this.drivers.get(connection.type)!;
      const sessionSink = this.#attachments.createSink();
      const created = new Session(
        {
          identity,
          connection,
          interactive: message.interactive,
          cols: Math.min(message.cols ?? 80, Limits.maxCols),
          rows: Math.min(message.rows ?? 24, Limits.maxRows),
        },
        {
          store: this.store,
          recordingsDir: this.recordingsDir,
          driver,
          outputHighWaterBytes: this.config.limits.outputHighWaterBytes,
          recordingOptional: !this.config.recording.required,
          ...this.sessionHooks,
        },
        sessionSink,
      );
      session = created;
      this.sessions.set(created.id, created);
      this.#attachments.register(created, sessionSink, ws, sink);
      created.on('command', (event) => this.events.emit('command', created, event));
      created.once('end', (outcome: { reason?: string }) => {
        this.sessions.delete(created.id);
        this.events.emit('session.end', created, outcome);
        this.logger.log('info', 'session.end', { session: created.id, reason: outcome.reason });
      });
      await created.start();
      this.events.emit('session.start', created);
      send({ type: 'session', id: created.id, connection: connection.name, mode: created.mode, connectionType: connection.type });
      this.logger.log('info', 'session.start', { session: created.id, user: identity.user, actor: identity.actor, connection: connection.name, mode: created.mode });
    };

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (buffer.length > this.maxFrameBytes) {
        return fail('FRAME_TOO_LARGE', `message of ${buffer.length} bytes is over the limit of ${this.maxFrameBytes} bytes; it was dropped`);
      }
      if (isBinary) {
        const frame = decodeData(buffer);
        if (!frame || frame.stream !== Stream.stdin) return fail('BAD_MESSAGE', 'binary frames must start with stream byte 0 (stdin)');
        if (!session) return fail('SESSION_STATE', 'open a session before sending input');
        session.input(frame.payload);
        return;
      }
      const parsed = parseClientMessage(buffer.toString('utf8'));
      if (!parsed.ok) return fail('BAD_MESSAGE', parsed.problem);
      const message = parsed.message;
      if (message.type === 'ping') return send({ type: 'pong', ...(message.id ? { id: message.id } : {}) });
      const extension = this.socketHandlers.get(message.type);
      if (extension) {
        // .then(): a handler that throws synchronously must not escape to the process.
        Promise.resolve()
          .then(() => extension(socketContext, message))
          .catch((error) => fail(isGatewayError(error) ? error.code : 'INTERNAL', describeError(error)));
        return;
      }
      if (message.type === 'attach') {
        if (session || opening) return fail('SESSION_STATE', 'this connection already has a session');
        const target = this.sessions.get(message.session);
        // Same answer for "no such session" and "not yours": ids are not an oracle.
        if (!target || target.identity.user !== identity.user || target.identity.actor !== identity.actor) {
          return fail('UNKNOWN_SESSION', `no session ${message.session} to reattach (it may have ended)`, true);
        }
        session = target;
        this.#attachments.attach(target, ws, sink, (skippedBytes) =>
          send({ type: 'attached', id: target.id, connection: target.connection.name, mode: target.mode, connectionType: target.connection.type, skippedBytes }),
        );
        this.logger.log('info', 'session.reattach', { session: target.id, user: identity.user });
        return;
      }
      if (message.type === 'open') {
        if (session || opening) return fail('SESSION_STATE', 'this connection already has a session');
        opening = true;
        open(message).catch((error) => {
          const known = isGatewayError(error);
          if (!known) this.logger.log('error', 'session.open-failed', { error: describeError(error) });
          fail(known ? error.code : 'INTERNAL', describeError(error), true, known ? CloseCodes.POLICY_VIOLATION : CloseCodes.INTERNAL);
        });
        return;
      }
      if (!session) return fail('SESSION_STATE', `open a session before sending ${message.type}`);
      try {
        session.handle(message);
      } catch (error) {
        fail(isGatewayError(error) ? error.code : 'INTERNAL', describeError(error));
      }
    });
    ws.on('close', () => {
      for (const listener of closeListeners) listener();
      if (session) this.#attachments.socketClosed(session, ws);
    });
    ws.on('error', (error) => {
      this.logger.log('warn', 'ws.error', { user: identity.user, error: describeError(error) });
    });
  }

  /** Graceful stop: every session is told and ended, recordings and rows closed, then the store. */
  stop(reason = 'gateway shutting down'): Promise<void> {
    this.#stopping ??= (async () => {
      this.logger.log('info', 'gateway.stopping', { sessions: this.sessions.size });
      await Promise.all(
        [...this.sessions.values()].map((session) => {
          session.notify({ type: 'error', code: 'UNAVAILABLE', message: reason, fatal: true });
          return session.end({ exitCode: null, reason });
        }),
      );
      for (const client of this.#wss?.clients ?? []) client.close(CloseCodes.GOING_AWAY, reason);
      await new Promise<void>((resolve) => {
        if (!this.#server) return resolve();
        this.#server.close(() => resolve());
        this.#server.closeAllConnections();
      });
      this.#wss?.close();
      await this.kubeProxy?.stop();
      this.store?.close();
    })();
    return this.#stopping;
  }
}

/** The request target as a URL. Odd targets (`//`, absolute-form) are a 400 or a 404, never a crash. */
function requestTarget(raw: string | undefined): URL {
  const target = raw ?? '/';
  try {
    return new URL(`http://gateway${target.startsWith('/') ? target : `/${target}`}`);
  } catch {
    throw new GatewayError('BAD_REQUEST', 'malformed request target');
  }
}

function splitListen(listen: string): [string, number] {
  const index = listen.lastIndexOf(':');
  return [listen.slice(0, index).replace(/^\[|\]$/g, ''), Number(listen.slice(index + 1))];
}
