/**
 * The shell-mode command gate. It sits between a terminal client's keystrokes and the program's
 * pty and holds every Enter until policy has decided on the line that Enter would run.
 *
 * The line is rebuilt twice and both are checked: from the keystrokes (typing, backspace, Ctrl-U,
 * Ctrl-W, Ctrl-K, cursor keys, bracketed paste) and from a terminal-screen model of the echoed
 * output (@xterm/headless in a worker thread, src/server/screen), read from where the cursor stood
 * when the line's first key went in.
 * When the keystrokes cannot tell the whole line (history, Tab completion, Ctrl-R, unknown escape
 * keys) the screen alone tells it. Lines the shell would continue (open quote, `\`-newline,
 * here-documents, trailing `&&`/`|`) are gathered and decided as one command on the last Enter.
 * Keys typed after an Enter wait until the shell has answered, so a paste of several lines is
 * checked line by line. On deny the line is cancelled (Ctrl-C to the pty) and the reason shown.
 *
 * It must never forward an Enter before the decision, and never lose or reorder a keystroke.
 */
import { StringDecoder } from 'node:string_decoder';
import { ScreenModel, type ScreenPosition } from '../screen/screen-model.js';
import type { CommandDecision, InputGate } from '../session/session.js';
import { ACTION_RANK } from './engine.js';
import type { LineDecision } from './decide.js';

export interface CommandGateOptions {
  decide(line: string): LineDecision;
  /** Holds for approval; resolves allow or deny. Aborting the signal cancels the hold. */
  hold(line: string, decision: LineDecision, signal: AbortSignal): Promise<CommandDecision>;
  /** Tells the user why the line was refused (notice + recording marker). */
  refuse(line: string, decision: LineDecision): void;
  /** Every line that Enter would run, with its final outcome (for the command log and audit). */
  decided?(line: string, outcome: { action: 'allow' | 'deny' | 'review'; held: boolean; result?: CommandDecision; decision: LineDecision }): void;
  cols?: number;
  rows?: number;
  /** Gives the gate resize notifications (the session's 'resize'). */
  onResize?(listener: (cols: number, rows: number) => void): void;
  /** Longest wait for the echo of a line to reach the screen model after Enter. */
  echoWaitMs?: number;
  /** Output silence that means the shell has answered (before keys typed ahead go on). */
  quietMs?: number;
}

const CTRL_C = '\x03';
const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/** Splits input text into keys: single characters, escape sequences, pastes. */
function* keys(text: string): Generator<string> {
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char !== '\x1b') {
      const code = text.codePointAt(index)!;
      const width = code > 0xffff ? 2 : 1;
      yield text.slice(index, index + width);
      index += width;
      continue;
    }
    if (text.startsWith(PASTE_START, index)) {
      const end = text.indexOf(PASTE_END, index + PASTE_START.length);
      const stop = end < 0 ? text.length : end + PASTE_END.length;
      yield text.slice(index, stop);
      index = stop;
      continue;
    }
    const next = text[index + 1];
    if (next === '[' || next === 'O') {
      let end = index + 2;
      while (end < text.length && !/[\x40-\x7e]/.test(text[end]!)) end++;
      yield text.slice(index, end + 1);
      index = end + 1;
      continue;
    }
    yield text.slice(index, index + (next === undefined ? 1 : 2));
    index += next === undefined ? 1 : 2;
  }
}

export class CommandGate implements InputGate {
  readonly #options: CommandGateOptions;
  /** The screen model (in a worker thread): parsing output never slows the session. */
  readonly #screen: ScreenModel;
  readonly #decoder = new StringDecoder('utf8');
  /** What the keystrokes say the current line is, and where the cursor is in it. */
  #typed = '';
  #cursor = 0;
  /** False once a key made the keystroke model unreliable (history, completion). */
  #certain = true;
  /** Lines already entered that the shell is still continuing. */
  #continued: string[] = [];
  /** Where the screen model had its cursor when the line's first key went in. */
  #lineStart?: Promise<ScreenPosition>;
  #lineStarted = false;
  #queue: string[] = [];
  #pumping = false;
  #lastOutputAt = 0;
  #forward?: (data: Buffer) => void;
  #onOutput?: () => void;
  #hold?: AbortController;
  #cancelledAt?: number;
  #disposed = false;

  constructor(options: CommandGateOptions) {
    this.#options = options;
    this.#screen = new ScreenModel(options.cols ?? 80, options.rows ?? 24);
    this.#screen.onWritten(() => this.#onOutput?.());
    options.onResize?.((cols, rows) => {
      if (!this.#disposed) this.#screen.resize(cols, rows);
    });
  }

  observeOutput(chunk: Buffer): void {
    if (this.#disposed) return;
    this.#lastOutputAt = Date.now();
    this.#screen.write(chunk);
  }

  /** Output handed to the screen model and not yet parsed (the session pauses its program on it). */
  get backlogBytes(): number {
    return this.#screen.backlogBytes;
  }

  onceBacklogBelow(bytes: number, listener: () => void): void {
    this.#screen.onceBelow(bytes, listener);
  }

  input(data: Buffer, forward: (data: Buffer) => void): void {
    if (this.#disposed) return;
    this.#forward = forward;
    const text = this.#decoder.write(data);
    if (text === '') return;
    if (this.#hold && text.includes(CTRL_C)) {
      // Ctrl-C while held: withdraw the request; the line is cancelled like a deny.
      this.#hold.abort();
      return;
    }
    this.#queue.push(text);
    this.#pump().catch((error: unknown) => {
      // A failure inside the gate never lets a line through: it is cancelled like a deny, and the
      // user is told why (a screen model that cannot start would otherwise cancel lines silently).
      this.#queue = [];
      this.#pumping = false;
      const why = `the command gate failed (${error instanceof Error ? error.message : String(error)}); the line was cancelled`;
      this.#options.refuse(this.#typed, { action: 'deny', why: [why], kube: [], complete: true, problems: [] });
      this.#cancel();
    });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#hold?.abort();
    this.#screen.dispose();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#disposed) {
        // Checked here, not inside: an await when nothing was cancelled would let the echo of
        // these keys reach the screen model before the line start is marked.
        if (this.#cancelledAt !== undefined) await this.#afterCancel();
        const text = this.#queue.shift()!;
        let pass = '';
        const flush = (): void => {
          if (pass) this.#send(pass);
          pass = '';
        };
        const all = [...keys(text)];
        for (let index = 0; index < all.length; index++) {
          const key = all[index]!;
          if (key === '\r' || key === '\n') {
            flush();
            await this.#enter(key);
            // Keys pasted after a cancelled line must wait for the shell's new prompt too.
            if (index < all.length - 1 && this.#cancelledAt !== undefined) await this.#afterCancel();
            if (index < all.length - 1 || this.#queue.length > 0) await this.#quiet();
            continue;
          }
          if (!this.#lineStarted) this.#markLineStart();
          this.#edit(key);
          pass += key;
        }
        flush();
      }
    } finally {
      this.#pumping = false;
    }
  }

  #send(text: string): void {
    if (!this.#disposed) this.#forward?.(Buffer.from(text, 'utf8'));
  }

  /** Remembers where the cursor is once all output so far is on the model: the line starts there. */
  #markLineStart(): void {
    this.#lineStarted = true;
    // Asked now, before the key goes in: the answer describes the screen before its echo.
    const start = this.#screen.cursor();
    // A failed model surfaces where the line is read (and the line is cancelled there).
    start.catch(() => {});
    this.#lineStart = start;
  }

  /** Applies one key to the keystroke model. */
  #edit(key: string): void {
    const before = this.#typed.slice(0, this.#cursor);
    const after = this.#typed.slice(this.#cursor);
    if (key.startsWith(PASTE_START)) {
      const content = key.slice(PASTE_START.length).replace(PASTE_END, '').replace(/\r\n?/g, '\n');
      this.#typed = before + content + after;
      this.#cursor += content.length;
      return;
    }
    switch (key) {
      case '\x7f':
      case '\x08':
        if (this.#cursor > 0) {
          this.#typed = before.slice(0, -1) + after;
          this.#cursor--;
        }
        return;
      case '\x15': // Ctrl-U
        this.#typed = after;
        this.#cursor = 0;
        return;
      case '\x0b': // Ctrl-K
        this.#typed = before;
        return;
      case '\x17': {
        // Ctrl-W: the word before the cursor
        const kept = before.replace(/\S+\s*$/, '');
        this.#typed = kept + after;
        this.#cursor = kept.length;
        return;
      }
      case '\x01':
      case '\x1b[H':
      case '\x1bOH':
      case '\x1b[1~':
        this.#cursor = 0;
        return;
      case '\x05':
      case '\x1b[F':
      case '\x1bOF':
      case '\x1b[4~':
        this.#cursor = this.#typed.length;
        return;
      case '\x02':
      case '\x1b[D':
      case '\x1bOD':
        this.#cursor = Math.max(0, this.#cursor - 1);
        return;
      case '\x06':
      case '\x1b[C':
      case '\x1bOC':
        this.#cursor = Math.min(this.#typed.length, this.#cursor + 1);
        return;
      case '\x1b[3~':
        this.#typed = before + after.slice(1);
        return;
      case '\x04':
        if (this.#typed === '') this.#resetLine(true);
        else this.#typed = before + after.slice(1);
        return;
      case CTRL_C:
        this.#resetLine(true);
        return;
      default:
        if (key.length === 1 && key < ' ') {
          this.#certain = false;
          return;
        }
        if (key.startsWith('\x1b')) {
          this.#certain = false;
          return;
        }
        this.#typed = before + key + after;
        this.#cursor += key.length;
    }
  }

  #resetLine(all: boolean): void {
    this.#typed = '';
    this.#cursor = 0;
    this.#certain = true;
    this.#lineStarted = false;
    this.#lineStart = undefined;
    if (all) this.#continued = [];
  }

  /** Resolves once the screen model has taken in all output so far (xterm parses asynchronously). */
  #settled(): Promise<void> {
    return this.#disposed ? Promise.resolve() : this.#screen.settled();
  }

  /** Resolves on the next output (or after `ms`): the echo may still be on its way. */
  #nextOutput(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const previous = this.#onOutput;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#onOutput = () => {
        this.#onOutput = previous;
        done();
      };
    });
  }

  /**
   * After a cancelled line: the terminal discards keys that reach it while it handles Ctrl-C, so
   * let the shell answer (its new prompt) before the next keys go in.
   */
  async #afterCancel(): Promise<void> {
    if (this.#cancelledAt === undefined) return;
    const since = this.#cancelledAt;
    this.#cancelledAt = undefined;
    const deadline = Date.now() + 1000;
    while (this.#lastOutputAt <= since && Date.now() < deadline && !this.#disposed) await this.#nextOutput(50);
    await this.#quiet();
  }

  /** Waits until the shell has stopped printing (its answer to the last line), bounded. */
  async #quiet(): Promise<void> {
    const quietMs = this.#options.quietMs ?? 60;
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    while (!this.#disposed && Date.now() - started < 2000) {
      await this.#settled();
      if (Date.now() - this.#lastOutputAt >= quietMs) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The line as the screen shows it, from the line's start to the end of what follows. */
  async #screenLine(): Promise<string | undefined> {
    const start = this.#lineStart;
    if (!start) return undefined;
    return this.#screen.lineFrom(await start);
  }

  /** After Enter: the echo of the line should be on the screen model; wait for it a little. */
  async #awaitEcho(): Promise<string | undefined> {
    const limit = this.#options.echoWaitMs ?? 250;
    const started = Date.now();
    for (;;) {
      const screen = await this.#screenLine();
      if (this.#certain && screen === this.#typed) return screen;
      const quietFor = Date.now() - this.#lastOutputAt;
      if (Date.now() - started >= limit || (!this.#certain && quietFor > 40 && screen !== undefined)) return screen;
      await this.#nextOutput(this.#certain ? 10 : 5);
    }
  }

  async #enter(key: string): Promise<void> {
    if (!this.#lineStarted && this.#continued.length === 0) {
      // An empty line: nothing runs.
      this.#send(key);
      this.#resetLine(false);
      return;
    }
    const screen = await this.#awaitEcho();
    const candidates = new Set<string>();
    if (this.#certain) candidates.add(this.#typed);
    if (screen !== undefined && (screen !== '' || !this.#certain)) candidates.add(screen);
    if (candidates.size === 0) candidates.add(this.#typed);
    const prefix = this.#continued.length > 0 ? `${this.#continued.join('\n')}\n` : '';
    // The strictest reading wins, whether or not it is complete: a program's own output must
    // never make a line look unfinished (and so unchecked) while the shell runs it.
    let chosen: { line: string; decision: LineDecision } | undefined;
    let anyComplete = false;
    for (const candidate of candidates) {
      const line = prefix + candidate;
      let decision: LineDecision;
      try {
        decision = this.#options.decide(line);
      } catch (error) {
        decision = { action: 'deny', why: [`the command gate failed to check this line (${(error as Error).message})`], kube: [], complete: true, problems: [] };
      }
      anyComplete ||= decision.complete;
      if (!chosen || ACTION_RANK[decision.action] > ACTION_RANK[chosen.decision.action]) chosen = { line, decision };
    }
    const { line, decision } = chosen!;
    if (!anyComplete && decision.action === 'allow') {
      // The shell will ask for more: nothing runs on this Enter. Decide on the whole command later.
      this.#continued.push(line.slice(prefix.length));
      this.#send(key);
      this.#resetLine(false);
      return;
    }
    if (decision.action === 'allow') {
      this.#options.decided?.(line, { action: 'allow', held: false, decision });
      this.#send(key);
      this.#resetLine(true);
      return;
    }
    if (decision.action === 'deny') {
      this.#options.decided?.(line, { action: 'deny', held: false, decision });
      this.#options.refuse(line, decision);
      this.#cancel();
      return;
    }
    const controller = new AbortController();
    this.#hold = controller;
    let result: CommandDecision;
    try {
      result = await this.#options.hold(line, decision, controller.signal);
    } finally {
      this.#hold = undefined;
    }
    const released = result.action === 'allow' && !controller.signal.aborted;
    this.#options.decided?.(line, { action: released ? 'review' : 'deny', held: true, result, decision });
    if (released) {
      this.#send(key);
      this.#resetLine(true);
    } else this.#cancel();
  }

  #cancel(): void {
    this.#send(CTRL_C);
    this.#resetLine(true);
    this.#cancelledAt = Date.now();
  }
}
