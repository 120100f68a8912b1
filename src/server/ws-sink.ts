/**
 * Adapts a WebSocket to a SessionSink: JSON control frames, binary data frames, and an exact
 * count of bytes not yet on the socket so the session can pause its program (backpressure).
 */
import type { WebSocket } from 'ws';
import { Limits } from '../limits.js';
import { encodeData, type ServerMessage, type StreamId } from '../protocol/messages.js';
import type { SessionSink } from './session/session.js';

export class WebSocketSink implements SessionSink {
  readonly #socket: WebSocket;
  #pending = 0;
  readonly #drainListeners: (() => void)[] = [];

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
    this.#send(JSON.stringify(message));
  }

  sendData(stream: StreamId, chunk: Buffer): void {
    this.#send(encodeData(stream, chunk));
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
