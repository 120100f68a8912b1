/**
 * The sink a session writes to, to which clients come and go. While no client is attached
 * (a dropped connection within the reattach grace period) frames are kept: every control
 * message, and the most recent output up to a bound; older output is counted as skipped (the
 * recording still has it all). A reattaching client gets the kept frames in order, then live ones.
 */
import type { ServerMessage, StreamId } from '../../protocol/messages.js';
import type { SessionSink } from './session.js';

type Frame = { kind: 'control'; message: ServerMessage } | { kind: 'data'; stream: StreamId; chunk: Buffer };

export class AttachableSink implements SessionSink {
  readonly #bufferLimit: number;
  #client?: SessionSink;
  #frames: Frame[] = [];
  #bufferedBytes = 0;
  #skippedBytes = 0;
  readonly #drainListeners: (() => void)[] = [];

  constructor(bufferLimit: number) {
    this.#bufferLimit = bufferLimit;
  }

  get attached(): boolean {
    return this.#client !== undefined;
  }

  /** Attaches a client and hands it what it missed. Returns the bytes of output it cannot get. */
  attach(client: SessionSink, onReplayStart?: (skippedBytes: number) => void): number {
    const skipped = this.#skippedBytes;
    onReplayStart?.(skipped);
    for (const frame of this.#frames) {
      if (frame.kind === 'control') client.sendControl(frame.message);
      else client.sendData(frame.stream, frame.chunk);
    }
    this.#frames = [];
    this.#bufferedBytes = 0;
    this.#skippedBytes = 0;
    this.#client = client;
    client.onDrain(() => {
      if (this.#client === client) this.#notifyDrain();
    });
    return skipped;
  }

  detach(): void {
    this.#client = undefined;
    // Nobody reads now: output is kept (bounded) instead, so a paused program may go on.
    this.#notifyDrain();
  }

  get pendingBytes(): number {
    return this.#client?.pendingBytes ?? 0;
  }

  onDrain(listener: () => void): void {
    this.#drainListeners.push(listener);
  }

  #notifyDrain(): void {
    for (const listener of this.#drainListeners) listener();
  }

  sendControl(message: ServerMessage): void {
    if (this.#client) this.#client.sendControl(message);
    else this.#frames.push({ kind: 'control', message });
  }

  sendData(stream: StreamId, chunk: Buffer): void {
    if (this.#client) {
      this.#client.sendData(stream, chunk);
      return;
    }
    this.#frames.push({ kind: 'data', stream, chunk });
    this.#bufferedBytes += chunk.length;
    this.#trim();
  }

  /** Drops the oldest output (never a control message) until the kept output fits the bound. */
  #trim(): void {
    if (this.#bufferedBytes <= this.#bufferLimit) return;
    const kept: Frame[] = [];
    let excess = this.#bufferedBytes - this.#bufferLimit;
    for (const frame of this.#frames) {
      if (excess > 0 && frame.kind === 'data') {
        if (frame.chunk.length <= excess) {
          excess -= frame.chunk.length;
          this.#skippedBytes += frame.chunk.length;
          this.#bufferedBytes -= frame.chunk.length;
          continue;
        }
        // Keep the tail of a chunk that straddles the bound.
        kept.push({ ...frame, chunk: frame.chunk.subarray(excess) });
        this.#skippedBytes += excess;
        this.#bufferedBytes -= excess;
        excess = 0;
        continue;
      }
      kept.push(frame);
    }
    this.#frames = kept;
  }
}
