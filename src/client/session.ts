/**
 * A session seen from the client: terminal data in and out, runs with their framed results, and
 * the session's end. The same class serves hoop-shell, hoop-tui and agents.
 */
import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { Stream, encodeData, type ClientMessageInput, type ServerMessage, type SessionMode } from '../protocol/messages.js';
import { ClientError } from './errors.js';

export type RunDecision = 'allow' | 'deny' | 'review';

export interface RunResult {
  id: string;
  /** `allow` (ran at once), `review` (held, then approved), `deny` (refused or not approved). */
  decision: RunDecision;
  approval?: string;
  approvedBy?: string[];
  deniedBy?: string;
  reason?: string;
  exitCode: number;
  /** Collected output (stdout and stderr in arrival order) when `collect` was asked for. */
  output?: string;
}

export interface RunOptions {
  tty?: boolean;
  /** The caller will write stdin and call eof(); otherwise stdin is closed at once. */
  stdin?: boolean;
  /** Keep the run's output in the result (agents, --json). */
  collect?: boolean;
}

export interface RunHandle {
  id: string;
  result: Promise<RunResult>;
}

interface PendingRun {
  id: string;
  state: RunResult;
  chunks: Buffer[] | undefined;
  resolve: (result: RunResult) => void;
  reject: (error: Error) => void;
}

/** Opens a fresh socket attached to this session; resolves with it and the bytes skipped. */
export type Reattacher = (sessionId: string) => Promise<{ ws: WebSocket; skippedBytes: number }>;

export interface SessionEvents {
  data: [stream: 1 | 2, chunk: Buffer];
  /** The connection dropped and was re-established; `skippedBytes` of output could not be replayed. */
  reattached: [skippedBytes: number];
  message: [message: ServerMessage];
  held: [message: Extract<ServerMessage, { type: 'held' }>];
  exit: [message: Extract<ServerMessage, { type: 'exit' }>];
  close: [code: number, reason: string];
}

/** Frames that arrived after the handshake's reply and before a ClientSession bound the socket. */
const earlyFrames = new WeakMap<WebSocket, { frames: [Buffer, boolean][]; stop(): void }>();

/** Called by the handshake the moment it resolves: nothing that follows `session` is dropped. */
export function holdEarlyFrames(ws: WebSocket): void {
  const frames: [Buffer, boolean][] = [];
  const listener = (data: WebSocket.RawData, isBinary: boolean): void => void frames.push([data as Buffer, isBinary]);
  ws.on('message', listener);
  earlyFrames.set(ws, { frames, stop: () => ws.off('message', listener) });
}

export class ClientSession extends EventEmitter<SessionEvents> {
  readonly id: string;
  readonly connection: string;
  readonly mode: SessionMode;
  readonly connectionType: string;
  #ws: WebSocket;
  readonly #runs: PendingRun[] = [];
  #nextRun = 1;
  #exit?: Extract<ServerMessage, { type: 'exit' }>;
  #lastError?: ClientError;
  #closing = false;
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;
  readonly #reattacher?: Reattacher;
  readonly #reattachForMs: number;

  /**
   * `reattacher`: when given, a dropped connection (no `exit` from the gateway, no close() by us)
   * is re-established for up to `reattachForMs`; pending runs and held commands carry on.
   */
  constructor(
    ws: WebSocket,
    opened: Pick<Extract<ServerMessage, { type: 'session' }>, 'id' | 'connection' | 'mode' | 'connectionType'>,
    options: { reattacher?: Reattacher; reattachForMs?: number } = {},
  ) {
    super();
    this.#ws = ws;
    this.id = opened.id;
    this.connection = opened.connection;
    this.mode = opened.mode;
    this.connectionType = opened.connectionType;
    this.#reattacher = options.reattacher;
    this.#reattachForMs = options.reattachForMs ?? 55_000;
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#bind(ws);
  }

  #bind(ws: WebSocket): void {
    this.#ws = ws;
    // Frames that came in the same read as `session` are emitted before the opener's `await`
    // resumes: hold everything until the next turn so its first `data` listener sees the prompt.
    const early = earlyFrames.get(ws);
    early?.stop();
    earlyFrames.delete(ws);
    let held: [Buffer, boolean][] | undefined = [...(early?.frames ?? [])];
    setImmediate(() => {
      const early = held!;
      held = undefined;
      for (const [data, isBinary] of early) this.#onMessage(data, isBinary);
    });
    ws.on('message', (data, isBinary) => (held ? held.push([data as Buffer, isBinary]) : this.#onMessage(data as Buffer, isBinary)));
    ws.on('error', () => {
      /* 'close' follows and decides */
    });
    ws.on('close', (code, reason) => void this.#onClose(ws, code, reason.toString()));
  }

  async #onClose(ws: WebSocket, code: number, text: string): Promise<void> {
    if (ws !== this.#ws) return;
    const dropped = !this.#exit && !this.#closing && !this.#lastError;
    if (dropped && this.#reattacher && (await this.#tryReattach())) return;
    const error = this.#lastError ?? new ClientError('UNAVAILABLE', `connection to the gateway closed${text ? `: ${text}` : ''}`);
    for (const run of this.#runs.splice(0)) run.reject(error);
    this.emit('close', code, text);
    this.#resolveClosed();
  }

  async #tryReattach(): Promise<boolean> {
    const deadline = Date.now() + this.#reattachForMs;
    for (let delay = 100; Date.now() < deadline; delay = Math.min(delay * 2, 5000)) {
      try {
        const { ws, skippedBytes } = await this.#reattacher!(this.id);
        this.#bind(ws);
        this.emit('reattached', skippedBytes);
        return true;
      } catch (error) {
        // A session the gateway no longer has will not come back: stop trying.
        if (error instanceof ClientError && error.code === 'UNKNOWN_SESSION') {
          this.#lastError = error;
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return false;
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      const stream = data[0];
      if (stream !== Stream.stdout && stream !== Stream.stderr) return;
      const payload = data.subarray(1);
      this.#runs[0]?.chunks?.push(payload);
      this.emit('data', stream, payload);
      return;
    }
    const message = JSON.parse(data.toString('utf8')) as ServerMessage;
    this.emit('message', message);
    const run = 'id' in message && message.id ? this.#runs.find((candidate) => candidate.id === message.id) : undefined;
    switch (message.type) {
      case 'held':
        if (run) {
          run.state.decision = 'review';
          run.state.approval = message.approval;
        }
        this.emit('held', message);
        break;
      case 'approved':
        if (run) run.state.approvedBy = message.by;
        break;
      case 'denied':
        if (run) {
          run.state.decision = 'deny';
          run.state.reason = message.reason;
          run.state.deniedBy = message.by;
          if (message.approval) run.state.approval = message.approval;
        }
        break;
      case 'run.exit':
        if (run) {
          run.state.exitCode = message.exitCode;
          if (run.chunks) run.state.output = Buffer.concat(run.chunks).toString('utf8');
          this.#runs.splice(this.#runs.indexOf(run), 1);
          run.resolve(run.state);
        }
        break;
      case 'error': {
        const error = new ClientError(message.code, message.message);
        if (message.fatal) this.#lastError = error;
        if (run) {
          this.#runs.splice(this.#runs.indexOf(run), 1);
          run.reject(error);
        }
        break;
      }
      case 'exit':
        this.#exit = message;
        this.emit('exit', message);
        break;
      default:
        break;
    }
  }

  #send(message: ClientMessageInput): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(JSON.stringify(message));
  }

  /** Runs one command; resolves when it has exited (or was refused). Runs execute in order. */
  run(command: string | string[], options: RunOptions = {}): RunHandle {
    const id = String(this.#nextRun++);
    const result = new Promise<RunResult>((resolve, reject) => {
      this.#runs.push({ id, state: { id, decision: 'allow', exitCode: -1 }, chunks: options.collect ? [] : undefined, resolve, reject });
    });
    this.#send({ type: 'run', id, command, tty: options.tty ?? false, stdin: options.stdin ?? false });
    return { id, result };
  }

  /** Sends input: keystrokes in a terminal session, stdin of the current run otherwise. */
  write(data: Buffer | string): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(encodeData(Stream.stdin, data));
  }

  /** Bytes queued towards the gateway (for the caller's own flow control of stdin). */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  eof(): void {
    this.#send({ type: 'eof' });
  }

  resize(cols: number, rows: number): void {
    this.#send({ type: 'resize', cols, rows });
  }

  signal(signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGQUIT' | 'SIGKILL'): void {
    this.#send({ type: 'signal', signal });
  }

  /** Stops reading from the gateway (backpressure: the gateway then pauses the program). */
  pause(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }

  /** The session's end as the gateway reported it, once known. */
  get exitMessage(): Extract<ServerMessage, { type: 'exit' }> | undefined {
    return this.#exit;
  }

  get lastError(): ClientError | undefined {
    return this.#lastError;
  }

  /** Resolves when the WebSocket has closed. */
  closed(): Promise<void> {
    return this.#closed;
  }

  /** Cancels a run: a queued or held one never starts; a running one is terminated (exit 130/143). */
  cancel(runId: string): void {
    this.#send({ type: 'cancel', id: runId });
  }

  /** Ends the session and waits for the gateway to confirm. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#send({ type: 'close' });
    const timer = setTimeout(() => this.#ws.terminate(), 5000);
    await this.#closed;
    clearTimeout(timer);
  }
}
