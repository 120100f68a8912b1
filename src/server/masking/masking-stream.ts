/**
 * MaskingStream: the masking engine for one output stream. It keeps the raw bytes not yet
 * released, the readable text of the current line already released (so a secret continuing a
 * released line is still recognised) and the line state of multi-line detectors. Only a possible
 * partial match at the end is held back, at most `maxHoldBytes`; `release()` (the hold timer)
 * lets it go as if the stream ended there, hiding whatever could be part of a secret. It never
 * returns text it could not inspect: any failure throws (the session then fails closed).
 */
import { stripEscapes } from './ansi.js';
import type { MaskingCatalog } from './catalog.js';
import { endsBlock, inlineSecretValues, kindAfter, kindBefore, kubeTrigger, valueToHide, type KubeBlock, type KubeMaskMode } from './kubernetes-secret.js';
import type { KeywordHits, KeywordIndex, ScanResume } from './keyword-index.js';
import type { CompiledRule } from './rules.js';

export const MaskingDefaults = {
  /** Longest time a possible partial secret is held before it is released (masked as if final). */
  holdMs: 40,
  /** Most text held back at once (a Kubernetes Secret's data block waits here for its kind). */
  maxHoldBytes: 64 * 1024,
  /** Readable text of released lines kept to find a Secret's kind printed before its data. */
  historyChars: 4096,
  /** Longest released part of an unfinished line kept as context. */
  lineContextChars: 4096,
  /** A token cut off at a timed release is hidden as it continues, up to this length (no secret is longer). */
  maxTokenChars: 8192,
} as const;

const NO_RULES: readonly number[] = [];
const ESC = 0x1b;
const NEWLINE = 0x0a;

/** Lines at most this long are remembered as clean, at most CLEAN_LINES of them per stream. */
const CLEAN_LINE_CHARS = 256;
const CLEAN_LINES = 256;
/** A clean line's entry: the bits of the rules that ran, plus CLEAN_PAIR × (index + 1) of the pair rule it starts. */
const CLEAN_PAIR = 2 ** 31;

export interface MaskerOptions {
  holdMs?: number;
  maxHoldBytes?: number;
}

type LineState =
  | { kind: 'block'; rule: CompiledRule }
  | { kind: 'pair'; rule: CompiledRule }
  | { kind: 'kube'; rule: CompiledRule; block: KubeBlock; mode: KubeMaskMode };

interface Span {
  start: number;
  end: number;
  label: string;
  /** A partial token hidden at a timed release: its continuation is hidden too. */
  token?: boolean;
  /** Length of that token so far (continuations stop at maxTokenChars). */
  tokenChars?: number;
}

interface Detection {
  spans: Span[];
  commit: number;
  checkpoints: [number, LineState | null][];
  hits: KeywordHits;
}

/** The scan of a line context that is the last `context.length` chars of a scanned text of length n. */
function contextScanOf(context: string, n: number, hits: KeywordHits, index: KeywordIndex): ScanResume & { context: string; index: KeywordIndex } {
  const from = n - context.length;
  const starts: number[] = [];
  const ids: number[] = [];
  for (let h = 0; h < hits.ids.length; h++) {
    if (hits.starts[h]! < from) continue;
    starts.push(hits.starts[h]! - from);
    ids.push(hits.ids[h]!);
  }
  return { starts, ids, length: context.length, tail: context.slice(Math.max(0, context.length - index.maxLength)), context, index };
}

function isTokenChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46 || c === 43 || c === 47 || c === 61 || c === 126;
}

function hasSpace(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) return true;
  }
  return false;
}

/**
 * Index after the last newline before `at` (0 if none). A short JS loop: String#lastIndexOf is a
 * runtime call that costs more than the few chars back to a line start; long lines use it.
 */
function lineStartBefore(text: string, at: number): number {
  const stop = Math.max(0, at - 256);
  for (let i = at - 1; i >= stop; i--) if (text.charCodeAt(i) === 10) return i + 1;
  return stop === 0 ? 0 : text.lastIndexOf('\n', stop - 1) + 1;
}

/** Sorts a short, mostly ordered array in place (Array#sort with a comparator costs more here). */
function insertionSort<T>(items: T[], before: (a: T, b: T) => boolean): void {
  for (let i = 1; i < items.length; i++) {
    const item = items[i]!;
    let j = i - 1;
    while (j >= 0 && before(item, items[j]!)) {
      items[j + 1] = items[j]!;
      j--;
    }
    items[j + 1] = item;
  }
}

const spanBefore = (a: Span, b: Span): boolean => a.start < b.start || (a.start === b.start && a.end > b.end);
const numberBefore = (a: number, b: number): boolean => a < b;

/** What #process lets out: text to insert (placeholders, kept line breaks) and [from, to) ranges of the raw input as two numbers. */
type Output = (string | number)[];

/** The output's bytes; `raw` is the input the ranges refer to (the chunk itself when nothing was held before it). */
function outputBuffer(out: Output, raw: Buffer | string): Buffer {
  if (out.length === 2 && out[0] === 0 && out[1] === raw.length && Buffer.isBuffer(raw)) return raw;
  let length = 0;
  for (let i = 0; i < out.length; i++) {
    const piece = out[i]!;
    if (typeof piece === 'string') length += piece.length;
    else length += (out[++i] as number) - piece;
  }
  const buffer = Buffer.allocUnsafe(length);
  let at = 0;
  for (let i = 0; i < out.length; i++) {
    const piece = out[i]!;
    if (typeof piece === 'string') at += buffer.write(piece, at, 'latin1');
    else {
      const to = out[++i] as number;
      at += typeof raw === 'string' ? buffer.write(raw.slice(piece, to), at, 'latin1') : raw.copy(buffer, at, piece, to);
    }
  }
  return buffer;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** One output stream (stdout or stderr) of one session. */
export class MaskingStream {
  readonly #catalog: MaskingCatalog;
  readonly #maxHold: number;
  #pending = '';
  #lineContext = '';
  #open: { label: string; token: boolean; tokenChars: number } | null = null;
  #state: LineState | null = null;
  /** Recent released lines, newest last (joined only when a Secret's kind is looked up). */
  #history: string[] = [];
  #historyLength = 0;
  #echo = false;
  /**
   * The keyword scan of #lineContext, kept so a keystroke's echo does not rescan the line it
   * continues (up to lineContextChars): valid while the context and the index are unchanged.
   */
  #contextScan?: ScanResume & { context: string; index: KeywordIndex };
  /**
   * Complete lines the rules found nothing in, with the rules that ran (bits of their index):
   * per stream (no text of one session is kept for another), bounded, never a secret.
   */
  readonly #cleanLines = new Map<string, number>();
  /** Scratch for #detect: which rules already run on the current line. */
  #marked = new Uint8Array(0);

  constructor(catalog: MaskingCatalog, options: MaskerOptions = {}) {
    this.#catalog = catalog;
    this.#maxHold = options.maxHoldBytes ?? MaskingDefaults.maxHoldBytes;
  }

  get heldBytes(): number {
    return this.#pending.length;
  }

  /**
   * Masks the next chunk. `echo`: the chunk is most likely a keystroke's echo (the session saw
   * input just before): a trailing part of a secret's public fixed prefix is then not held (the
   * placeholder may follow the prefix's first letters instead of replacing them; nothing secret
   * is shown either way).
   */
  push(chunk: Buffer, echo = false): Buffer {
    this.#echo = echo;
    const hadPending = this.#pending.length > 0;
    const scanned = hadPending ? undefined : this.#passThrough(chunk);
    if (scanned === true) return chunk;
    const raw = hadPending ? this.#pending + chunk.toString('latin1') : chunk.toString('latin1');
    const out = this.#process(raw, undefined, chunk, scanned);
    // Without held bytes before it, raw offsets are the chunk's own: copy its bytes, not the string.
    return hadPending ? outputBuffer(out, raw) : outputBuffer(out, chunk);
  }

  /**
   * The common case, without decoding or copying the chunk: nothing held, no multi-line detector
   * or cut-off token open, no escape byte, and the keyword scan finds no keyword or value in the
   * chunk or the line it continues and none that may be starting at its end. Then nothing can
   * be hidden or held: the chunk passes as it is (true), and the stream state moves on exactly
   * as #process would move it. Otherwise returns the scan (if any) for #process to reuse.
   */
  #passThrough(chunk: Buffer): true | KeywordHits | undefined {
    if (chunk.length === 0) return true;
    if (this.#state !== null || this.#open !== null || this.#catalog.rules.unkeyed.length > 0 || chunk.indexOf(ESC) !== -1) return undefined;
    const index = this.#catalog.current().index;
    const cached = this.#contextScan;
    const resume = cached && cached.index === index && cached.context === this.#lineContext ? cached : undefined;
    // The same parts #process scans (its pending part is empty here), so it can reuse the hits.
    const hits = index.scanParts(resume ? ['', chunk] : [this.#lineContext, '', chunk], resume);
    if (hits.ids.length > 0) return hits;
    const context = this.#lineContext;
    const newline = chunk.lastIndexOf(NEWLINE);
    // A value or a secret's fixed prefix may be starting in the unfinished last line (as #holdTail).
    const tailLength = newline >= 0 ? chunk.length - newline - 1 : context.length + chunk.length;
    if (hits.endDepth > 0 && tailLength > 0) {
      const { valuePrefixes, maxValue } = this.#catalog.current();
      const longest = Math.min(Math.max(maxValue - 1, this.#catalog.tokenPrefixes.longest), tailLength, hits.endDepth);
      const m = Math.min(tailLength, longest + 1);
      const tail = m <= chunk.length ? chunk.toString('latin1', chunk.length - m) : (context + chunk.toString('latin1')).slice(-m);
      if (this.#startingSecret(tail, tailLength, hits.endDepth, valuePrefixes, maxValue, this.#echo) > 0) return hits;
    }
    if (newline >= 0) {
      const end = newline + 1;
      const from = end - MaskingDefaults.historyChars;
      this.#remember(from >= 0 ? chunk.toString('latin1', from, end) : context.slice(Math.max(0, context.length + from)) + chunk.toString('latin1', 0, end));
      this.#lineContext = chunk.toString('latin1', end);
    } else this.#lineContext = context + chunk.toString('latin1');
    if (this.#lineContext.length > MaskingDefaults.lineContextChars) this.#lineContext = this.#lineContext.slice(-MaskingDefaults.lineContextChars);
    this.#contextScan = contextScanOf(this.#lineContext, context.length + chunk.length, hits, index);
    return true;
  }

  /**
   * Releases everything held (the hold time passed): hidden as if the stream ended here, and a
   * secret that may be cut off at the end is hidden too; line state carries on.
   */
  release(): Buffer {
    if (this.#pending.length === 0) return Buffer.alloc(0);
    this.#echo = false;
    const raw = this.#pending;
    return outputBuffer(this.#process(raw, 'timer'), raw);
  }

  /** End of the program's output: release and forget all state. */
  flush(): Buffer {
    const raw = this.#pending;
    const out = raw.length === 0 ? Buffer.alloc(0) : outputBuffer(this.#process(raw, 'end'), raw);
    this.#lineContext = '';
    this.#contextScan = undefined;
    this.#open = null;
    this.#state = null;
    this.#history = [];
    this.#historyLength = 0;
    return out;
  }

  /** `final`: undefined while streaming; 'timer' or 'end' when everything must be released now. */
  #process(raw: string, finalKind: 'timer' | 'end' | undefined, chunk?: Buffer, scanned?: KeywordHits): Output {
    const pending = this.#pending;
    this.#pending = '';
    const final = finalKind !== undefined;
    const { clean, map, rawLimit } = stripEscapes(raw, final);
    const base = this.#lineContext.length;
    const text = base > 0 ? this.#lineContext + clean : clean;
    // Scan the bytes themselves when nothing was stripped (faster than the string), and resume
    // after the line context when its scan is known.
    const index = this.#catalog.current().index;
    const cached = this.#contextScan;
    const resume = cached && cached.index === index && cached.context === this.#lineContext ? cached : undefined;
    const rest = !map && chunk && rawLimit === raw.length ? [pending, chunk] : [clean];
    const parts = resume ? rest : [this.#lineContext, ...rest];
    const detection = this.#detect(text, base, finalKind, parts, resume, scanned);
    if (!final && text.length - detection.commit > this.#maxHold) {
      this.#pending = pending;
      // Held too long to be one secret: decide on what is there (no guessing at a cut-off token).
      return this.#process(raw, 'end');
    }
    const { spans, commit } = detection;
    const rawOf = map ? (t: number): number => map[t - base]! : (t: number): number => t - base;
    const rawEnd = commit >= text.length ? rawLimit : rawOf(commit);
    const out: Output = [];
    let rawPos = 0;
    let lastSpan: Span | undefined;
    for (const span of spans) {
      const from = Math.max(span.start, base);
      const to = Math.min(span.end, commit);
      if (from >= to) continue;
      const rs = rawOf(from);
      if (rs > rawPos) out.push(rawPos, rs);
      let placeholder = !(span.start < base && this.#open?.label === span.label);
      lastSpan = span.end >= commit && span.start < commit ? span : lastSpan;
      if (!map) {
        // No escapes: whole line segments at a time (the common case, and much faster).
        for (let t = from; t < to; ) {
          const newline = text.indexOf('\n', t);
          const segmentEnd = newline === -1 || newline >= to ? to : newline;
          let returns = '';
          for (let k = t; k < segmentEnd; k++) if (text.charCodeAt(k) === 13) returns += '\r';
          if (segmentEnd - t > returns.length && placeholder) {
            out.push(`[masked:${span.label}]`);
            placeholder = false;
          }
          if (returns.length > 0) out.push(returns);
          if (segmentEnd < to) {
            out.push('\n');
            placeholder = true;
            t = segmentEnd + 1;
          } else t = segmentEnd;
        }
        rawPos = to - base;
        continue;
      }
      let r = rs;
      let returns = '';
      for (let t = from; t < to; t++) {
        const rt = rawOf(t);
        if (rt > r) out.push(r, rt); // escape sequences inside the secret keep the colours right
        const c = text.charCodeAt(t);
        if (c === 10) {
          out.push(returns + '\n');
          returns = '';
          placeholder = true;
        } else if (c === 13) returns += '\r';
        else if (placeholder) {
          out.push(`[masked:${span.label}]`);
          placeholder = false;
        }
        r = rt + 1;
      }
      if (returns.length > 0) out.push(returns);
      rawPos = r;
    }
    if (rawEnd > rawPos) out.push(rawPos, rawEnd);
    this.#pending = raw.slice(rawEnd);
    // What the next call continues from.
    if (commit > base) {
      const lastNewline = lineStartBefore(text, commit) - 1;
      if (lastNewline >= 0) {
        this.#remember(text.slice(Math.max(0, lastNewline + 1 - MaskingDefaults.historyChars), lastNewline + 1));
        this.#lineContext = text.slice(lastNewline + 1, commit);
      } else this.#lineContext = text.slice(0, commit);
      this.#open =
        lastSpan && lastSpan.end >= commit
          ? { label: lastSpan.label, token: lastSpan.token === true, tokenChars: lastSpan.tokenChars ?? lastSpan.end - lastSpan.start }
          : null;
      if (this.#lineContext.length === 0) this.#open = null;
      const lineStart = lastNewline + 1;
      let state: LineState | null = null;
      for (const [pos, checkpoint] of detection.checkpoints) {
        if (pos > lineStart) break;
        state = checkpoint;
      }
      this.#state = state;
      if (this.#lineContext.length > MaskingDefaults.lineContextChars) {
        this.#lineContext = this.#lineContext.slice(-MaskingDefaults.lineContextChars);
      }
      this.#contextScan = commit === text.length ? contextScanOf(this.#lineContext, text.length, detection.hits, index) : undefined;
    }
    return out;
  }

  #detect(text: string, base: number, finalKind: 'timer' | 'end' | undefined, parts: (string | Uint8Array)[], resume?: ScanResume, scanned?: KeywordHits): Detection {
    const final = finalKind !== undefined;
    const { rules: compiled } = this.#catalog;
    const { index, forms, valuePrefixes, maxValue } = this.#catalog.current();
    const keywordCount = compiled.keywords.length;
    const hits = scanned ?? index.scanParts(parts, resume);
    const spans: Span[] = [];
    const n = text.length;
    let commit = n;
    const hold = (at: number): void => {
      commit = Math.min(commit, Math.max(at, base));
    };

    // An open partial token continues: hide its continuation too.
    if (this.#open?.token && base > 0) {
      const limit = Math.min(n, base + Math.max(0, MaskingDefaults.maxTokenChars - this.#open.tokenChars));
      let end = base;
      while (end < limit && isTokenChar(text.charCodeAt(end))) end++;
      if (end > base) spans.push({ start: base - 1, end, label: this.#open.label, token: true, tokenChars: this.#open.tokenChars + (end - base) });
    }

    // Exact values.
    for (let h = 0; h < hits.ids.length; h++) {
      const id = hits.ids[h]!;
      if (id < keywordCount) continue;
      const form = forms[id - keywordCount]!;
      const start = hits.starts[h]!;
      if (text.startsWith(form.text, start)) spans.push({ start, end: start + form.text.length, label: form.label });
    }

    // Lines holding keywords, and every line while a multi-line detector is active.
    const checkpoints: [number, LineState | null][] = [[0, this.#state]];
    let state = this.#state;
    let h = 0;
    let pos = 0;
    const unkeyed = compiled.unkeyed;
    const lineRules: number[] = [];
    const marked = this.#marked.length === compiled.rules.length ? this.#marked.fill(0) : (this.#marked = new Uint8Array(compiled.rules.length));
    while (pos < n) {
      if (state === null && unkeyed.length === 0) {
        while (h < hits.ids.length && hits.ids[h]! >= keywordCount) h++;
        if (h >= hits.ids.length) break;
        const hitStart = hits.starts[h]!;
        if (hitStart > pos) pos = Math.max(pos, lineStartBefore(text, hitStart));
      }
      const newline = text.indexOf('\n', pos);
      const complete = newline !== -1;
      const lineEnd = complete ? newline : n;
      let contentEnd = lineEnd;
      while (contentEnd > pos && text.charCodeAt(contentEnd - 1) === 13) contentEnd--;
      for (const r of lineRules) marked[r] = 0;
      lineRules.length = 0;
      for (const r of unkeyed) lineRules.push(r);
      while (h < hits.ids.length && hits.starts[h]! < lineEnd) {
        const id = hits.ids[h]!;
        if (id < keywordCount && hits.starts[h]! >= pos) {
          for (const r of compiled.keywordRules[id]!) {
            if (marked[r] === 0) {
              marked[r] = 1;
              lineRules.push(r);
            }
          }
        }
        h++;
      }
      const line = text.slice(pos, contentEnd);
      let runRules = true;
      if (state?.kind === 'block') {
        runRules = false;
        const endMatch = state.rule.end!.exec(line);
        state.rule.end!.lastIndex = 0;
        if (endMatch) {
          spans.push({ start: pos, end: pos + endMatch.index + endMatch[0].length, label: state.rule.label });
          state = null;
        } else if (contentEnd > pos) spans.push({ start: pos, end: lineEnd, label: state.rule.label });
      } else if (state?.kind === 'pair') {
        if (!complete && !final) {
          hold(pos);
          break;
        }
        const rule = state.rule;
        state = null;
        const found = this.#regexSpans(rule, line, pos);
        if (found.length > 0) {
          spans.push(...found);
          runRules = false;
        }
      } else if (state?.kind === 'kube') {
        if (endsBlock(line, state.block)) state = null;
        else {
          if (!complete && !final) {
            hold(pos);
            break;
          }
          const range = valueToHide(line, state.block, state.mode);
          if (range && !this.#catalog.rules.isAllowed(line.slice(range[0], range[1]))) spans.push({ start: pos + range[0], end: pos + range[1], label: state.rule.label });
        }
      }
      if (runRules && lineRules.length > 0) {
        if (lineRules.length > 1) insertionSort(lineRules, numberBefore);
        // A complete line these rules found nothing in before finds nothing again (their result
        // depends on the line alone): repeated lines (YAML keys, `secretKeyRef:`, `- name:
        // DB_PASSWORD` whose value follows) run no regex. Kept: the rules that ran (bits of their
        // index) and the pair rule the line starts, if any.
        let signature = -1;
        let replay = false;
        if (complete && state === null && line.length <= CLEAN_LINE_CHARS) {
          signature = 0;
          for (const r of lineRules) signature = r < 31 && signature >= 0 ? signature | (1 << r) : -1;
          const known = signature >= 0 ? this.#cleanLines.get(line) : undefined;
          if (known !== undefined && known % CLEAN_PAIR === signature) {
            replay = true;
            const pair = Math.floor(known / CLEAN_PAIR);
            if (pair > 0) state = { kind: 'pair', rule: compiled.rules[pair - 1]! };
          }
        }
        const spansBefore = spans.length;
        let eventful = false;
        for (const r of replay ? NO_RULES : lineRules) {
          const rule = compiled.rules[r]!;
          if (rule.type === 'regex') {
            for (const span of this.#regexSpans(rule, line, pos)) spans.push(span);
          } else if (rule.type === 'block') {
            const begin = rule.begin!.exec(line);
            rule.begin!.lastIndex = 0;
            if (!begin) continue;
            const after = begin.index + begin[0].length;
            const endMatch = rule.end!.exec(line.slice(after));
            rule.end!.lastIndex = 0;
            if (endMatch) spans.push({ start: pos + begin.index, end: pos + after + endMatch.index + endMatch[0].length, label: rule.label });
            else {
              spans.push({ start: pos + begin.index, end: lineEnd, label: rule.label });
              if (complete) state = { kind: 'block', rule };
            }
          } else if (rule.type === 'pair') {
            rule.first!.lastIndex = 0;
            if (complete && rule.first!.test(line)) state = { kind: 'pair', rule };
            rule.first!.lastIndex = 0;
          } else if (rule.type === 'kubernetes-secret') {
            for (const [s, e] of inlineSecretValues(line)) {
              if (!this.#catalog.rules.isAllowed(line.slice(s, e))) spans.push({ start: pos + s, end: pos + e, label: rule.label });
            }
            if (!complete || state !== null) continue;
            const trigger = kubeTrigger(line);
            if (!trigger) continue;
            eventful = true; // the outcome depends on the lines around it
            let mode: KubeMaskMode;
            if (trigger.stringData) mode = 'all';
            else {
              let kind: string | undefined | 'incomplete' =
                pos < 8192 ? kindBefore(text, pos, trigger.block, () => this.#history.join('')) : kindBefore(text, pos, trigger.block);
              if (kind === undefined) kind = kindAfter(text, newline + 1, trigger.block);
              if (kind === 'incomplete' && !final) {
                hold(pos);
                pos = n;
                break;
              }
              mode = kind === 'Secret' ? 'all' : kind === undefined || kind === 'incomplete' ? 'base64' : 'none';
            }
            if (mode !== 'none') state = { kind: 'kube', rule, block: trigger.block, mode };
          }
        }
        if (signature >= 0 && !replay && !eventful && (state === null || state.kind === 'pair') && spans.length === spansBefore) {
          if (this.#cleanLines.size >= CLEAN_LINES) this.#cleanLines.clear();
          this.#cleanLines.set(line, signature + (state === null ? 0 : (state.rule.index + 1) * CLEAN_PAIR));
        }
      }
      if (commit < n && pos >= commit) break;
      if (!complete) break;
      pos = lineEnd + 1;
      if (state !== null || checkpoints[checkpoints.length - 1]![1] !== null) checkpoints.push([pos, state]);
    }

    const tailStart = lineStartBefore(text, n);
    if (tailStart < n) {
      if (!final) this.#holdTail(text, tailStart, hits, keywordCount, valuePrefixes, maxValue, hold, this.#echo);
      else if (finalKind === 'timer') this.#hidePartialTail(text, tailStart, hits, keywordCount, valuePrefixes, maxValue, spans);
    }
    if (spans.length > 1) insertionSort(spans, spanBefore);
    const merged: Span[] = [];
    for (const span of spans) {
      if (span.end <= span.start) continue;
      const last = merged[merged.length - 1];
      if (last && span.start < last.end) {
        if (span.end > last.end) last.end = span.end;
        last.token = last.token || span.token;
      } else merged.push({ start: span.start, end: span.end, label: span.label, token: span.token, tokenChars: span.tokenChars });
    }
    return { spans: merged, commit, checkpoints, hits };
  }

  #remember(lines: string): void {
    this.#history.push(lines);
    this.#historyLength += lines.length;
    while (this.#history.length > 1 && this.#historyLength - this.#history[0]!.length >= MaskingDefaults.historyChars) {
      this.#historyLength -= this.#history.shift()!.length;
    }
  }

  #regexSpans(rule: CompiledRule, line: string, offset: number): Span[] {
    const re = rule.re!;
    const spans: Span[] = [];
    re.lastIndex = 0;
    for (let m = re.exec(line); m; m = re.exec(line)) {
      if (m[0].length === 0) re.lastIndex++;
      let range: [number, number] | undefined;
      if (rule.groups.length === 0) range = m.indices![0];
      else for (const g of rule.groups) if (m.indices![g]) { range = m.indices![g]; break; }
      if (!range || range[1] <= range[0]) continue;
      if (this.#catalog.rules.isAllowed(line.slice(range[0], range[1]))) continue;
      spans.push({ start: offset + range[0], end: offset + range[1], label: rule.label });
    }
    re.lastIndex = 0;
    return spans;
  }

  /**
   * Decides how much of the unfinished last line may be released now: only what can be part of
   * a secret is held — from where a rule's `hold` pattern says its secret began, from a secret's
   * own fixed prefix (`ghp_…`), from a possible start of a known value, or a trailing part of
   * such a prefix. Keyword context already released stays in #lineContext, so a secret that
   * starts in the next chunk is still recognised and hidden there.
   */
  #holdTail(
    text: string,
    tailStart: number,
    hits: { starts: number[]; ids: number[]; endDepth: number },
    keywordCount: number,
    valuePrefixes: Set<string>,
    maxValue: number,
    hold: (at: number) => void,
    echo: boolean,
  ): void {
    const n = text.length;
    const compiled = this.#catalog.rules;
    if (compiled.unkeyed.length > 0) return hold(tailStart);
    let tail: string | undefined;
    let tried: Set<number> | undefined;
    for (let h = 0; h < hits.ids.length; h++) {
      const start = hits.starts[h]!;
      const id = hits.ids[h]!;
      if (start < tailStart || id >= keywordCount) continue;
      for (const r of compiled.keywordRules[id]!) {
        const rule = compiled.rules[r]!;
        if (rule.prefix) {
          // The keyword is the secret's own start: held from it while the token may continue.
          const keyword = compiled.keywords[id]!;
          const exactCase = (rule.re ?? rule.begin)?.ignoreCase === true || text.startsWith(rule.keywordsAsWritten[rule.keywords.indexOf(keyword)] ?? keyword, start);
          if (!exactCase) continue;
          if (rule.type === 'regex' && hasSpace(text, start, n)) continue; // the token ended: the rule has decided
          hold(start);
        } else if (rule.type === 'pair') {
          continue; // its secret is on the next line; this line is matched once complete
        } else if (rule.hold) {
          if (tried?.has(r)) continue;
          (tried ??= new Set()).add(r);
          tail ??= text.slice(tailStart);
          rule.hold.lastIndex = 0;
          const m = rule.hold.exec(tail);
          rule.hold.lastIndex = 0;
          if (!m) continue;
          let from = n;
          for (let g = 1; g < m.length; g++) if (m.indices![g]) from = Math.min(from, tailStart + m.indices![g]![0]);
          hold(from === n ? tailStart + m.index : from);
        } else {
          // No pattern says where its secret starts: hold from the keyword's token on.
          let tokenStart = start;
          while (tokenStart > tailStart && isTokenChar(text.charCodeAt(tokenStart - 1))) tokenStart--;
          hold(tokenStart);
        }
      }
    }
    // The scan's end state bounds both checks: no longer suffix starts any keyword or value.
    const depth = hits.endDepth;
    if (depth === 0) return;
    const longest = Math.min(Math.max(maxValue - 1, this.#catalog.tokenPrefixes.longest), n - tailStart, depth);
    const k = this.#startingSecret(text.slice(Math.max(tailStart, n - longest - 1)), n - tailStart, depth, valuePrefixes, maxValue, echo);
    if (k > 0) hold(n - k);
  }

  /**
   * How many chars at the end of an unfinished line (its last chars `tail`, at least one more
   * than the longest that can matter, or all of it; `tailLength` chars in all) are held because
   * a secret may be starting there (0: none): a suffix that is a prefix of a known value, or of a
   * secret's fixed prefix (`gh` of `ghp_`; held only so its placeholder stays whole — the prefix
   * itself is public — so not for a keystroke's echo). `depth` bounds both (the scan's end state).
   */
  #startingSecret(tail: string, tailLength: number, depth: number, valuePrefixes: Set<string>, maxValue: number, echo: boolean): number {
    const t = tail.length;
    let held = 0;
    for (let k = Math.min(maxValue - 1, tailLength, depth); k >= 1; k--) {
      if (valuePrefixes.has(tail.slice(t - k))) {
        held = k;
        break;
      }
    }
    if (echo) return held;
    const prefixes = this.#catalog.tokenPrefixes;
    for (let k = Math.min(prefixes.longest, tailLength, depth); k >= 1; k--) {
      const suffix = tail.slice(t - k);
      if (!prefixes.exact.has(suffix) && !prefixes.folded.has(suffix.toLowerCase())) continue;
      if (k >= 2 || tailLength === 1 || !isWordChar(tail.charCodeAt(t - 2))) held = Math.max(held, k);
      break;
    }
    return held;
  }

  /** At a timed release: a partial token with a secret's fixed prefix, or a partial value, is hidden. */
  #hidePartialTail(
    text: string,
    tailStart: number,
    hits: { starts: number[]; ids: number[] },
    keywordCount: number,
    valuePrefixes: Set<string>,
    maxValue: number,
    spans: Span[],
  ): void {
    const n = text.length;
    let tokenStart = n;
    while (tokenStart > tailStart && isTokenChar(text.charCodeAt(tokenStart - 1))) tokenStart--;
    const compiled = this.#catalog.rules;
    // A secret cut off after its keyword (scheme://user:pa…, Bearer ab…): the rule's partial pattern.
    const tried = new Set<number>();
    for (let h = 0; h < hits.ids.length; h++) {
      const id = hits.ids[h]!;
      if (hits.starts[h]! < tailStart || id >= keywordCount) continue;
      for (const r of compiled.keywordRules[id]!) {
        const rule = compiled.rules[r]!;
        if (!rule.partial || tried.has(r)) continue;
        tried.add(r);
        rule.partial.lastIndex = 0;
        const m = rule.partial.exec(text.slice(tailStart));
        rule.partial.lastIndex = 0;
        const range = m?.indices?.slice(1).find((found) => found !== undefined);
        if (range && range[1] > range[0]) spans.push({ start: tailStart + range[0], end: n, label: rule.label, token: true });
      }
    }
    for (let h = 0; h < hits.ids.length; h++) {
      const id = hits.ids[h]!;
      const start = hits.starts[h]!;
      if (start < tokenStart || id >= keywordCount || !compiled.prefixKeywords.has(id)) continue;
      // Like the rules' own look-behinds: a fixed prefix starts a token, in its exact case.
      if (start > 0 && isWordChar(text.charCodeAt(start - 1))) continue;
      const keyword = compiled.keywords[id]!;
      const rule = compiled.rules.find(
        (candidate) =>
          candidate.prefix &&
          candidate.keywords.includes(keyword) &&
          (candidate.re?.ignoreCase || text.startsWith(candidate.keywordsAsWritten[candidate.keywords.indexOf(keyword)]!, start)),
      );
      if (!rule || n - start > MaskingDefaults.maxTokenChars) continue;
      spans.push({ start, end: n, label: rule.label, token: true });
      return;
    }
    for (let k = Math.min(maxValue - 1, n - tailStart); k >= 3; k--) {
      if (valuePrefixes.has(text.slice(n - k))) {
        spans.push({ start: n - k, end: n, label: 'secret-value', token: true });
        return;
      }
    }
  }
}

