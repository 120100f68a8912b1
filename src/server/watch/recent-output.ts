/**
 * The last few KiB of a session's masked output, so a new watcher sees context at once.
 * It only ever holds what the output filter already let through (the session's 'output' event),
 * and never more than its bound.
 */
export class RecentOutput {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #trimmed = false;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk.length > this.#limit ? chunk.subarray(chunk.length - this.#limit) : chunk);
    this.#size += Math.min(chunk.length, this.#limit);
    if (chunk.length > this.#limit) this.#trimmed = true;
    while (this.#size > this.#limit && this.#chunks.length > 0) {
      this.#trimmed = true;
      const first = this.#chunks[0]!;
      const excess = this.#size - this.#limit;
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#size -= first.length;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#size -= excess;
      }
    }
  }

  /**
   * The kept bytes, starting after the first line break when the buffer was trimmed, so a
   * watcher's terminal does not start inside a half-cut escape sequence more often than it must.
   */
  snapshot(): Buffer {
    const all = Buffer.concat(this.#chunks);
    if (!this.#trimmed) return all;
    const newline = all.indexOf(0x0a);
    return newline >= 0 && newline < all.length - 1 ? all.subarray(newline + 1) : all;
  }

  get size(): number {
    return this.#size;
  }
}
