/**
 * Writes a session as asciicast v2, one JSON line per event, as the events happen (a crash leaves
 * at most a torn last line). It receives only output that has already been masked: it must never
 * be handed clear text. Markers follow src/recorder/markers.ts; `i` (input) events only when the
 * connection asks for them (`recordInput`).
 *
 * The event loop only copies output bytes into a batch; the recording thread (recording-thread.ts)
 * decodes, encodes, writes and hashes them, in the order the events were given here.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { publishRecordingDigest } from './recording-digests.js';
import { RecordingThread, type RecordingDigest } from './recording-thread.js';

export interface AsciicastHeader {
  width: number;
  height: number;
  title?: string;
  command?: string;
  env?: Record<string, string>;
  /** Extra fields (session id, user, actor, connection): asciicast readers ignore unknown keys. */
  [key: string]: unknown;
}

const OUTPUT_BATCH_MS = 10;
/** Each batch is one message to the thread and one back, tens of µs on the event loop each:
 *  with 64 KB batches that was still a third of what recording cost the event loop. */
const OUTPUT_BATCH_BYTES = 256 * 1024;
/** A batch starts in the writer's own small buffer and is sent as an exact copy: many sessions
 *  with a little output each must not take (and drop) a 256 KB buffer every 10 ms. */
const STAGING_BYTES = 16 * 1024;

export class AsciicastWriter {
  readonly file: string;
  readonly #startedAt: number;
  readonly #thread: RecordingThread;
  readonly #id: number;
  readonly #inputDecoder = new StringDecoder('utf8');
  readonly #onFailure?: (error: Error) => void;
  #closed = false;
  #failure?: Error;
  /** Output not yet handed to the thread: one event per batch, not per 4 KB pty read. It is in
   *  #staging until it outgrows it, then in #batch (a buffer that is transferred, not copied). */
  #staging?: Buffer;
  #batch?: Buffer;
  #batchLength = 0;
  #flushTimer?: NodeJS.Timeout;
  /** Output bytes handed to the thread and not yet written. */
  #inFlight = 0;
  #drainListeners: (() => void)[] = [];
  #threadClosed = false;
  #closeWaiters: (() => void)[] = [];
  #digest?: RecordingDigest;

  /**
   * Opens the file and writes the header synchronously, so a recording that cannot be written
   * (disk full, no permission) throws here, before the session runs anything.
   * `onFailure` hears a later write error once (the session then stops: recording is required).
   */
  constructor(file: string, header: AsciicastHeader, onFailure?: (error: Error) => void) {
    this.file = file;
    this.#onFailure = onFailure;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.#startedAt = Date.now();
    const { width, height, ...rest } = header;
    const fd = openSync(file, 'wx', 0o600);
    const headerLine = Buffer.from(`${JSON.stringify({ version: 2, width, height, timestamp: Math.floor(this.#startedAt / 1000), ...rest })}\n`);
    try {
      let offset = 0;
      while (offset < headerLine.length) offset += writeSync(fd, headerLine, offset, headerLine.length - offset);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.#thread = RecordingThread.shared();
    // A copy of its own: a small Buffer's ArrayBuffer is Node's shared pool, cloned whole.
    this.#id = this.#thread.open(fd, new Uint8Array(headerLine), {
      written: (bytes) => {
        this.#inFlight -= bytes;
        this.#wakeDrainListeners();
      },
      failed: (error) => this.#fail(error),
      closed: (digest) => {
        this.#threadClosed = true;
        this.#inFlight = 0;
        this.#wakeDrainListeners();
        if (digest) {
          this.#digest = digest;
          publishRecordingDigest(this.file, digest);
        }
        for (const resolve of this.#closeWaiters.splice(0)) resolve();
      },
    });
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#onFailure?.(error);
  }

  #wakeDrainListeners(): void {
    for (const listener of this.#drainListeners.splice(0)) listener();
  }

  /** Seconds since the start, as asciicast wants them. */
  #elapsed(): number {
    return Math.round(Date.now() - this.#startedAt) / 1000;
  }

  #event(code: string, data: string): void {
    if (this.#closed || data === '') return;
    this.#flushOutput();
    this.#thread.post({ op: 'line', id: this.#id, line: `${JSON.stringify([this.#elapsed(), code, data])}\n` });
  }

  /**
   * Output is batched for at most OUTPUT_BATCH_MS or OUTPUT_BATCH_BYTES: one event and one
   * message to the thread per pty read cost more than the bytes. Any other event (input, marker,
   * resize) and close() send the batch first, so the order of events is kept. The bytes are
   * copied at once: the caller may reuse its buffer.
   */
  output(chunk: Buffer | string): void {
    if (this.#closed) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let offset = 0;
    if (!this.#batch && this.#batchLength + bytes.length <= STAGING_BYTES) {
      this.#staging ??= Buffer.allocUnsafeSlow(STAGING_BYTES);
      offset = bytes.copy(this.#staging, this.#batchLength);
      this.#batchLength += offset;
    }
    while (offset < bytes.length) {
      if (!this.#batch) {
        // Its own ArrayBuffer (never Node's shared pool): transferred to the thread, not copied.
        this.#batch = this.#thread.batchBuffer(OUTPUT_BATCH_BYTES);
        if (this.#batchLength > 0) this.#staging!.copy(this.#batch, 0, 0, this.#batchLength);
      }
      const copied = bytes.copy(this.#batch, this.#batchLength, offset);
      offset += copied;
      this.#batchLength += copied;
      if (this.#batchLength === OUTPUT_BATCH_BYTES) this.#flushOutput();
    }
    if (this.#batchLength > 0) this.#flushTimer ??= setTimeout(() => this.#flushOutput(), OUTPUT_BATCH_MS);
  }

  #flushOutput(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#batchLength === 0) return;
    const length = this.#batchLength;
    const data = (this.#batch ?? new Uint8Array(this.#staging!.subarray(0, length))).buffer as ArrayBuffer;
    this.#batch = undefined;
    this.#batchLength = 0;
    if (this.#threadClosed) return;
    this.#inFlight += length;
    this.#thread.post({ op: 'output', id: this.#id, t: this.#elapsed(), data, length });
  }

  /** Keystrokes: only for connections with `recordInput: true` (a no-echo password would be kept). */
  input(chunk: Buffer | string): void {
    this.#event('i', typeof chunk === 'string' ? chunk : this.#inputDecoder.write(chunk));
  }

  resize(cols: number, rows: number): void {
    this.#event('r', `${cols}x${rows}`);
  }

  marker(label: string): void {
    this.#event('m', label);
  }

  /** Bytes accepted but not yet written to the file (for backpressure). */
  get backlogBytes(): number {
    return this.#inFlight + this.#batchLength;
  }

  /**
   * Calls `listener` once the thread has written more of what was queued (at once if nothing
   * waits); the caller checks backlogBytes again and waits anew if it is still too high.
   */
  onceDrained(listener: () => void): void {
    if (this.#inFlight > 0 && !this.#threadClosed) this.#drainListeners.push(listener);
    else setImmediate(listener);
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  /** SHA-256 and size of the whole file as written, once closed (absent after a write failure). */
  get digest(): RecordingDigest | undefined {
    return this.#digest;
  }

  /** Flushes and closes; resolves when the file is complete on disk (at once after a failure). */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#flushOutput();
      this.#closed = true;
      if (!this.#threadClosed) this.#thread.close(this.#id, this.#elapsed());
    }
    // After a write failure the thread writes nothing more to the file (it is final as it is) and
    // the session is being stopped: it does not wait for the thread's queue to drain.
    if (this.#threadClosed || this.#failure) return Promise.resolve();
    return new Promise((resolve) => this.#closeWaiters.push(resolve));
  }
}
