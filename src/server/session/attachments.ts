/**
 * Which client socket each session is attached to, and what happens when it drops: the session
 * waits `graceMs` for the same identity to reattach (output kept, bounded), then ends cleanly.
 * Identity checks happen before `attach`; this module never decides who may attach.
 */
import type { WebSocket } from 'ws';
import { CloseCodes } from '../../errors.js';
import type { Session } from './session.js';
import { AttachableSink } from './attachable-sink.js';
import type { SessionSink } from './session.js';

interface Attachment {
  sink: AttachableSink;
  socket?: WebSocket;
  graceTimer?: NodeJS.Timeout;
}

export class SessionAttachments {
  readonly #graceMs: number;
  readonly #bufferBytes: number;
  readonly #attachments = new Map<string, Attachment>();

  constructor(options: { graceMs: number; bufferBytes: number }) {
    this.#graceMs = options.graceMs;
    this.#bufferBytes = options.bufferBytes;
  }

  /** The sink a new session writes to; attach its first socket with `attach`. */
  createSink(): AttachableSink {
    return new AttachableSink(this.#bufferBytes);
  }

  register(session: Session, sink: AttachableSink, socket: WebSocket, client: SessionSink): void {
    this.#attachments.set(session.id, { sink, socket });
    sink.attach(client);
    session.once('end', () => {
      const attachment = this.#attachments.get(session.id);
      this.#attachments.delete(session.id);
      clearTimeout(attachment?.graceTimer);
      const current = attachment?.socket;
      if (current && current.readyState === current.OPEN) current.close(CloseCodes.NORMAL, 'session ended');
    });
  }

  /** Moves a session to a new socket (a previous one still open is closed). Returns skipped bytes. */
  attach(session: Session, socket: WebSocket, client: SessionSink, before: (skippedBytes: number) => void): number {
    const attachment = this.#attachments.get(session.id);
    if (!attachment) throw new TypeError(`session ${session.id} has no attachment`);
    clearTimeout(attachment.graceTimer);
    attachment.graceTimer = undefined;
    const previous = attachment.socket;
    if (previous && previous !== socket) {
      attachment.socket = undefined;
      attachment.sink.detach();
      previous.close(CloseCodes.POLICY_VIOLATION, 'reattached from another connection');
    }
    attachment.socket = socket;
    return attachment.sink.attach(client, before);
  }

  /** A socket closed: if it carried the session, keep the session for the grace period. */
  socketClosed(session: Session, socket: WebSocket): void {
    const attachment = this.#attachments.get(session.id);
    if (!attachment || attachment.socket !== socket || session.ended) return;
    attachment.socket = undefined;
    attachment.sink.detach();
    if (this.#graceMs <= 0) {
      void session.end({ exitCode: null, reason: 'client disconnected' });
      return;
    }
    attachment.graceTimer = setTimeout(() => {
      void session.end({ exitCode: null, reason: `client disconnected and did not reattach within ${Math.round(this.#graceMs / 1000)}s` });
    }, this.#graceMs);
    attachment.graceTimer.unref();
  }

  isDetached(sessionId: string): boolean {
    const attachment = this.#attachments.get(sessionId);
    return attachment !== undefined && attachment.socket === undefined;
  }
}
