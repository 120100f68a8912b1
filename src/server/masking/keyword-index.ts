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
}

export class KeywordIndex {
  readonly #delta: Int32Array;
  /** For each state: the entry ids that end there (own and via fail links), or undefined. */
  readonly #outputs: (number[] | undefined)[];
  readonly #lengths: number[];
  /** 1 where a state has outputs: a typed array keeps the hot loop monomorphic. */
  readonly #accepting: Uint8Array;
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
    entries.forEach((entry, id) => {
      const lower = fold(entry);
      for (let k = 1; k < lower.length; k++) this.#prefixes.add(lower.slice(0, k));
      let state = 0;
      for (let i = 0; i < lower.length; i++) {
        const c = lower.charCodeAt(i) & 0xff;
        let next = goto[state]!.get(c);
        if (next === undefined) {
          next = goto.length;
          goto.push(new Map());
          own.push([]);
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
    this.#delta = delta;
    this.#outputs = outputs;
    this.#accepting = Uint8Array.from(outputs, (out) => (out ? 1 : 0));
  }

  scan(text: string, from = 0): KeywordHits {
    const starts: number[] = [];
    const ids: number[] = [];
    if (this.size === 0) return { starts, ids };
    const delta = this.#delta;
    const accepting = this.#accepting;
    const length = text.length;
    let state = 0;
    for (let i = from; i < length; i++) {
      state = delta[(state << 8) | (text.charCodeAt(i) & 0xff)]!;
      if (accepting[state] === 1) {
        for (const id of this.#outputs[state]!) {
          starts.push(i - this.#lengths[id]! + 1);
          ids.push(id);
        }
      }
    }
    return { starts, ids };
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
