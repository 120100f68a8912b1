/**
 * A terminal-screen model of a session's output, kept in a worker thread (screen-worker.ts) so
 * that parsing output does not slow the session's data path. The command gate asks it where a
 * line starts and what the line says on screen; every answer reflects all output written before
 * the question, as an in-thread emulator would.
 *
 * It must never drop output (the model would drift from the real screen) and never let its
 * backlog grow without bound: `backlogBytes`/`onceDrained` let the session pause the program.
 * If its worker dies, every question is answered with an error, so the gate fails closed.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ScreenPosition, ScreenReply, ScreenRequest } from './screen-protocol.js';

export type { ScreenPosition } from './screen-protocol.js';

/**
 * The worker's compiled file. Under vitest this module runs from its TypeScript source, and the
 * worker (a plain Node thread) runs the build in dist/ instead.
 */
function workerFile(): URL {
  const here = fileURLToPath(import.meta.url);
  const beside = path.join(path.dirname(here), 'screen-worker.js');
  if (existsSync(beside)) return new URL(`file://${beside}`);
  const root = here.slice(0, here.lastIndexOf(`${path.sep}src${path.sep}`));
  return new URL(`file://${path.join(root, 'dist', 'src', 'server', 'screen', 'screen-worker.js')}`);
}

interface Pending {
  resolve(reply: Extract<ScreenReply, { t: 'answer' }>): void;
  reject(error: Error): void;
}

/** One worker thread and the screens it holds. */
class ScreenWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #screens = new Map<number, ScreenModel>();
  #nextRequest = 1;
  /** Write buffers the worker gave back: a new one per write would pile up there until its GC. */
  readonly #spare: ArrayBuffer[] = [];
  #failure?: Error;
  #stopping = false;

  constructor() {
    this.#worker = new Worker(workerFile());
    this.#worker.on('message', (reply: ScreenReply) => this.#onReply(reply));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the screen worker exited (${code})`)));
    // Screens live as long as their sessions; the thread must not keep a stopping process alive.
    // After the listeners: a 'message' listener refs the thread again.
    this.#worker.unref();
  }

  /** Ends the thread; its screens then answer every question with an error. */
  stop(): Promise<number> {
    this.#stopping = true;
    return this.#worker.terminate();
  }

  get alive(): boolean {
    return this.#failure === undefined;
  }

  get screens(): number {
    return this.#screens.size;
  }

  attach(id: number, screen: ScreenModel): void {
    this.#screens.set(id, screen);
  }

  detach(id: number): void {
    this.#screens.delete(id);
  }

  post(request: ScreenRequest, transfer?: ArrayBuffer[]): void {
    if (!this.#failure) this.#worker.postMessage(request, transfer);
  }

  /**
   * Sends output bytes, copied into a buffer of the worker's own, which is moved, not cloned. Big
   * writes reuse buffers the worker gave back; small ones get one of their size (a pooled buffer
   * per echo would hold 100× its bytes while many sessions wait for the worker).
   */
  write(id: number, chunk: Uint8Array): void {
    if (this.#failure) return;
    for (let offset = 0; offset < chunk.length; offset += WRITE_BUFFER_BYTES) {
      const part = chunk.subarray(offset, offset + WRITE_BUFFER_BYTES);
      const pooled = part.length >= HOLD_MAX_BYTES;
      const data = pooled ? (this.#spare.pop() ?? new ArrayBuffer(WRITE_BUFFER_BYTES)) : new ArrayBuffer(part.length);
      new Uint8Array(data).set(part);
      this.#worker.postMessage({ t: 'write', id, data, length: part.length } satisfies ScreenRequest, [data]);
    }
  }

  ask(build: (req: number) => ScreenRequest): Promise<Extract<ScreenReply, { t: 'answer' }>> {
    if (this.#failure) return Promise.reject(this.#failure);
    const req = this.#nextRequest++;
    // A question waiting for its answer keeps the process alive; an idle thread does not.
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(req, { resolve, reject });
      this.#worker.postMessage(build(req));
    });
  }

  #onReply(reply: ScreenReply): void {
    if (reply.t === 'written') {
      if (this.#spare.length < MAX_SPARE_BUFFERS && reply.data.byteLength === WRITE_BUFFER_BYTES) this.#spare.push(reply.data);
      this.#screens.get(reply.id)?.written(reply.bytes);
      return;
    }
    const pending = this.#pending.get(reply.req);
    this.#pending.delete(reply.req);
    if (this.#pending.size === 0) this.#worker.unref();
    if (!pending) return;
    if (reply.error !== undefined) pending.reject(new Error(`the screen model failed: ${reply.error}`));
    else pending.resolve(reply);
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    // Operators must hear of it: until sessions restart, their typed lines are cancelled.
    if (!this.#stopping) process.emitWarning(`the command gate's screen model stopped: ${error.message}; lines typed in open terminal sessions are cancelled`, 'HoopShellWarning');
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    for (const screen of this.#screens.values()) screen.written(Number.POSITIVE_INFINITY);
  }
}

/**
 * Output is held back on this thread and sent in batches of up to this size, or after a short
 * pause, or before a question. Waking the worker for every echo slowed the echo itself (~0.15 ms
 * at the median on 2 cores), and a `cat` read from the pty a few KB at a time is cut down to a
 * screenful only in batches of many lines (scrolled-lines.ts).
 */
const HOLD_MAX_BYTES = 64 * 1024;
const HOLD_WAIT_MS = 25;

/** Output goes to the worker in buffers of this size (a held batch fits one); a few are kept for reuse. */
const WRITE_BUFFER_BYTES = 160 * 1024;
const MAX_SPARE_BUFFERS = 4;

/** Worker threads shared by all screens of this process; a screen goes to the least busy one. */
const workers: ScreenWorker[] = [];
const MAX_WORKERS = Math.max(1, Math.min(4, availableParallelism() - 1));
let nextScreenId = 1;

function pickWorker(): ScreenWorker {
  for (let index = workers.length - 1; index >= 0; index--) if (!workers[index]!.alive) workers.splice(index, 1);
  if (workers.length < MAX_WORKERS && workers.every((worker) => worker.screens > 0)) workers.push(new ScreenWorker());
  return workers.reduce((best, worker) => (worker.screens < best.screens ? worker : best));
}

/** Starts a worker ahead of the first screen (its thread takes a moment to load). */
export function warmUpScreenWorkers(): void {
  if (workers.length === 0) pickWorker();
}

/**
 * Stops every screen worker (a stopping process; tests that check failing closed). Screens that
 * had one answer with errors from then on; new screens start a new worker.
 */
export async function stopScreenWorkers(): Promise<void> {
  const stopping = workers.splice(0);
  await Promise.all(stopping.map((worker) => worker.stop()));
}


export class ScreenModel {
  readonly #id = nextScreenId++;
  readonly #size: { cols: number; rows: number };
  #worker?: ScreenWorker;
  #inFlight = 0;
  /** Output held back (see HOLD_MAX_BYTES), in order, ahead of anything posted later. */
  #held: Buffer[] = [];
  #heldBytes = 0;
  #heldTimer?: NodeJS.Timeout;
  #drainWaiters: { bytes: number; listener: () => void }[] = [];
  readonly #writtenListeners: (() => void)[] = [];
  #disposed = false;

  constructor(cols: number, rows: number) {
    this.#size = { cols, rows };
  }

  /** Made on first use: a session's start stays as quick as without a screen model. */
  get #thread(): ScreenWorker {
    if (!this.#worker) {
      this.#worker = pickWorker();
      this.#worker.attach(this.#id, this);
      this.#worker.post({ t: 'open', id: this.#id, ...this.#size });
    }
    return this.#worker;
  }

  /** Output bytes handed to the model and not yet parsed. */
  get backlogBytes(): number {
    return this.#inFlight + this.#heldBytes;
  }

  write(chunk: Buffer): void {
    if (this.#disposed || chunk.length === 0) return;
    // Output buffers are never written to once delivered: held by reference, copied when sent.
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    if (this.#heldBytes >= HOLD_MAX_BYTES) this.#sendHeld();
    else this.#heldTimer ??= setTimeout(() => this.#sendHeld(), HOLD_WAIT_MS).unref();
  }

  #send(chunk: Buffer): void {
    this.#inFlight += chunk.length;
    this.#thread.write(this.#id, chunk);
  }

  #dropHeld(): void {
    clearTimeout(this.#heldTimer);
    this.#heldTimer = undefined;
    this.#held = [];
    this.#heldBytes = 0;
  }

  /** Sends held-back output: before any question or later output, so the order is kept. */
  #sendHeld(): void {
    clearTimeout(this.#heldTimer);
    this.#heldTimer = undefined;
    if (this.#heldBytes === 0 || this.#disposed) return;
    const held = this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held, this.#heldBytes);
    this.#held = [];
    this.#heldBytes = 0;
    this.#send(held);
  }

  resize(cols: number, rows: number): void {
    this.#size.cols = cols;
    this.#size.rows = rows;
    if (!this.#worker || this.#disposed) return;
    this.#sendHeld();
    this.#worker.post({ t: 'resize', id: this.#id, cols, rows });
  }

  /** Where the cursor is once all output so far is on the model. */
  async cursor(): Promise<ScreenPosition> {
    this.#sendHeld();
    const answer = await this.#thread.ask((req) => ({ t: 'cursor', id: this.#id, req }));
    return answer.position!;
  }

  /** The text from `start` to the cursor, as the screen shows it; undefined on the alternate screen. */
  async lineFrom(start: ScreenPosition): Promise<string | undefined> {
    this.#sendHeld();
    const answer = await this.#thread.ask((req) => ({ t: 'line', id: this.#id, req, start }));
    return answer.line;
  }

  /** Resolves once all output so far is on the model. */
  async settled(): Promise<void> {
    this.#sendHeld();
    if (this.#inFlight === 0 || this.#disposed) return;
    await this.#thread.ask((req) => ({ t: 'sync', id: this.#id, req }));
  }

  /** Called after each write is parsed (the echo of a key may have just arrived). */
  onWritten(listener: () => void): void {
    this.#writtenListeners.push(listener);
  }

  /** Calls `listener` once the backlog (held back and in flight) is at most `bytes`. */
  onceBelow(bytes: number, listener: () => void): void {
    if (this.backlogBytes <= bytes) listener();
    else this.#drainWaiters.push({ bytes, listener });
  }

  /** The worker parsed `bytes` more (Infinity: the worker is gone, nothing is pending any more). */
  written(bytes: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - bytes);
    if (bytes === Number.POSITIVE_INFINITY) this.#dropHeld(); // nothing will take it in any more
    const backlog = this.backlogBytes;
    if (this.#drainWaiters.length > 0) {
      const ready = this.#drainWaiters.filter((waiter) => backlog <= waiter.bytes);
      this.#drainWaiters = this.#drainWaiters.filter((waiter) => backlog > waiter.bytes);
      for (const waiter of ready) waiter.listener();
    }
    for (const listener of this.#writtenListeners) listener();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#dropHeld();
    this.#worker?.post({ t: 'close', id: this.#id });
    this.#worker?.detach(this.#id);
    this.written(Number.POSITIVE_INFINITY);
  }
}
