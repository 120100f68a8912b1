/**
 * The code that runs inside the recording thread: it turns output bytes into asciicast v2 events
 * (output-event-encoder.ts), appends them to each open recording and hashes every byte it writes,
 * so the audit chain gets the file's SHA-256 without reading the file again. It must never touch
 * a file it was not handed, and never lose the order of events.
 *
 * Run as source text in an eval worker (see recording-thread.ts), so the same code runs from
 * dist/ and from the TypeScript sources under vitest: the body is self-contained (only `require`
 * of node built-ins; the encoder factories are handed in, their source placed before this one).
 */
import type { createJsonLineEscaper } from './json-line-escaper.js';
import type { createOutputEventEncoder, OutputEventEncoder } from './output-event-encoder.js';

/** Main thread → recording thread. `id` names one open recording. */
export type ToRecordingThread =
  /** `header` is already on disk (the main thread wrote it synchronously): hashed only. */
  | { op: 'open'; id: number; fd: number; header: Uint8Array }
  /** Output bytes, `length` of `data` used; `t` is the event time in seconds. */
  | { op: 'output'; id: number; t: number; data: ArrayBuffer; length: number }
  /** A finished event line (input, marker, resize), written as is. */
  | { op: 'line'; id: number; line: string }
  /** `done` (shared): the thread stores 1 (with the digest, see recording-thread.ts) or 2 (no
   *  digest) at [0] and notifies, so the main thread can wait for it briefly without its loop. */
  | { op: 'close'; id: number; t: number; done: SharedArrayBuffer };

/** Recording thread → main thread. */
export type FromRecordingThread =
  /** `bytes` of output (as counted by the main thread) are written: backpressure relief. The
   *  batch's buffer goes back for reuse (a new one per batch piled up until this thread's GC). */
  | { op: 'ack'; id: number; bytes: number; data: ArrayBuffer }
  | { op: 'failed'; id: number; message: string; code?: string }
  /** The file is closed; `sha256` of every byte in it, absent when a write failed. */
  | { op: 'closed'; id: number; sha256?: string; bytes: number }
  /** The thread runs and reads its messages (sent once, first). */
  | { op: 'ready' };

export function recordingThreadBody(createEscaper: typeof createJsonLineEscaper, createEncoder: typeof createOutputEventEncoder): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- an eval worker has no import */
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { closeSync, writeSync } = require('node:fs') as typeof import('node:fs');
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const { isUtf8 } = require('node:buffer') as typeof import('node:buffer');
  /* eslint-enable @typescript-eslint/no-require-imports */
  interface OpenFile {
    fd: number;
    encoder: OutputEventEncoder;
    hash: ReturnType<typeof createHash>;
    bytes: number;
    failed: boolean;
  }
  const files = new Map<number, OpenFile>();
  const port = parentPort!;
  const send = (message: FromRecordingThread): void => port.postMessage(message);
  const escape = createEscaper();

  // Whole buffer or a failure: a digest is only handed out for bytes that all reached the file.
  const append = (id: number, file: OpenFile, data: Uint8Array | undefined): void => {
    if (file.failed || !data) return;
    try {
      let offset = 0;
      while (offset < data.length) offset += writeSync(file.fd, data, offset, data.length - offset);
    } catch (error) {
      file.failed = true;
      const { message, code } = error as NodeJS.ErrnoException;
      send({ op: 'failed', id, message, ...(code ? { code } : {}) });
      return;
    }
    file.hash.update(data);
    file.bytes += data.length;
  };

  send({ op: 'ready' });
  port.on('message', (message: ToRecordingThread) => {
    if (message.op === 'open') {
      const hash = createHash('sha256').update(message.header);
      files.set(message.id, { fd: message.fd, encoder: createEncoder(escape, isUtf8), hash, bytes: message.header.length, failed: false });
      return;
    }
    const file = files.get(message.id);
    if (!file) return;
    if (message.op === 'output') {
      append(message.id, file, file.encoder.encode(new Uint8Array(message.data, 0, message.length), message.t));
      port.postMessage({ op: 'ack', id: message.id, bytes: message.length, data: message.data } satisfies FromRecordingThread, [message.data]);
    } else if (message.op === 'line') {
      append(message.id, file, Buffer.from(message.line));
    } else {
      append(message.id, file, file.encoder.end(message.t));
      files.delete(message.id);
      try {
        closeSync(file.fd);
      } catch {
        /* the bytes are written; a close error changes nothing we could report */
      }
      const sha256 = file.failed ? undefined : file.hash.digest('hex');
      // Layout of `done`: Int32 state at 0, Float64 bytes at 8, the 32 digest bytes at 16.
      const state = new Int32Array(message.done, 0, 1);
      new Float64Array(message.done, 8, 1)[0] = file.bytes;
      if (sha256) new Uint8Array(message.done, 16, 32).set(Buffer.from(sha256, 'hex'));
      Atomics.store(state, 0, sha256 ? 1 : 2);
      Atomics.notify(state, 0);
      send({ op: 'closed', id: message.id, bytes: file.bytes, ...(sha256 ? { sha256 } : {}) });
    }
  });
}
