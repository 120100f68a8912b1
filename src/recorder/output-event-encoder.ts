/**
 * Encodes output bytes as asciicast v2 `o` event lines, byte for byte what
 * `JSON.stringify([t, 'o', text]) + '\n'` gives for the text a streaming UTF-8 decoder (U+FFFD for
 * invalid bytes, a character split across chunks kept for the next one) would produce, but
 * without making a string: valid UTF-8 is copied with only JSON's escapes (json-line-escaper.ts);
 * anything else takes the string path. It must never change a recorded character.
 *
 * Runs inside the recording thread as source text (recording-thread.ts): self-contained, no
 * imports, no helpers from outside this function (the escaper and node:buffer's `isUtf8` are
 * handed in).
 */
import type { JsonLineEscaper } from './json-line-escaper.js';

export interface OutputEventEncoder {
  /** The event line for `chunk` at `t` seconds (a view valid until the next call), or undefined
   *  if the chunk only held the start of a character. */
  encode(chunk: Uint8Array, t: number): Uint8Array | undefined;
  /** At close: the line for a character left incomplete (U+FFFD), if any. */
  end(t: number): Uint8Array | undefined;
}

/** `escape` (json-line-escaper.ts) is shared by all encoders of a thread: one line at a time. */
export function createOutputEventEncoder(escape: JsonLineEscaper, isUtf8: (input: Uint8Array) => boolean): OutputEventEncoder {
  const suffix = Buffer.from('"]\n');
  let carry: Buffer | undefined;

  /**
   * Length of `data` without a trailing unfinished UTF-8 sequence (kept for the next chunk, as
   * StringDecoder keeps it). Keeping an impossible start too is harmless: it is decoded together
   * with what follows, which gives the same U+FFFDs as decoding it now.
   */
  const completeLength = (data: Uint8Array): number => {
    const n = data.length;
    for (let back = 1; back <= 3 && back <= n; back += 1) {
      const lead = data[n - back]!;
      if ((lead & 0xc0) === 0x80) continue;
      const need = lead >= 0xf8 ? 0 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
      return need > back ? n - back : n;
    }
    return n;
  };

  const stringLine = (text: string, t: number): Uint8Array => Buffer.from(`${JSON.stringify([t, 'o', text])}\n`);

  return {
    encode(chunk, t) {
      let data = chunk;
      if (carry) {
        data = Buffer.concat([carry, chunk]);
        carry = undefined;
      }
      const cut = completeLength(data);
      if (cut < data.length) carry = Buffer.from(data.subarray(cut));
      if (cut === 0) return undefined;
      const body = data.subarray(0, cut);
      // Valid UTF-8 decodes to exactly these bytes: escape them in place. Otherwise let the
      // decoder place the U+FFFDs (maximal subparts, as StringDecoder did).
      return isUtf8(body) ? escape(`[${t},"o","`, body, suffix) : stringLine(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8'), t);
    },
    end(t) {
      if (!carry) return undefined;
      const text = carry.toString('utf8');
      carry = undefined;
      return stringLine(text, t);
    },
  };
}
