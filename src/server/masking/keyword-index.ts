/**
 * Finds every occurrence of many literals (latin1 chars, ASCII case folded): a SIMD prefilter
 * (simd-filter.ts) says where one may start, and a walk of the entries' trie from there confirms
 * it. The masker uses it as a prefilter: rules only run on lines holding one of their keywords,
 * and known secret values are found without a regex. It never decides what to mask, and never
 * misses an occurrence (the filter only skips positions where no entry can start).
 */
import { bucketTables, INPUT_OFFSET, SimdFilter } from './simd-filter.js';

export interface KeywordHits {
  /** Index of the first char of each hit, in text order of their starts. */
  starts: number[];
  /** Entry id of each hit. */
  ids: number[];
  /**
   * Length of the longest suffix of the text that is a proper or whole prefix of an entry
   * (case folded): no suffix longer than this can start a keyword or value.
   */
  endDepth: number;
}

/** A scan already done over the text's beginning: its hits, its length and its last maxLength chars. */
export interface ScanResume {
  starts: readonly number[];
  ids: readonly number[];
  length: number;
  tail: string;
}

/** Texts up to this size go through the SIMD prefilter (a chunk plus what is held is far less). */
const MAX_FILTER_BYTES = 4 * 1024 * 1024;

export class KeywordIndex {
  /**
   * The entries' trie, case folded: trie[state * 256 + byte] is the next state, or -1. Scans
   * walk it from each position where an entry may start (the prefilter says where).
   */
  readonly #trie: Int32Array;
  /** For each state: the entry ids that end there, or undefined. */
  readonly #outputs: (number[] | undefined)[];
  /** Where a hit starts relative to its first char: a leading newline is context, not part of the hit. */
  readonly #startOffsets: Int32Array;
  /** The state after a newline: text handed in always starts at a line start. */
  readonly #lineStartState: number;
  /** Bytes that start an entry (either case): without the SIMD prefilter, only these are walked. */
  readonly #firstBytes = new Uint8Array(256);
  readonly #tables: Uint8Array;
  readonly #filter: SimdFilter | undefined;
  /** Lower-cased proper prefixes of every entry, to see if a text ends in a partial keyword. */
  readonly #prefixes = new Set<string>();
  readonly maxLength: number;
  readonly size: number;

  /** `simd: false` checks every position without the prefilter (as where WebAssembly SIMD is missing). */
  constructor(entries: readonly string[], options: { simd?: boolean } = {}) {
    this.#filter = options.simd === false ? undefined : SimdFilter.shared();
    this.size = entries.length;
    this.maxLength = Math.max(0, ...entries.map((entry) => entry.length));
    const rows: Int32Array[] = [new Int32Array(256).fill(-1)];
    const outputs: (number[] | undefined)[] = [undefined];
    entries.forEach((entry, id) => {
      const lower = fold(entry);
      // A keyword that starts with a space or newline marks a line's structure (" data:"); holding
      // every trailing space for it would delay ordinary echo, and it only matters on whole lines.
      if (!/^\s/.test(lower)) for (let k = 1; k < lower.length; k++) this.#prefixes.add(lower.slice(0, k));
      if (lower.length === 0) return;
      let state = 0;
      for (let i = 0; i < lower.length; i++) {
        const c = lower.charCodeAt(i) & 0xff;
        let next = rows[state]![c]!;
        if (next === -1) {
          next = rows.length;
          rows.push(new Int32Array(256).fill(-1));
          outputs.push(undefined);
          rows[state]![c] = next;
          if (c >= 0x61 && c <= 0x7a) rows[state]![c - 32] = next;
        }
        state = next;
      }
      (outputs[state] ??= []).push(id);
      const first = lower.charCodeAt(0) & 0xff;
      this.#firstBytes[first] = 1;
      if (first >= 0x61 && first <= 0x7a) this.#firstBytes[first - 32] = 1;
    });
    this.#trie = new Int32Array(rows.length * 256);
    rows.forEach((row, state) => this.#trie.set(row, state * 256));
    this.#outputs = outputs;
    this.#startOffsets = Int32Array.from(entries, (entry) => (entry.startsWith('\n') ? 1 : 0));
    this.#lineStartState = rows[0]![10]!;
    this.#tables = bucketTables(entries.map(fold));
  }

  /** Hits in a text that starts at a line start. */
  scan(text: string): KeywordHits {
    return this.scanParts([text]);
  }

  /**
   * Hits in the concatenation of `parts` (strings of latin1 chars, or bytes), positions counted
   * across the parts, in order of their starts. With `resume` (an earlier scan of the text's
   * beginning), only what follows it is scanned, plus the end of it that an entry may span.
   */
  scanParts(parts: readonly (string | Uint8Array)[], resume?: ScanResume): KeywordHits {
    const hits: KeywordHits = { starts: resume ? resume.starts.slice() : [], ids: resume ? resume.ids.slice() : [], endDepth: 0 };
    if (this.size === 0) return hits;
    const overlap = resume ? resume.tail : '';
    let n = overlap.length;
    for (const part of parts) n += part.length;
    // Positions in memory are text positions minus `shift`.
    const shift = resume ? resume.length - overlap.length : 0;
    // The filter's memory is shared and never shrinks: a rare huge text is walked without it.
    const filter = n <= MAX_FILTER_BYTES ? this.#filter : undefined;
    let bytes: Uint8Array;
    let at: number;
    if (filter) {
      const room = filter.reserve(n);
      bytes = room.bytes;
      at = INPUT_OFFSET;
      if (overlap.length > 0) room.buffer.write(overlap, at, 'latin1');
      let offset = at + overlap.length;
      for (const part of parts) {
        if (typeof part === 'string') room.buffer.write(part, offset, 'latin1');
        else bytes.set(part, offset);
        offset += part.length;
      }
    } else {
      bytes = new Uint8Array(n);
      at = 0;
      const buffer = Buffer.from(bytes.buffer);
      let offset = buffer.write(overlap, 0, 'latin1');
      for (const part of parts) {
        if (typeof part === 'string') buffer.write(part, offset, 'latin1');
        else bytes.set(part, offset);
        offset += part.length;
      }
    }
    // Entries already found in the resumed scan end by its end; only later ends are new.
    const minEnd = resume ? overlap.length : 0;
    // At the text's start, as if after a newline (entries that begin with one).
    const fromNewline = (!resume || shift === 0) && this.#walk(bytes, at, n, this.#lineStartState, 0, -1, minEnd, shift, hits);
    // The filter reads four bytes from each position: the last three are walked one by one. A
    // walk that reaches the end measures a partial entry there (the first such is the longest:
    // one of four chars or more starts at a candidate, shorter ones start in the last three).
    const tailFrom = Math.max(0, n - 3);
    let depth = 0;
    if (filter) {
      const { words, from, to } = filter.run(this.#tables, n);
      for (let w = from; w < to; w += 2) {
        const block = words[w]!;
        for (let lanes = words[w + 1]!; lanes !== 0; lanes &= lanes - 1) {
          const p = block + 31 - Math.clz32(lanes & -lanes);
          if (p >= tailFrom) break;
          if (this.#walk(bytes, at, n, 0, p, p, minEnd, shift, hits) && depth === 0) depth = n - p;
        }
      }
    } else {
      const first = this.#firstBytes;
      for (let p = 0; p < tailFrom; p++) {
        if (first[bytes[p]!] === 1 && this.#walk(bytes, 0, n, 0, p, p, minEnd, shift, hits) && depth === 0) depth = n - p;
      }
    }
    for (let p = tailFrom; p < n; p++) {
      if (this.#walk(bytes, at, n, 0, p, p, minEnd, shift, hits) && depth === 0) depth = n - p;
    }
    // The whole text may continue an entry that begins with a newline (the longest suffix).
    if (fromNewline) depth = n + 1;
    hits.endDepth = depth;
    if (resume) sortByStart(hits);
    return hits;
  }

  /**
   * Walks the trie from `state` over bytes[p..n) (memory offset `at`), recording every entry that
   * ends at or after `minEnd` (an entry that began at `origin`; -1: at a virtual newline before
   * the text). Returns true when the text ran out while the walk could still go on.
   */
  #walk(bytes: Uint8Array, at: number, n: number, state: number, p: number, origin: number, minEnd: number, shift: number, hits: KeywordHits): boolean {
    if (state < 0) return false;
    const trie = this.#trie;
    for (let k = p; k < n; k++) {
      state = trie[(state << 8) | bytes[at + k]!]!;
      if (state < 0) return false;
      const ids = this.#outputs[state];
      if (ids !== undefined && k + 1 > minEnd) {
        for (const id of ids) {
          hits.starts.push(origin + this.#startOffsets[id]! + shift);
          hits.ids.push(id);
        }
      }
    }
    return true;
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

/** Hits in order of their starts (a resumed scan appends entries that began before its last hits). */
function sortByStart(hits: KeywordHits): void {
  const { starts, ids } = hits;
  let sorted = true;
  for (let h = 1; h < starts.length && sorted; h++) sorted = starts[h - 1]! <= starts[h]!;
  if (sorted) return;
  const order = starts.map((_, h) => h).sort((a, b) => starts[a]! - starts[b]! || a - b);
  hits.starts = order.map((h) => starts[h]!);
  hits.ids = order.map((h) => ids[h]!);
}

function fold(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}
