/**
 * Shortens output that is sure to scroll out of a terminal's scroll region before anyone can look
 * at it, so the screen model parses a `cat` of a big log as a few empty lines plus its last
 * screenful. The screen it ends with is the one the whole output gives: same cursor, same rows in
 * the scroll region and outside it. Only what has left the region differs (fewer, blank rows of
 * scrollback), which the command gate never reads: it reads from the cursor on.
 *
 * Why that holds, for a stretch made only of printable ASCII, CR and LF (no escape sequence, tab,
 * backspace or UTF-8, whose effects depend on modes and widths), with the cursor inside the scroll
 * region (DECSTBM), where CR, LF and printing never take it out:
 * - a row the cursor is on when it writes has left the region after at most `rows` more line feeds;
 * - so everything up to the line feed that still has `rows` line feeds after it (the cut) is gone
 *   from the region by the end of the stretch, whatever it wrote, wherever it wrapped;
 * - if the cut ends in CR LF after at least `rows` line feeds, the cursor stands at the region's
 *   bottom, column 0, with every row it crossed doomed: `rows` empty lines leave it the same.
 * - fewer scrolls must not move the screen's origin in the buffer (a saved cursor is kept in buffer
 *   rows): so only when the region starts below the top row, or the scrollback is already full.
 * It must never shorten anything when the cursor is outside the scroll region (LF does not scroll
 * there, rows are overwritten in place) or when it does not know where the cursor is.
 */

/** Below this, a chunk is passed as it is: not worth a scan (keystroke echoes, prompts). */
const MIN_BYTES = 2048;

const CR = 0x0d;
const LF = 0x0a;

export interface ScreenGeometry {
  rows: number;
  /** The cursor row is inside the scroll region (DECSTBM), as the screen stands before `data`. */
  cursorInScrollRegion: boolean;
  /**
   * Scrolling leaves the top of the screen where it is in the buffer: the region does not start at
   * the top row, or the scrollback is full. Otherwise each scroll moves it, and a cursor saved
   * before (DECSC, entering the alternate screen) comes back elsewhere after fewer scrolls.
   */
  scrollKeepsOrigin: boolean;
}

/** 1 for the plain bytes: printable ASCII, CR and LF (a table: twice as fast as comparisons). */
const PLAIN = new Uint8Array(256);
PLAIN.fill(1, 0x20, 0x7f);
PLAIN[CR] = 1;
PLAIN[LF] = 1;

/**
 * How many bytes from the start of `data` are plain (printable ASCII, CR, LF). Four bytes at a
 * time: a word with no byte below 0x20 and none at 0x7f or above is plain; the few others (line
 * ends, mostly) are looked at byte by byte.
 */
export function plainPrefixLength(data: Uint8Array): number {
  const length = data.length;
  let end = 0;
  const misaligned = (4 - (data.byteOffset % 4)) % 4;
  while (end < misaligned) {
    if (end === length || PLAIN[data[end]!] !== 1) return end;
    end++;
  }
  const words = new Uint32Array(data.buffer, data.byteOffset + end, (length - end) >>> 2);
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    const below20 = (word - 0x20202020) & ~word & 0x80808080;
    const from7f = ((word + 0x01010101) | word) & 0x80808080;
    if ((below20 | from7f) !== 0) {
      for (let at = end; at < end + 4; at++) if (PLAIN[data[at]!] !== 1) return at;
    }
    end += 4;
  }
  while (end < length && PLAIN[data[end]!] === 1) end++;
  return end;
}

/** `data` with the lines that will scroll away unseen replaced by empty ones; or `data` itself. */
export function dropScrolledLines(data: Uint8Array, screen: ScreenGeometry): Uint8Array {
  const { rows } = screen;
  if (data.length < MIN_BYTES || !screen.cursorInScrollRegion || !screen.scrollKeepsOrigin || rows < 1) return data;
  const plainEnd = plainPrefixLength(data);
  // The cut ends at the last line feed with `rows` more after it; it must hold `rows` line
  // feeds itself (the cursor is at the bottom then) and end in CR LF (it is in column 0).
  // Searched from the end (memchr), so a long stretch costs one scan, not one step per line.
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.length);
  let at = plainEnd;
  for (let found = 0; found <= rows; found++) {
    at = at > 0 ? bytes.lastIndexOf(LF, at - 1) : -1;
    if (at < 0) return data;
  }
  const cutEnd = at;
  for (let found = 0; found < rows; found++) {
    at = at > 0 ? bytes.lastIndexOf(LF, at - 1) : -1;
    if (at < 0) return data;
  }
  if (data[cutEnd - 1] !== CR) return data;
  return Buffer.concat([Buffer.from('\r\n'.repeat(rows)), data.subarray(cutEnd + 1)]);
}
