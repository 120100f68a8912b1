/**
 * One WebSocket for live views: subscribe to topics (`approvals`, `sessions`) and watch sessions.
 * Emits typed events; the caller decides what to do when it closes (hoop-tui reconnects).
 * It never opens a session of its own and never sends input to a watched one.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { WS_PATH, WS_SUBPROTOCOL, type LiveViewMessage, type ServerMessage } from '../protocol/messages.js';
import type { Approval } from './approvals.js';
import { ClientError } from './errors.js';

type Of<T extends LiveViewMessage['type']> = Extract<LiveViewMessage, { type: T }>;

export interface LiveEvents {
  hello: [message: Extract<ServerMessage, { type: 'hello' }>];
  approval: [approval: Approval];
  sessions: [message: Of<'sessions'>];
  subscribed: [topics: string[]];
  watching: [message: Of<'watching'>];
  'watch.output': [session: string, data: Buffer];
  'watch.resize': [message: Of<'watch.resize'>];
  'watch.marker': [message: Of<'watch.marker'>];
  'watch.skipped': [message: Of<'watch.skipped'>];
  'watch.end': [message: Of<'watch.end'>];
  error: [error: ClientError];
  close: [code: number, reason: string];
}

export class LiveConnection extends EventEmitter<LiveEvents> {
  readonly #ws: WebSocket;
  #closed = false;

  private constructor(ws: WebSocket) {
    super();
    this.#ws = ws;
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.#onMessage(data.toString());
    });
    ws.on('close', (code, reason) => {
      this.#closed = true;
      this.emit('close', code, reason.toString());
    });
    ws.on('error', () => {
      /* 'close' follows and says it */
    });
  }

  /** Opens the socket and resolves after the gateway's hello. */
  static open(url: string, token: string, timeoutMs = 10_000): Promise<LiveConnection> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${WS_PATH}`, WS_SUBPROTOCOL, {
      headers: { authorization: `Bearer ${token}` },
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
    });
    return new Promise((resolve, reject) => {
      const fail = (error: ClientError): void => {
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(error);
      };
      ws.once('message', (data) => {
        const message = JSON.parse(data.toString()) as ServerMessage;
        if (message.type !== 'hello') return fail(new ClientError('BAD_MESSAGE', `expected hello, got ${message.type}`));
        ws.removeAllListeners();
        const live = new LiveConnection(ws);
        resolve(live);
        queueMicrotask(() => live.emit('hello', message));
      });
      ws.once('unexpected-response', (_request, response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => {
          let message = `gateway answered HTTP ${response.statusCode}`;
          let code = response.statusCode === 401 ? 'UNAUTHENTICATED' : 'UNAVAILABLE';
          try {
            const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
            message = body.error?.message ?? message;
            code = body.error?.code ?? code;
          } catch {
            /* keep the status line */
          }
          fail(new ClientError(code, message));
        });
      });
      ws.once('error', (error: NodeJS.ErrnoException) => {
        const why = error.code === 'ECONNREFUSED' ? 'connection refused (is hoop-gateway serve running?)' : (error.code ?? error.message);
        fail(new ClientError('UNAVAILABLE', `cannot reach the gateway at ${url}: ${why}`));
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  #onMessage(text: string): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(text) as ServerMessage;
    } catch {
      return;
    }
    // `approval` pushes come from the approvals module (its own message type).
    if ((message as { type: string }).type === 'approval') {
      this.emit('approval', (message as unknown as { approval: Approval }).approval);
      return;
    }
    switch (message.type) {
      case 'sessions':
        this.emit('sessions', message);
        return;
      case 'subscribed':
        this.emit('subscribed', message.topics);
        return;
      case 'watching':
        this.emit('watching', message);
        return;
      case 'watch.output':
        this.emit('watch.output', message.session, Buffer.from(message.data, 'base64'));
        return;
      case 'watch.resize':
      case 'watch.marker':
      case 'watch.skipped':
      case 'watch.end':
        (this.emit as (event: string, message: unknown) => boolean)(message.type, message);
        return;
      case 'error':
        this.emit('error', new ClientError(message.code, message.message));
        return;
      default:
        return;
    }
  }

  #send(message: Record<string, unknown>): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(JSON.stringify(message));
  }

  subscribe(topics: string[]): void {
    this.#send({ type: 'subscribe', topics });
  }

  unsubscribe(topics: string[]): void {
    this.#send({ type: 'unsubscribe', topics });
  }

  watch(session: string): void {
    this.#send({ type: 'watch', session });
  }

  unwatch(session: string): void {
    this.#send({ type: 'unwatch', session });
  }

  close(): void {
    this.#closed = true;
    this.#ws.close();
  }
}
