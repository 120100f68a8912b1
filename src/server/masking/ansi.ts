/**
 * Separates terminal control sequences from the text a person reads, so detectors see
 * `AKIA…` even when colour or cursor codes sit inside it. Works on latin1 strings (one char per
 * byte), so no byte is ever altered or lost and multi-byte UTF-8 passes through untouched.
 * It never decides what is secret; it only maps readable text back to raw byte offsets.
 */

const ESC = 0x1b;
const BEL = 0x07;

export interface StrippedText {
  /** The readable text: raw minus escape sequences. OSC/DCS payloads count as text (titles can carry secrets). */
  clean: string;
  /** map[j] = raw index of clean char j; null when raw had no escape (identity). */
  map: Int32Array | null;
  /** Raw bytes from here on are an unfinished escape sequence (held back unless final). */
  rawLimit: number;
}

/** Longest escape sequence we wait for; a longer unterminated one is treated as text. */
const MAX_ESCAPE = 4096;

export function stripEscapes(raw: string, final: boolean): StrippedText {
  const first = raw.indexOf('\x1b');
  if (first === -1) return { clean: raw, map: null, rawLimit: raw.length };
  const parts: string[] = [];
  const map = new Int32Array(raw.length);
  let cleanLength = 0;
  const keep = (from: number, to: number): void => {
    if (to <= from) return;
    parts.push(raw.slice(from, to));
    for (let r = from; r < to; r++) map[cleanLength++] = r;
  };
  let textFrom = 0;
  let i = first;
  let rawLimit = raw.length;
  while (i < raw.length) {
    if (raw.charCodeAt(i) !== ESC) {
      i++;
      continue;
    }
    keep(textFrom, i);
    const sequence = escapeEnd(raw, i);
    if (sequence.end === -1) {
      // Unfinished at the end of the data: hold it, unless flushing (then it is text, so a
      // secret can never hide in an unterminated sequence).
      if (!final && raw.length - i <= MAX_ESCAPE) {
        rawLimit = i;
        textFrom = raw.length;
        break;
      }
      textFrom = i;
      i++;
      continue;
    }
    if (sequence.payloadStart !== -1) keep(sequence.payloadStart, sequence.payloadEnd);
    i = sequence.end;
    textFrom = i;
  }
  keep(textFrom, raw.length);
  return { clean: parts.join(''), map: map.subarray(0, cleanLength), rawLimit };
}

interface EscapeBounds {
  /** Index after the sequence, or -1 when it is not finished in this data. */
  end: number;
  payloadStart: number;
  payloadEnd: number;
}

function escapeEnd(raw: string, start: number): EscapeBounds {
  const none = { payloadStart: -1, payloadEnd: -1 };
  if (start + 1 >= raw.length) return { end: -1, ...none };
  const kind = raw.charCodeAt(start + 1);
  if (kind === 0x5b /* [ CSI */) {
    for (let j = start + 2; j < raw.length; j++) {
      const c = raw.charCodeAt(j);
      if (c >= 0x40 && c <= 0x7e) return { end: j + 1, ...none };
      if (c < 0x20 || c > 0x3f) {
        if (c >= 0x20 && c <= 0x2f) continue;
        return { end: j, ...none }; // malformed: stop at the offending byte, which stays text
      }
    }
    return { end: -1, ...none };
  }
  if (kind === 0x5d /* ] OSC */ || kind === 0x50 /* P DCS */ || kind === 0x58 || kind === 0x5e || kind === 0x5f) {
    for (let j = start + 2; j < raw.length; j++) {
      const c = raw.charCodeAt(j);
      if (c === BEL) return { end: j + 1, payloadStart: start + 2, payloadEnd: j };
      if (c === ESC) {
        if (j + 1 >= raw.length) return { end: -1, ...none };
        if (raw.charCodeAt(j + 1) === 0x5c) return { end: j + 2, payloadStart: start + 2, payloadEnd: j };
      }
    }
    return { end: -1, ...none };
  }
  if (kind >= 0x20 && kind <= 0x2f) {
    // ESC intermediate(s) final, e.g. ESC ( B
    for (let j = start + 2; j < raw.length; j++) {
      const c = raw.charCodeAt(j);
      if (c >= 0x30 && c <= 0x7e) return { end: j + 1, ...none };
      if (c < 0x20 || c > 0x2f) return { end: j, ...none };
    }
    return { end: -1, ...none };
  }
  return { end: start + 2, ...none };
}
