/**
 * Writes a session as asciicast v2, one JSON line per event, as the events happen (a crash leaves
 * at most a torn last line). It receives only output that has already been masked: it must never
 * be handed clear text. Markers follow src/recorder/markers.ts; `i` (input) events only when the
 * connection asks for them (`recordInput`).
 */
import { closeSync, createWriteStream, mkdirSync, openSync, writeSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';

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
const OUTPUT_BATCH_CHARS = 64 * 1024;

export class AsciicastWriter {
  readonly file: string;
  readonly #stream: WriteStream;
  readonly #startedAt: number;
  readonly #decoder = new StringDecoder('utf8');
  readonly #inputDecoder = new StringDecoder('utf8');
  #closed = false;
  #failure?: Error;
  /** Output decoded but not yet written: one event per batch, not per 4 KB pty read. */
  #pendingOutput: string[] = [];
  #pendingLength = 0;
  #flushTimer?: NodeJS.Timeout;

  /**
   * Opens the file and writes the header synchronously, so a recording that cannot be written
   * (disk full, no permission) throws here, before the session runs anything.
   * `onFailure` hears a later write error once (the session then stops: recording is required).
   */
  constructor(file: string, header: AsciicastHeader, onFailure?: (error: Error) => void) {
    this.file = file;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.#startedAt = Date.now();
    const { width, height, ...rest } = header;
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify({ version: 2, width, height, timestamp: Math.floor(this.#startedAt / 1000), ...rest })}\n`);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.#stream = createWriteStream(file, { fd, flags: 'a' });
    this.#stream.on('error', (error) => {
      if (this.#failure) return;
      this.#failure = error;
      onFailure?.(error);
    });
  }

  /** Seconds since the start, as asciicast wants them. */
  #elapsed(): number {
    return Math.round(Date.now() - this.#startedAt) / 1000;
  }

  #event(code: string, data: string): void {
    if (this.#closed || data === '') return;
    if (code !== 'o') this.#flushOutput();
    this.#stream.write(`${JSON.stringify([this.#elapsed(), code, data])}\n`);
  }

  /**
   * Output is batched for at most OUTPUT_BATCH_MS or OUTPUT_BATCH_CHARS: writing one event and
   * one file write per pty read cost the gateway more than the bytes. Any other event (input,
   * marker, resize) and close() write the batch first, so the order of events is kept.
   */
  output(chunk: Buffer | string): void {
    if (this.#closed) return;
    const text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    if (text === '') return;
    this.#pendingOutput.push(text);
    this.#pendingLength += text.length;
    if (this.#pendingLength >= OUTPUT_BATCH_CHARS) this.#flushOutput();
    else this.#flushTimer ??= setTimeout(() => this.#flushOutput(), OUTPUT_BATCH_MS);
  }

  #flushOutput(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#pendingLength === 0) return;
    const data = this.#pendingOutput.length === 1 ? this.#pendingOutput[0]! : this.#pendingOutput.join('');
    this.#pendingOutput = [];
    this.#pendingLength = 0;
    this.#stream.write(`${JSON.stringify([this.#elapsed(), 'o', data])}\n`);
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
    return this.#stream.writableLength + this.#pendingLength;
  }

  /** Calls `listener` once the file has taken what was queued (at once if nothing waits). */
  onceDrained(listener: () => void): void {
    if (this.#stream.writableNeedDrain && !this.#stream.destroyed) this.#stream.once('drain', listener);
    else setImmediate(listener);
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Flushes and closes; resolves when the file is complete on disk. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const rest = this.#decoder.end();
    if (rest) this.output(rest);
    this.#flushOutput();
    this.#closed = true;
    return new Promise((resolve) => {
      this.#stream.end(() => resolve());
      this.#stream.once('error', () => resolve());
    });
  }
}
