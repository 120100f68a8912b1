/**
 * Finds every occurrence of many literals in one pass (Aho-Corasick over latin1 chars, ASCII
 * case folded). The masker uses it as a prefilter: rules only run on lines holding one of their
 * keywords, and known secret values are found without a regex. It never decides what to mask.
 */

export interface KeywordHits {
  /** Index of the first char of each hit, in text order of their ends. */
  starts: number[];
  /** Entry id of each hit. */
  ids: number[];
  /**
   * Length of the longest suffix of the text that is a proper or whole prefix of an entry
   * (case folded): no suffix longer than this can start a keyword or value.
   */
  endDepth: number;
  /** The automaton's state after the text (to resume a later scan from). */
  endState: number;
}

/** A scan already done over the text's beginning: its hits, end state and length. */
export interface ScanResume {
  starts: readonly number[];
  ids: readonly number[];
  state: number;
  length: number;
}

/** Below this many chars one lane is as fast (and the overlap would be a large share). */
const MIN_TWO_LANES = 1024;

export class KeywordIndex {
  /** For each state: the entry ids that end there (own and via fail links), or undefined. */
  readonly #outputs: (number[] | undefined)[];
  readonly #lengths: number[];
  /** Where a hit starts relative to its end: a leading newline is context, not part of the hit. */
  readonly #startOffsets: Int32Array;
  /** Scans start as if just after a newline: the text handed in always starts at a line start. */
  readonly #lineStartState: number;
  /** delta with accepting targets stored as -(state + 1). */
  readonly #signedDelta: Int32Array;
  /** Depth of each state in the trie (chars of an entry's prefix it stands for). */
  readonly #depths: Int32Array;
  /** Lower-cased proper prefixes of every entry, to see if a text ends in a partial keyword. */
  readonly #prefixes = new Set<string>();
  readonly maxLength: number;
  readonly size: number;

  constructor(entries: readonly string[]) {
    this.size = entries.length;
    this.#lengths = entries.map((entry) => entry.length);
    this.maxLength = Math.max(0, ...this.#lengths);
    const goto: Map<number, number>[] = [new Map()];
    const own: number[][] = [[]];
    const depths: number[] = [0];
    entries.forEach((entry, id) => {
      const lower = fold(entry);
      // A keyword that starts with a space or newline marks a line's structure (" data:"); holding
      // every trailing space for it would delay ordinary echo, and it only matters on whole lines.
      if (!/^\s/.test(lower)) for (let k = 1; k < lower.length; k++) this.#prefixes.add(lower.slice(0, k));
      let state = 0;
      for (let i = 0; i < lower.length; i++) {
        const c = lower.charCodeAt(i) & 0xff;
        let next = goto[state]!.get(c);
        if (next === undefined) {
          next = goto.length;
          goto.push(new Map());
          own.push([]);
          depths.push(i + 1);
          goto[state]!.set(c, next);
        }
        state = next;
      }
      if (lower.length > 0) own[state]!.push(id);
    });
    const states = goto.length;
    const failure = new Int32Array(states);
    const order: number[] = [0];
    for (let i = 0; i < order.length; i++) for (const next of goto[order[i]!]!.values()) order.push(next);
    const delta = new Int32Array(states * 256);
    const outputs: (number[] | undefined)[] = new Array(states);
    for (const state of order) {
      const merged = [...own[state]!, ...(state === 0 ? [] : (outputs[failure[state]!] ?? []))];
      outputs[state] = merged.length > 0 ? merged : undefined;
      for (let b = 0; b < 256; b++) {
        const c = b >= 0x41 && b <= 0x5a ? b + 32 : b;
        const next = goto[state]!.get(c);
        if (next !== undefined) {
          delta[state * 256 + b] = next;
          if (state !== 0) failure[next] = delta[failure[state]! * 256 + b]!;
        } else delta[state * 256 + b] = state === 0 ? 0 : delta[failure[state]! * 256 + b]!;
      }
    }
    this.#outputs = outputs;
    this.#startOffsets = Int32Array.from(entries, (entry) => -entry.length + 1 + (entry.startsWith('\n') ? 1 : 0));
    this.#lineStartState = delta[10]!;
    this.#depths = Int32Array.from(depths);
    this.#signedDelta = delta.map((next) => (outputs[next] ? -next - 1 : next));
  }

  /** Hits in a text that starts at a line start. */
  scan(text: string): KeywordHits {
    return this.scanParts([text]);
  }

  /**
   * Hits in the concatenation of `parts` (strings of latin1 chars, or bytes: scanning bytes is
   * faster and spares decoding), positions counted across the parts.
   */
  scanParts(parts: readonly (string | Uint8Array)[], resume?: ScanResume): KeywordHits {
    const hits: KeywordHits = { starts: resume ? resume.starts.slice() : [], ids: resume ? resume.ids.slice() : [], endDepth: 0, endState: 0 };
    if (this.size === 0) return hits;
    // Accepting states are stored negated in the transition table: one load and one test per byte.
    let state = resume ? resume.state : this.#lineStartState;
    let offset = resume ? resume.length : 0;
    for (const part of parts) {
      state = typeof part === 'string' ? this.#scanString(part, state, offset, hits) : this.#scanBytes(part, state, offset, hits);
      offset += part.length;
    }
    hits.endDepth = this.#depths[state]!;
    hits.endState = state;
    return hits;
  }

  // Two monomorphic loops (a string and a byte array never share one): each stays optimised.
  // Each runs two independent automata over the two halves of its input in one loop: a DFA step
  // waits on the previous one, so one lane is bound by load latency and two lanes nearly double
  // the rate. The second lane starts maxLength - 1 chars before the middle in the root state, so
  // it finds every keyword ending in its half and ends in the same state a single pass would.
  #scanString(text: string, state: number, offset: number, hits: KeywordHits): number {
    const delta = this.#signedDelta;
    const length = text.length;
    const mid = length >> 1;
    let j = mid - this.maxLength + 1;
    if (length < MIN_TWO_LANES || j <= 0) {
      for (let i = 0; i < length; i++) {
        const next = delta[(state << 8) | text.charCodeAt(i)]!;
        if (next < 0) {
          state = -next - 1;
          this.#record(hits, state, offset + i);
        } else state = next;
      }
      return state;
    }
    const late: KeywordHits = { starts: [], ids: [], endDepth: 0, endState: 0 };
    let b = 0;
    let i = 0;
    for (; i < mid; i++, j++) {
      const nextA = delta[(state << 8) | text.charCodeAt(i)]!;
      const nextB = delta[(b << 8) | text.charCodeAt(j)]!;
      if ((nextA | nextB) < 0) {
        if (nextA < 0) {
          state = -nextA - 1;
          this.#record(hits, state, offset + i);
        } else state = nextA;
        if (nextB < 0) {
          b = -nextB - 1;
          if (j >= mid) this.#record(late, b, offset + j);
        } else b = nextB;
      } else {
        state = nextA;
        b = nextB;
      }
    }
    for (; j < length; j++) {
      const next = delta[(b << 8) | text.charCodeAt(j)]!;
      if (next < 0) {
        b = -next - 1;
        this.#record(late, b, offset + j);
      } else b = next;
    }
    for (let k = 0; k < late.ids.length; k++) {
      hits.starts.push(late.starts[k]!);
      hits.ids.push(late.ids[k]!);
    }
    return b;
  }

  #scanBytes(bytes: Uint8Array, state: number, offset: number, hits: KeywordHits): number {
    const delta = this.#signedDelta;
    const length = bytes.length;
    const mid = length >> 1;
    let j = mid - this.maxLength + 1;
    if (length < MIN_TWO_LANES || j <= 0) {
      for (let i = 0; i < length; i++) {
        const next = delta[(state << 8) | bytes[i]!]!;
        if (next < 0) {
          state = -next - 1;
          this.#record(hits, state, offset + i);
        } else state = next;
      }
      return state;
    }
    const late: KeywordHits = { starts: [], ids: [], endDepth: 0, endState: 0 };
    let b = 0;
    let i = 0;
    for (; i < mid; i++, j++) {
      const nextA = delta[(state << 8) | bytes[i]!]!;
      const nextB = delta[(b << 8) | bytes[j]!]!;
      if ((nextA | nextB) < 0) {
        if (nextA < 0) {
          state = -nextA - 1;
          this.#record(hits, state, offset + i);
        } else state = nextA;
        if (nextB < 0) {
          b = -nextB - 1;
          if (j >= mid) this.#record(late, b, offset + j);
        } else b = nextB;
      } else {
        state = nextA;
        b = nextB;
      }
    }
    for (; j < length; j++) {
      const next = delta[(b << 8) | bytes[j]!]!;
      if (next < 0) {
        b = -next - 1;
        this.#record(late, b, offset + j);
      } else b = next;
    }
    for (let k = 0; k < late.ids.length; k++) {
      hits.starts.push(late.starts[k]!);
      hits.ids.push(late.ids[k]!);
    }
    return b;
  }

  #record(hits: KeywordHits, state: number, end: number): void {
    for (const id of this.#outputs[state]!) {
      hits.starts.push(end + this.#startOffsets[id]!);
      hits.ids.push(id);
    }
  }

  /** Length of the longest suffix of text that is a proper prefix of some entry (0 if none). */
  partialSuffix(text: string): number {
    const longest = Math.min(this.maxLength - 1, text.length);
    const lower = fold(text.slice(text.length - longest));
    for (let k = longest; k >= 1; k--) {
      if (this.#prefixes.has(lower.slice(lower.length - k))) return k;
    }
    return 0;
  }
}

function fold(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}
