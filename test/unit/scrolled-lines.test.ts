/**
 * The screen model skips output that scrolls away unseen (src/server/screen/scrolled-lines.ts).
 * Differential check: two xterm terminals get the same random output, one whole and one through
 * dropScrolledLines, chunk by chunk; after every chunk their screens (every row of the viewport,
 * wrap flags, cursor, active buffer) must be identical. The output mixes plain log lines with the
 * escape sequences that change how line feeds behave (scroll regions, cursor moves, alternate
 * screen, autowrap, insert mode), so a shortcut taken in the wrong state shows up as a diff.
 */
import pkg from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { dropScrolledLines, plainPrefixLength } from '../../src/server/screen/scrolled-lines.js';

const { Terminal } = pkg;
type XTerminal = InstanceType<typeof Terminal>;

/** A small deterministic PRNG, so a failure names its seed. */
function random(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
}

function line(pick: (n: number) => number, cols: number): string {
  const length = pick(4) === 0 ? pick(cols * 3) : pick(cols);
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(0x20 + pick(95));
  return text;
}

/** Escape sequences and bytes that make plain output behave differently. */
function disturbance(pick: (n: number) => number, rows: number, cols: number): string {
  const top = 1 + pick(rows);
  const bottom = top + pick(rows - top + 1);
  const choices = [
    `\x1b[${top};${bottom}r`, // scroll region (homes the cursor)
    '\x1b[r', // full-screen region
    `\x1b[${1 + pick(rows)};${1 + pick(cols)}H`, // cursor anywhere, also outside the region
    '\x1b[?1049h', // alternate screen
    '\x1b[?1049l',
    '\x1b[?7l', // autowrap off
    '\x1b[?7h',
    '\x1b[4h', // insert mode
    '\x1b[4l',
    '\x1b[2J',
    '\x1b[K',
    '\x1bM', // reverse index
    '\t',
    '\b',
    'é日本',
    '\n', // LF without CR: the next line starts mid-row
  ];
  return choices[pick(choices.length)]!;
}

/** As the screen worker reads it from xterm. */
function shortcutState(term: XTerminal): { cursorInScrollRegion: boolean; scrollKeepsOrigin: boolean } {
  const buffer = (term as unknown as { _core: { buffer: { y: number; scrollTop: number; scrollBottom: number; lines: { length: number; maxLength: number } } } })._core.buffer;
  return { cursorInScrollRegion: buffer.y >= buffer.scrollTop && buffer.y <= buffer.scrollBottom, scrollKeepsOrigin: buffer.scrollTop > 0 || buffer.lines.length >= buffer.lines.maxLength };
}

function screen(term: XTerminal): { rows: string[]; cursor: [number, number]; type: string } {
  const buffer = term.buffer.active;
  const rows: string[] = [];
  for (let y = 0; y < term.rows; y++) {
    const row = buffer.getLine(buffer.baseY + y)!;
    rows.push(`${row.isWrapped ? '~' : ' '}${row.translateToString(false)}`);
  }
  return { rows, cursor: [buffer.cursorX, buffer.cursorY], type: buffer.type };
}

function write(term: XTerminal, data: Uint8Array | string): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

async function compare(seed: number): Promise<number> {
  const pick = random(seed);
  const rows = 2 + pick(30);
  const cols = 8 + pick(100);
  const whole = new Terminal({ cols, rows, scrollback: 50, allowProposedApi: true });
  const shortened = new Terminal({ cols, rows, scrollback: 50, allowProposedApi: true });
  let cuts = 0;
  try {
    for (let chunk = 0; chunk < 12; chunk++) {
      let text = '';
      const target = 2048 + pick(12_000);
      // Some chunks are all plain (a long `cat`), the others mix in what changes the rules.
      const calm = pick(3) === 0;
      while (text.length < target) {
        if (!calm && pick(40) === 0) text += disturbance(pick, rows, cols);
        text += line(pick, cols) + (!calm && pick(30) === 0 ? '\n' : '\r\n');
      }
      const data = Buffer.from(text, 'utf8');
      const before = shortcutState(shortened);
      const fed = dropScrolledLines(data, { rows: shortened.rows, ...before });
      if (fed !== data) cuts++;
      await write(whole, data);
      await write(shortened, fed);
      expect(screen(shortened), `seed ${seed}, chunk ${chunk}, ${rows}x${cols}`).toEqual(screen(whole));
      // The main thread relies on this: plain output never takes the shortcut away.
      if (plainPrefixLength(data) === data.length && before.cursorInScrollRegion && before.scrollKeepsOrigin) {
        expect(shortcutState(shortened), `seed ${seed}, chunk ${chunk}: plain output kept the shortcut`).toEqual(before);
      }
    }
  } finally {
    whole.dispose();
    shortened.dispose();
  }
  return cuts;
}

describe('dropScrolledLines', () => {
  it('leaves the visible screen and cursor exactly as the whole output does (150 random sessions)', async () => {
    let cuts = 0;
    for (let seed = 1; seed <= 150; seed++) cuts += await compare(seed);
    // The shortcut must actually be taken often, or this test proves nothing.
    expect(cuts).toBeGreaterThan(300);
  }, 120_000);

  it('cuts a big plain log down to a screenful', () => {
    const log = Buffer.from(Array.from({ length: 2000 }, (_, i) => `2026-11-29 INFO request ${i} status=200`).join('\r\n') + '\r\n');
    const fed = dropScrolledLines(log, { rows: 24, cursorInScrollRegion: true, scrollKeepsOrigin: true });
    expect(fed.length).toBeLessThan(24 * 2 + 25 * 40);
    expect(Buffer.from(fed).toString().endsWith('request 1999 status=200\r\n')).toBe(true);
  });

  it('cuts nothing when the cursor is outside the scroll region, or the output is not plain', () => {
    const log = Buffer.from('x'.repeat(30).concat('\r\n').repeat(500));
    expect(dropScrolledLines(log, { rows: 24, cursorInScrollRegion: false, scrollKeepsOrigin: true })).toBe(log);
    expect(dropScrolledLines(log, { rows: 24, cursorInScrollRegion: true, scrollKeepsOrigin: false })).toBe(log);
    const colored = Buffer.concat([Buffer.from('\x1b[31m'), log]);
    expect(dropScrolledLines(colored, { rows: 24, cursorInScrollRegion: true, scrollKeepsOrigin: true })).toBe(colored);
  });
});
