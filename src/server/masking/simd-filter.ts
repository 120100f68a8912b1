/**
 * SimdFilter: the keyword index's prefilter. A few WebAssembly SIMD instructions test 16 positions
 * at once for "the next four bytes could start one of the entries" (the Teddy scheme: each byte's
 * two nibbles look up bucket bits per position; entries are grouped into 16 buckets, 8 per
 * table), several times faster than a byte loop in JavaScript. It only narrows where to look: it
 * may report positions where nothing starts, but never misses one where an entry starts and the
 * four bytes are there (the index walks every candidate, and the last three positions itself).
 * It never decides what is masked. Where WebAssembly SIMD is unavailable, `shared()` returns
 * undefined and the index checks every position instead.
 */

/** Positions of an entry the filter looks at, and groups of 8 buckets (16 buckets in all). */
const POSITIONS = 4;
const GROUPS = 2;
const BUCKETS = GROUPS * 8;
/** Bytes of the nibble tables (per group and position: 16 for low nibbles, 16 for high) at the start of memory. */
const TABLES = GROUPS * POSITIONS * 32;
/** Where the text to filter starts in memory. */
export const INPUT_OFFSET = TABLES + 64;
const PAGE = 65536;

/** The entries' bucket tables for the filter (table of group g, position k: at (g * POSITIONS + k) * 32). */
export function bucketTables(entries: readonly string[]): Uint8Array {
  // An entry needs, at each of its first positions, one of its (case-folded) bytes.
  const sets = entries
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const positions: number[][] = [];
      for (let k = 0; k < POSITIONS; k++) {
        if (k >= entry.length) positions.push([]); // any byte (the entry is shorter)
        else {
          const c = entry.charCodeAt(k) & 0xff;
          positions.push(c >= 0x61 && c <= 0x7a ? [c, c - 32] : c >= 0x41 && c <= 0x5a ? [c, c + 32] : [c]);
        }
      }
      return positions;
    });
  // Greedy grouping: each entry goes to the bucket whose accepted byte combinations grow least.
  const lo: number[][] = Array.from({ length: BUCKETS }, () => new Array<number>(POSITIONS).fill(0));
  const hi: number[][] = Array.from({ length: BUCKETS }, () => new Array<number>(POSITIONS).fill(0));
  const any: boolean[][] = Array.from({ length: BUCKETS }, () => new Array<boolean>(POSITIONS).fill(false));
  const used = new Array<boolean>(BUCKETS).fill(false);
  const popcount = (x: number): number => {
    let n = 0;
    for (; x; x &= x - 1) n++;
    return n;
  };
  const cost = (b: number, add?: number[][]): number => {
    let product = 1;
    for (let k = 0; k < POSITIONS; k++) {
      let l = lo[b]![k]!;
      let h = hi[b]![k]!;
      let all = any[b]![k]!;
      if (add) {
        if (add[k]!.length === 0) all = true;
        for (const c of add[k]!) {
          l |= 1 << (c & 15);
          h |= 1 << (c >> 4);
        }
      }
      product *= all ? 256 : popcount(l) * popcount(h);
    }
    return product;
  };
  // Most specific first (longer prefixes), so short ones do not spoil every bucket early.
  const known = (i: number): number => sets[i]!.filter((p) => p.length > 0).length;
  const order = sets.map((_, i) => i).sort((a, b) => known(b) - known(a) || a - b);
  for (const i of order) {
    const add = sets[i]!;
    let best = 0;
    let bestGrowth = Infinity;
    for (let b = 0; b < BUCKETS; b++) {
      const growth = used[b] ? cost(b, add) - cost(b) : cost(b, add);
      if (growth < bestGrowth) {
        bestGrowth = growth;
        best = b;
      }
    }
    used[best] = true;
    for (let k = 0; k < POSITIONS; k++) {
      if (add[k]!.length === 0) any[best]![k] = true;
      for (const c of add[k]!) {
        lo[best]![k] = lo[best]![k]! | (1 << (c & 15));
        hi[best]![k] = hi[best]![k]! | (1 << (c >> 4));
      }
    }
  }
  const tables = new Uint8Array(TABLES);
  for (let b = 0; b < BUCKETS; b++) {
    const base = (b >> 3) * POSITIONS * 32;
    const bit = 1 << (b & 7);
    for (let k = 0; k < POSITIONS; k++) {
      for (let nibble = 0; nibble < 16; nibble++) {
        const l = base + k * 32 + nibble;
        const h = l + 16;
        if (any[b]![k] || lo[b]![k]! & (1 << nibble)) tables[l] = tables[l]! | bit;
        if (any[b]![k] || hi[b]![k]! & (1 << nibble)) tables[h] = tables[h]! | bit;
      }
    }
  }
  return tables;
}

// --- the WebAssembly function, assembled here (a few dozen instructions; no toolchain needed) ---

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
};
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (text: string): number[] => [...uleb(text.length), ...Buffer.from(text)];

const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  tee: (local: number) => [0x22, ...uleb(local)],
  i32Store: (offset: number) => [0x36, 2, ...uleb(offset)],
  i32Const: (value: number) => [0x41, ...sleb(value)],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  v128Load: (offset: number) => [0xfd, 0x00, 0, ...uleb(offset)],
  v128Const0: [0xfd, 0x0c, ...new Array<number>(16).fill(0)],
  swizzle: [0xfd, 0x0e],
  splat8: [0xfd, 0x0f],
  ne8: [0xfd, 0x24],
  and: [0xfd, 0x4e],
  or: [0xfd, 0x50],
  anyTrue: [0xfd, 0x53],
  bitmask8: [0xfd, 0x64],
  shrU16: [0xfd, 0x8d, 0x01],
};

/**
 * scan(n, out): for each 16-byte block at INPUT_OFFSET + i (i < n, step 16) where some position
 * may start an entry, writes (i, 16-bit lane mask) as two i32 at `out`; returns the end of the
 * written pairs. Reads up to POSITIONS + 15 bytes past n (the caller keeps memory that large).
 */
function scanModule(): Uint8Array<ArrayBuffer> {
  // locals: 0 n, 1 out (params); 2 i, 3 o (i32); then v128: the nibble mask, m, each position's
  // low and high nibbles, and the tables
  const [N, OUT, I, O, NIB, M] = [0, 1, 2, 3, 4, 5];
  const nibbles = (k: number, half: number): number => 6 + k * 2 + half;
  const table = (g: number, k: number, half: number): number => 6 + POSITIONS * 2 + (g * POSITIONS + k) * 2 + half;
  const tableCount = GROUPS * POSITIONS * 2;
  // The nibbles of the bytes at i + k, once for all groups.
  const split: number[] = [];
  for (let k = 0; k < POSITIONS; k++) {
    split.push(...op.get(I), ...op.v128Load(INPUT_OFFSET + k), ...op.tee(nibbles(k, 1)), ...op.get(NIB), ...op.and, ...op.set(nibbles(k, 0)));
    // High nibbles: 16-bit lanes shifted (one instruction; the 8-bit shift is several) and masked.
    split.push(...op.get(nibbles(k, 1)), ...op.i32Const(4), ...op.shrU16, ...op.get(NIB), ...op.and, ...op.set(nibbles(k, 1)));
  }
  // Bucket bits of group g at position k: lo[byte & 15] & hi[byte >> 4].
  const position = (g: number, k: number): number[] => [
    ...op.get(table(g, k, 0)),
    ...op.get(nibbles(k, 0)),
    ...op.swizzle,
    ...op.get(table(g, k, 1)),
    ...op.get(nibbles(k, 1)),
    ...op.swizzle,
    ...op.and,
  ];
  const group = (g: number): number[] => {
    const code = position(g, 0);
    for (let k = 1; k < POSITIONS; k++) code.push(...position(g, k), ...op.and);
    return code;
  };
  const groups: number[] = [...split, ...group(0)];
  for (let g = 1; g < GROUPS; g++) groups.push(...group(g), ...op.or);
  const body = [
    ...vec([
      [2, 0x7f],
      [2 + POSITIONS * 2 + tableCount, 0x7b],
    ]),
    ...Array.from({ length: tableCount }, (_, t) => [...op.i32Const(0), ...op.v128Load(t * 16), ...op.set(table(0, 0, 0) + t)]).flat(),
    ...op.i32Const(15),
    ...op.splat8,
    ...op.set(NIB),
    ...op.get(OUT),
    ...op.set(O),
    ...op.block,
    ...op.loop,
    ...op.get(I),
    ...op.get(N),
    ...op.i32GeU,
    ...op.brIf(1),
    ...groups,
    ...op.tee(M),
    ...op.anyTrue,
    ...op.if,
    ...op.get(O),
    ...op.get(I),
    ...op.i32Store(0),
    ...op.get(O),
    ...op.get(M),
    ...op.v128Const0,
    ...op.ne8,
    ...op.bitmask8,
    ...op.i32Store(4),
    ...op.get(O),
    ...op.i32Const(8),
    ...op.i32Add,
    ...op.set(O),
    ...op.end,
    ...op.get(I),
    ...op.i32Const(16),
    ...op.i32Add,
    ...op.set(I),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...op.get(O),
    ...op.end,
  ];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[0x7f], [0x7f]]), ...vec([[0x7f]])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec([[...name('scan'), 0x00, 0], [...name('memory'), 0x02, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

let shared: SimdFilter | null | undefined;

export class SimdFilter {
  readonly #scan: (n: number, out: number) => number;
  readonly #memory: WebAssembly.Memory;
  #bytes: Uint8Array;
  #buffer: Buffer;
  #words: Int32Array;

  private constructor(instance: WebAssembly.Instance) {
    this.#scan = instance.exports.scan as (n: number, out: number) => number;
    this.#memory = instance.exports.memory as WebAssembly.Memory;
    this.#bytes = new Uint8Array(this.#memory.buffer);
    this.#buffer = Buffer.from(this.#memory.buffer);
    this.#words = new Int32Array(this.#memory.buffer);
  }

  /** The one filter of this process (scans are synchronous, so one memory serves every index). */
  static shared(): SimdFilter | undefined {
    if (shared === undefined) {
      try {
        const bytes = scanModule();
        shared = WebAssembly.validate(bytes) ? new SimdFilter(new WebAssembly.Instance(new WebAssembly.Module(bytes))) : null;
      } catch {
        shared = null;
      }
    }
    return shared ?? undefined;
  }

  /**
   * Room for `n` bytes of text (and the candidate list after it): the text's bytes, to be
   * filled from INPUT_OFFSET, and the Buffer over the same memory (for latin1 string writes).
   */
  reserve(n: number): { bytes: Uint8Array; buffer: Buffer } {
    const need = INPUT_OFFSET + alignUp(n + 32) + (alignUp(n) >> 1) + 64;
    if (need > this.#memory.buffer.byteLength) {
      this.#memory.grow(Math.ceil((need - this.#memory.buffer.byteLength) / PAGE));
      this.#bytes = new Uint8Array(this.#memory.buffer);
      this.#buffer = Buffer.from(this.#memory.buffer);
      this.#words = new Int32Array(this.#memory.buffer);
    }
    return { bytes: this.#bytes, buffer: this.#buffer };
  }

  /**
   * Filters the first n bytes at INPUT_OFFSET with `tables`: returns the candidate pairs
   * (block start, lane mask) as words[from..to) of the returned array.
   */
  run(tables: Uint8Array, n: number): { words: Int32Array; from: number; to: number } {
    this.#bytes.set(tables, 0);
    const out = INPUT_OFFSET + alignUp(n + 32);
    const end = this.#scan(n, out);
    return { words: this.#words, from: out >> 2, to: end >> 2 };
  }
}

function alignUp(n: number): number {
  return (n + 15) & ~15;
}
