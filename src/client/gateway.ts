/**
 * The typed client of the gateway's HTTP and WebSocket API, used by hoop-shell, hoop-tui and
 * agents alike: `new Gateway({url, token})`, then `connections()`, `openSession()`, `session.run()`.
 */
import WebSocket from 'ws';
import { WS_PATH, WS_SUBPROTOCOL, type ClientMessageInput, type ServerMessage } from '../protocol/messages.js';
import { ClientError } from './errors.js';
import { ClientSession, holdEarlyFrames } from './session.js';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8009';

export interface GatewayClientOptions {
  url?: string;
  token: string;
  /** Milliseconds to wait for the gateway to accept a connection. */
  connectTimeoutMs?: number;
}

export interface OpenSessionOptions {
  connection: string;
  interactive?: boolean;
  cols?: number;
  rows?: number;
  /** Re-establish a dropped connection automatically (agents). */
  reattach?: boolean;
}

export interface ConnectionInfo {
  name: string;
  type: string;
}

function errorFromBody(status: number, text: string): ClientError {
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return new ClientError(body.error.code ?? 'INTERNAL', body.error.message);
  } catch {
    /* not our JSON: fall through */
  }
  return new ClientError(status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL', `gateway answered HTTP ${status}`);
}

function unreachable(url: string, error: unknown): ClientError {
  const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
  const code = (error as NodeJS.ErrnoException).code ?? cause?.code;
  const why = code === 'ECONNREFUSED' ? 'connection refused (is hoop-gateway serve running?)' : code ?? cause?.message ?? (error as Error).message;
  return new ClientError('UNAVAILABLE', `cannot reach the gateway at ${url}: ${why}`);
}

export class Gateway {
  readonly url: string;
  readonly #token: string;
  readonly #connectTimeoutMs: number;

  constructor(options: GatewayClientOptions) {
    if (typeof options.token !== 'string' || options.token === '') throw new TypeError('Gateway: token must be a non-empty string');
    this.url = (options.url ?? DEFAULT_GATEWAY_URL).replace(/\/+$/, '');
    this.#token = options.token;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  /** Calls the JSON API; throws ClientError with the gateway's code and message. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.#connectTimeoutMs),
      });
    } catch (error) {
      throw unreachable(this.url, error);
    }
    const text = await response.text();
    if (!response.ok) throw errorFromBody(response.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  whoami(): Promise<{ user: string; groups: string[]; actor?: string; expiresAt?: number }> {
    return this.request('GET', '/v1/whoami');
  }

  connections(): Promise<ConnectionInfo[]> {
    return this.request('GET', '/v1/connections');
  }

  /**
   * Opens a session on `connection`. With `reattach: true` a dropped connection is re-established
   * automatically within the gateway's grace period (held commands and runs carry on).
   */
  async openSession(options: OpenSessionOptions): Promise<ClientSession> {
    const { ws, reply } = await this.#handshake({ type: 'open', connection: options.connection, interactive: options.interactive ?? false, cols: options.cols, rows: options.rows });
    return new ClientSession(ws, reply as Extract<ServerMessage, { type: 'session' }>, this.#sessionOptions(options.reattach));
  }

  /** Attaches to a session of yours whose connection dropped (within the grace period). */
  async attachSession(id: string, options: { reattach?: boolean } = {}): Promise<{ session: ClientSession; skippedBytes: number }> {
    const { ws, reply } = await this.#handshake({ type: 'attach', session: id });
    const attached = reply as Extract<ServerMessage, { type: 'attached' }>;
    return { session: new ClientSession(ws, attached, this.#sessionOptions(options.reattach)), skippedBytes: attached.skippedBytes };
  }

  #sessionOptions(reattach: boolean | undefined): ConstructorParameters<typeof ClientSession>[2] {
    if (!reattach) return {};
    return {
      reattacher: async (id) => {
        const { ws, reply } = await this.#handshake({ type: 'attach', session: id });
        return { ws, skippedBytes: (reply as Extract<ServerMessage, { type: 'attached' }>).skippedBytes };
      },
    };
  }

  /** Connects, waits for hello, sends `first`, and resolves on `session`/`attached` (or rejects on error). */
  #handshake(first: ClientMessageInput): Promise<{ ws: WebSocket; reply: ServerMessage }> {
    const wsUrl = `${this.url.replace(/^http/, 'ws')}${WS_PATH}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, WS_SUBPROTOCOL, {
        headers: { authorization: `Bearer ${this.#token}` },
        handshakeTimeout: this.#connectTimeoutMs,
        perMessageDeflate: false,
      });
      let settled = false;
      const settle = (error?: ClientError, reply?: ServerMessage): void => {
        if (settled) return;
        settled = true;
        ws.off('message', onMessage);
        if (error) {
          ws.terminate();
          reject(error);
        } else {
          holdEarlyFrames(ws);
          resolve({ ws, reply: reply! });
        }
      };
      const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
        if (isBinary) return;
        const message = JSON.parse(data.toString()) as ServerMessage;
        if (message.type === 'hello') ws.send(JSON.stringify(first));
        else if (message.type === 'session' || message.type === 'attached') settle(undefined, message);
        else if (message.type === 'error') settle(new ClientError(message.code, message.message));
        // The session ended while opening (e.g. its connection's kubeconfig was refused): say why.
        else if (message.type === 'exit') settle(new ClientError('UNAVAILABLE', message.reason ?? 'the session ended while opening'));
      };
      ws.on('message', onMessage);
      ws.on('unexpected-response', (_request, response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => settle(errorFromBody(response.statusCode ?? 0, text)));
      });
      ws.on('error', (error) => settle(unreachable(this.url, error)));
      ws.on('close', (_code, reason) => settle(new ClientError('UNAVAILABLE', `the gateway closed the connection${reason.length ? `: ${reason.toString()}` : ''}`)));
    });
  }
}
