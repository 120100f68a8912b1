/**
 * StreamMasker: the session's output filter. Hides secrets in a program's output before the
 * client, watchers and the recorder see it, however the output is split or coloured; one
 * MaskingStream per stream, plus the timer that releases held text after `holdMs`. It never
 * passes clear text on failure: errors propagate and the session stops output (fail closed).
 */
import type { OutputFilter } from '../session/session.js';
import type { MaskingCatalog } from './catalog.js';
import { MaskingDefaults, MaskingStream, type MaskerOptions } from './masking-stream.js';

export { MaskingCatalog } from './catalog.js';
export { MaskingDefaults, MaskingStream, type MaskerOptions } from './masking-stream.js';

/** A keystroke's echo (readline may redraw a little around it) comes within this time and size. */
const ECHO_WINDOW_MS = 250;
const ECHO_MAX_BYTES = 256;

/**
 * The OutputFilter for one session: a MaskingStream per stream, plus the timer that releases
 * held text after `holdMs` through the session's emitter.
 */
export class StreamMasker implements OutputFilter {
  readonly #streams: [MaskingStream, MaskingStream];
  readonly #holdMs: number;
  #timer?: NodeJS.Timeout;
  #emit?: (stream: 1 | 2, chunk: Buffer) => void;
  #fail?: (error: unknown) => void;
  #inputAt = 0;

  constructor(catalog: MaskingCatalog, options: MaskerOptions = {}) {
    this.#streams = [new MaskingStream(catalog, options), new MaskingStream(catalog, options)];
    this.#holdMs = options.holdMs ?? MaskingDefaults.holdMs;
  }

  setEmitter(emit: (stream: 1 | 2, chunk: Buffer) => void, fail: (error: unknown) => void): void {
    this.#emit = emit;
    this.#fail = fail;
  }

  /** The session got input: a short chunk soon after is taken as its echo (see MaskingStream.push). */
  noteInput(): void {
    this.#inputAt = performance.now();
  }

  push(stream: 1 | 2, chunk: Buffer): Buffer {
    const echo = this.#inputAt !== 0 && chunk.length <= ECHO_MAX_BYTES && performance.now() - this.#inputAt <= ECHO_WINDOW_MS;
    const out = this.#streams[stream - 1]!.push(chunk, echo);
    this.#arm();
    return out;
  }

  flush(stream: 1 | 2): Buffer {
    const out = this.#streams[stream - 1]!.flush();
    this.#arm();
    return out;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#emit = undefined;
  }

  #arm(): void {
    const held = this.#streams[0].heldBytes + this.#streams[1].heldBytes;
    if (held === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      return;
    }
    if (this.#timer || !this.#emit) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      try {
        for (const stream of [1, 2] as const) {
          const out = this.#streams[stream - 1]!.release();
          if (out.length > 0) this.#emit?.(stream, out);
        }
      } catch (error) {
        this.#fail?.(error);
      }
    }, this.#holdMs);
    this.#timer.unref?.();
  }
}

/** Masks a complete text (command lines, markers, approval requests). */
export function maskText(catalog: MaskingCatalog, text: string): string {
  const stream = new MaskingStream(catalog);
  const out = Buffer.concat([stream.push(Buffer.from(text, 'utf8')), stream.flush()]);
  return out.toString('utf8');
}
