/**
 * One background thread that encodes, writes and hashes every recording of the process, so the
 * gateway's event loop only copies output bytes into a batch (JSON encoding and SHA-256 of a
 * 100 MB session took a third of the main thread). It routes the thread's answers to the open
 * recordings; it must never let a dead thread leave a recording waiting forever: if the thread
 * dies, every open recording fails (the session then stops, as for a full disk).
 */
import { Worker } from 'node:worker_threads';
import { createJsonLineEscaper } from './json-line-escaper.js';
import { createOutputEventEncoder } from './output-event-encoder.js';
import { recordingThreadBody, type FromRecordingThread, type ToRecordingThread } from './recording-thread-body.js';

const MAX_SPARE_BUFFERS = 8;
/** Longest a close() waits for the thread without yielding the event loop (then it waits async). */
const CLOSE_WAIT_MS = 100;

export interface RecordingDigest {
  sha256: string;
  bytes: number;
}

/** What one open recording hears from the thread. */
export interface RecordingCallbacks {
  written(bytes: number): void;
  failed(error: Error): void;
  /** The file is closed; no digest when a write failed or the thread died. */
  closed(digest: RecordingDigest | undefined): void;
}

export class RecordingThread {
  static #shared?: RecordingThread;

  /** The process's recording thread, started on first use (and again after a crash). */
  static shared(): RecordingThread {
    if (!RecordingThread.#shared || RecordingThread.#shared.#dead) RecordingThread.#shared = new RecordingThread();
    return RecordingThread.#shared;
  }

  readonly #worker: Worker;
  readonly #open = new Map<number, RecordingCallbacks>();
  /** Batch buffers back from the thread, for the next batches (never more than a few). */
  readonly #spare: ArrayBuffer[] = [];
  #spareBytes = 0;
  #nextId = 1;
  #dead = false;
  /** Until the thread has started, close() does not block on it. */
  #ready = false;

  private constructor() {
    // The files are opened here (the header is written synchronously) and closed by the thread:
    // fd tracking per thread would warn about that on every close.
    const factories = [createJsonLineEscaper, createOutputEventEncoder];
    const source = `${factories.map(String).join('\n')}\n(${String(recordingThreadBody)})(${factories.map((factory) => factory.name).join(', ')});`;
    this.#worker = new Worker(source, { eval: true, name: 'hoop-recorder', trackUnmanagedFds: false });
    this.#worker.on('message', (message: FromRecordingThread) => this.#receive(message));
    this.#worker.on('error', (error) => this.#die(error));
    this.#worker.on('exit', (code) => this.#die(new Error(`the recording thread exited (code ${code})`)));
    // Idle, the thread must not keep the process alive; with a recording open it must (close()
    // waits for it, e.g. during gateway shutdown). After the listeners: a 'message' listener refs.
    this.#worker.unref();
  }

  /** Registers an open file (the header already written); returns the id to post with. */
  open(fd: number, header: Uint8Array, callbacks: RecordingCallbacks): number {
    const id = this.#nextId++;
    if (this.#dead) {
      queueMicrotask(() => {
        callbacks.failed(new Error('the recording thread is not running'));
        callbacks.closed(undefined);
      });
      return id;
    }
    if (this.#open.size === 0) this.#worker.ref();
    this.#open.set(id, callbacks);
    this.post({ op: 'open', id, fd, header });
    return id;
  }

  /** A buffer for one output batch, transferred to the thread with it and given back after. */
  batchBuffer(bytes: number): Buffer {
    this.#spareBytes = bytes;
    const spare = this.#spare.pop();
    return spare && spare.byteLength === bytes ? Buffer.from(spare) : Buffer.allocUnsafeSlow(bytes);
  }

  post(message: ToRecordingThread): void {
    if (this.#dead) return;
    if (message.op === 'output') this.#worker.postMessage(message, [message.data]);
    else this.#worker.postMessage(message);
  }

  /** Stops the thread as a crash would (tests): open recordings fail, the next one starts anew. */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
    this.#die(new Error('the recording thread was stopped'));
  }

  /**
   * Closes a recording. Returns its digest (or null: closed without one) at once if the thread
   * finished it within CLOSE_WAIT_MS: a session's end then goes on in the same turn, as when the
   * recording was closed on this thread (its program's exit must not overtake it), and the thread
   * only has the last batches to write: backpressure bounds them to about a megabyte. Returns
   * undefined if the caller must wait for `closed`.
   */
  close(id: number, t: number): RecordingDigest | null | undefined {
    if (this.#dead) return undefined;
    const done = new SharedArrayBuffer(48);
    this.post({ op: 'close', id, t, done });
    if (!this.#ready) return undefined;
    const state = new Int32Array(done, 0, 1);
    if (Atomics.wait(state, 0, 0, CLOSE_WAIT_MS) === 'timed-out') return undefined;
    const callbacks = this.#open.get(id);
    this.#open.delete(id);
    if (this.#open.size === 0) this.#worker.unref();
    const digest = Atomics.load(state, 0) === 1 ? { sha256: Buffer.from(new Uint8Array(done, 16, 32)).toString('hex'), bytes: new Float64Array(done, 8, 1)[0]! } : null;
    callbacks?.closed(digest ?? undefined);
    return digest;
  }

  #receive(message: FromRecordingThread): void {
    if (message.op === 'ready') {
      this.#ready = true;
      return;
    }
    // Small batches were sent as exact copies: only full-size buffers are worth keeping (also
    // from acks that arrive after a close() that did not wait for them).
    if (message.op === 'ack' && message.data.byteLength === this.#spareBytes && this.#spare.length < MAX_SPARE_BUFFERS) this.#spare.push(message.data);
    const callbacks = this.#open.get(message.id);
    if (!callbacks) return;
    if (message.op === 'ack') callbacks.written(message.bytes);
    else if (message.op === 'failed') callbacks.failed(Object.assign(new Error(message.message), message.code ? { code: message.code } : {}));
    else {
      this.#open.delete(message.id);
      if (this.#open.size === 0) this.#worker.unref();
      callbacks.closed(message.sha256 ? { sha256: message.sha256, bytes: message.bytes } : undefined);
    }
  }

  #die(error: Error): void {
    if (this.#dead) return;
    this.#dead = true;
    const open = [...this.#open.values()];
    this.#open.clear();
    for (const callbacks of open) {
      callbacks.failed(error);
      callbacks.closed(undefined);
    }
  }
}
