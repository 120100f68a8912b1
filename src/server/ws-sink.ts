/**
 * Adapts a WebSocket to a SessionSink: JSON control frames, binary data frames, and an exact
 * count of bytes not yet on the socket so the session can pause its program (backpressure).
 * Output chunks that arrive in one turn of the event loop go out as one frame (a pty hands over
 * 4 KB at a time; a frame and a write per chunk cost more than the bytes): never reordered, and
 * a control message always follows the data sent before it.
 */
import type { WebSocket } from 'ws';
import { Limits } from '../limits.js';
import type { ServerMessage, StreamId } from '../protocol/messages.js';
import type { SessionSink } from './session/session.js';

/** A batch is sent at once when it reaches this size instead of waiting for the turn to end. */
const MAX_BATCH_BYTES = 256 * 1024;
/** Output up to this size is sent at once when the socket is idle (echo); larger output is batched per loop turn. */
const IMMEDIATE_MAX_BYTES = 512;

export class WebSocketSink implements SessionSink {
  readonly #socket: WebSocket;
  #pending = 0;
  readonly #drainListeners: (() => void)[] = [];
  #batch: Buffer[] = [];
  #batchBytes = 0;
  #batchStream: StreamId = 1;
  #flushScheduled = false;

  constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  get pendingBytes(): number {
    return this.#pending;
  }

  onDrain(listener: () => void): void {
    this.#drainListeners.push(listener);
  }

  sendControl(message: ServerMessage): void {
    this.#flush();
    this.#send(JSON.stringify(message));
  }

  sendData(stream: StreamId, chunk: Buffer): void {
    if (this.#socket.readyState !== this.#socket.OPEN || chunk.length === 0) return;
    if (this.#batchBytes > 0 && stream !== this.#batchStream) this.#flush();
    // Nothing batched or in flight and a small chunk (a keystroke's echo): there is nothing to
    // batch it with, so it goes now rather than a loop turn later.
    const idle = this.#pending === 0 && chunk.length <= IMMEDIATE_MAX_BYTES;
    this.#batchStream = stream;
    this.#batch.push(chunk);
    this.#batchBytes += chunk.length;
    this.#pending += chunk.length;
    if (this.#batchBytes >= MAX_BATCH_BYTES || idle) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
  }

  #flush(): void {
    if (this.#batchBytes === 0) return;
    const frame = Buffer.allocUnsafe(this.#batchBytes + 1);
    frame[0] = this.#batchStream;
    let offset = 1;
    for (const chunk of this.#batch) {
      frame.set(chunk, offset);
      offset += chunk.length;
    }
    this.#pending -= this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    this.#send(frame);
  }

  #send(payload: string | Buffer): void {
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    const size = payload.length;
    this.#pending += size;
    // The callback fires once the frame is handed to the kernel: that is our drain signal.
    this.#socket.send(payload, { binary: typeof payload !== 'string' }, () => {
      const before = this.#pending;
      this.#pending -= size;
      if (before > Limits.outputLowWaterBytes && this.#pending <= Limits.outputLowWaterBytes) {
        for (const listener of this.#drainListeners) listener();
      }
    });
  }
}
