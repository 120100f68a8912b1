/**
 * The worker thread behind ScreenModel: keeps one @xterm/headless terminal per screen and answers
 * questions about it (where is the cursor, what does the line from here say). Parsing terminal
 * output is the heaviest per-byte work of a shell session; here it runs beside the session's data
 * path instead of in it.
 *
 * Messages are handled in the order they were posted, and every answer waits for the writes
 * posted before its question: an answer always describes the screen after all earlier output.
 * Lines sure to scroll away unseen are cut before parsing (scrolled-lines.ts): a big `cat` costs
 * little more than its last screenful.
 * It never sees keystrokes or decisions, only output.
 */
import { parentPort } from 'node:worker_threads';
import pkg from '@xterm/headless';
import type { ScreenReply, ScreenRequest, ScreenPosition } from './screen-protocol.js';
import { dropScrolledLines } from './scrolled-lines.js';

const { Terminal } = pkg;
type XTerminal = InstanceType<typeof Terminal>;

/**
 * Rows of history kept above the screen: a command line longer than the screen plus this many rows
 * is not read whole. Each row costs ~1 KB per session (2,000 rows took 400 MB for 200 sessions).
 */
const SCROLLBACK_ROWS = 200;

/** A screen and the work waiting for it, done strictly in order, one write at a time. */
interface Screen {
  term: XTerminal;
  queue: (() => boolean)[];
  writing: boolean;
}

const screens = new Map<number, Screen>();
const port = parentPort!;

function post(reply: ScreenReply): void {
  port.postMessage(reply);
}

interface CoreBuffer {
  y?: unknown;
  scrollTop?: unknown;
  scrollBottom?: unknown;
  lines?: { length?: unknown; maxLength?: unknown };
}

/**
 * What dropScrolledLines must know, from xterm's own state (not in its public API: if it is not
 * there, nothing is shortened).
 */
function shortcutState(term: XTerminal): { cursorInScrollRegion: boolean; scrollKeepsOrigin: boolean } {
  const buffer = (term as unknown as { _core?: { buffer?: CoreBuffer } })._core?.buffer;
  const { y, scrollTop, scrollBottom, lines } = buffer ?? {};
  if (typeof y !== 'number' || typeof scrollTop !== 'number' || typeof scrollBottom !== 'number' || typeof lines?.length !== 'number' || typeof lines.maxLength !== 'number') {
    return { cursorInScrollRegion: false, scrollKeepsOrigin: false };
  }
  return { cursorInScrollRegion: y >= scrollTop && y <= scrollBottom, scrollKeepsOrigin: scrollTop > 0 || lines.length >= lines.maxLength };
}

/** The line as the screen shows it, from `start` to the cursor (and the wrapped rows after it). */
function lineFrom(term: XTerminal, start: ScreenPosition): string | undefined {
  const buffer = term.buffer.active;
  if (buffer.type === 'alternate') return undefined;
  const last = buffer.baseY + buffer.cursorY;
  if (last < start.y) return undefined;
  let text = '';
  for (let y = start.y; y <= last || buffer.getLine(y)?.isWrapped; y++) {
    const line = buffer.getLine(y);
    if (!line) break;
    const content = line.translateToString(true, y === start.y ? start.x : 0);
    if (y > start.y && !line.isWrapped) text += '\n';
    text += content;
    if (y > last + 200) break;
  }
  return text.replace(/[ \t]+$/gm, '');
}

/**
 * Parses `data` at once, if this xterm can (its core's writeSync, not in the public API). Its
 * public write() starts parsing on a timer (at least 1 ms in Node) when nothing is queued, and
 * this worker queues one write at a time: that timer cost every write a millisecond, capping a
 * session near 60 MB/s and adding a millisecond to every Enter. Synchronous parsing is safe here:
 * no handler that answers asynchronously is registered.
 */
function parseNow(term: XTerminal, data: Uint8Array): boolean {
  const core = (term as unknown as { _core?: { writeSync?: (data: Uint8Array) => void } })._core;
  if (typeof core?.writeSync !== 'function') return false;
  core.writeSync(data);
  return true;
}

/**
 * Runs queued work until a write is in flight. Each write starts only after the previous one was
 * parsed, so the state a write is cut against, and the state a question is answered from, is
 * exact. A job returns true when it started a write.
 */
function pump(screen: Screen): void {
  while (!screen.writing && screen.queue.length > 0) screen.writing = screen.queue.shift()!();
}

function enqueue(id: number, job: (screen: Screen) => boolean): void {
  const screen = screens.get(id);
  if (!screen) return;
  screen.queue.push(() => job(screen));
  pump(screen);
}

function answer(id: number, req: number, reply: (term: XTerminal) => Omit<Extract<ScreenReply, { t: 'answer' }>, 't' | 'req'>): void {
  if (!screens.has(id)) {
    post({ t: 'answer', req, error: 'no such screen' });
    return;
  }
  enqueue(id, ({ term }) => {
    try {
      post({ t: 'answer', req, ...reply(term) });
    } catch (error) {
      post({ t: 'answer', req, error: (error as Error).message });
    }
    return false;
  });
}

port.on('message', (message: ScreenRequest) => {
  switch (message.t) {
    case 'open':
      screens.set(message.id, { term: new Terminal({ cols: message.cols, rows: message.rows, scrollback: SCROLLBACK_ROWS, allowProposedApi: true, logLevel: 'off' }), queue: [], writing: false });
      return;
    case 'write': {
      const { data: buffer, length } = message;
      enqueue(message.id, (screen) => {
        const { term } = screen;
        const data = dropScrolledLines(new Uint8Array(buffer, 0, length), { rows: term.rows, ...shortcutState(term) });
        // Parsed: xterm holds no view of the buffer any more, so it can go back.
        const parsed = (): void => port.postMessage({ t: 'written', id: message.id, bytes: length, data: buffer } satisfies ScreenReply, [buffer]);
        if (parseNow(term, data)) {
          parsed();
          return false;
        }
        term.write(data, () => {
          screen.writing = false;
          parsed();
          pump(screen);
        });
        return true;
      });
      return;
    }
    case 'resize':
      enqueue(message.id, ({ term }) => {
        term.resize(message.cols, message.rows);
        return false;
      });
      return;
    case 'close':
      screens.get(message.id)?.term.dispose();
      screens.delete(message.id);
      return;
    case 'cursor':
      answer(message.id, message.req, (term) => ({ position: { x: term.buffer.active.cursorX, y: term.buffer.active.baseY + term.buffer.active.cursorY } }));
      return;
    case 'line':
      answer(message.id, message.req, (term) => ({ line: lineFrom(term, message.start) }));
      return;
    case 'sync':
      answer(message.id, message.req, () => ({}));
      return;
  }
});
