/**
 * A running program of a session, in a pty (interactive) or on pipes (one-shot runs, where stdout
 * and stderr stay apart and stdin may carry binary data). One interface for both so the session
 * never cares which it has.
 */
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, openSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as pty from 'node-pty';
import { GatewayError } from '../../errors.js';

export interface ProgramExit {
  exitCode: number;
  signal?: string;
}

export interface LaunchSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

export interface Program {
  readonly pid: number;
  onOutput(listener: (stream: 1 | 2, chunk: Buffer) => void): void;
  onExit(listener: (exit: ProgramExit) => void): void;
  write(data: Buffer | string): void;
  endInput(): void;
  resize(cols: number, rows: number): void;
  signal(name: NodeJS.Signals): void;
  pause(): void;
  resume(): void;
  /** Ends the program: SIGHUP (as a closing terminal would), SIGKILL after `graceMs`. */
  terminate(graceMs: number): void;
}

function signalNumber(name: string | undefined): number {
  return name ? (osConstants.signals as Record<string, number>)[name] ?? 0 : 0;
}

function signalName(signal: number | NodeJS.Signals | null | undefined): string | undefined {
  if (!signal) return undefined;
  if (typeof signal === 'string') return signal;
  return Object.entries(osConstants.signals).find(([, number]) => number === signal)?.[0];
}

/** Shell convention: a program killed by signal N exits 128+N. */
function exitFrom(code: number | null, signal: number | NodeJS.Signals | null | undefined): ProgramExit {
  const name = signalName(signal);
  if (name) return { exitCode: 128 + signalNumber(name), signal: name };
  return { exitCode: code ?? 1 };
}

/**
 * A pty read this long is taken as part of a stream of output (Linux hands over at most 4095
 * bytes per read; a busy machine reads less at a time). Shorter ones (an echo, a prompt) go out
 * at once.
 */
const PTY_BULK_READ_BYTES = 1024;
/** Output gathered from back-to-back long reads before it is passed on... */
const OUTPUT_BATCH_BYTES = 64 * 1024;
/** ...or after this long, whichever comes first. */
const OUTPUT_BATCH_WAIT_MS = 2;

/** How long output may still be read after the child exits (a background job can hold the tty). */
const PTY_DRAIN_AFTER_EXIT_MS = 2000;

/**
 * Reads a pty to its real end after the child exits. Once the last fd on a slave closes, Linux
 * may answer reads on the master with EIO while output is still queued behind the master's 4 KB
 * line buffer, and node-pty destroys its read side 200 ms after the exit: either way sessions
 * lost the tail of their output (node-pty #72, #726; cuts at multiples of 4095 bytes with 20
 * sessions ending at once on a busy machine). So the gateway holds its own fd on the slave, and
 * when node-pty gives up on the exited child it writes a marker through that fd: the terminal
 * delivers it after everything the program wrote, so once the marker is read (and cut out) the
 * held fd is closed and the master reaches EIO with nothing left. The marker is an APC sequence,
 * which terminals ignore, should it ever be seen. A process still holding the terminal (a
 * background job) ends it after a bounded wait.
 */
class PtyDrain {
  #slave?: number;
  #marker?: Buffer;
  #held = Buffer.alloc(0);
  #timer?: NodeJS.Timeout;
  #destroy?: (error?: Error) => unknown;

  constructor(terminal: pty.IPty) {
    const internals = terminal as unknown as { _pty?: string; _socket?: import('node:net').Socket };
    const socket = internals._socket;
    if (!socket || typeof socket.destroy !== 'function' || !internals._pty) return;
    try {
      this.#slave = openSync(internals._pty, fsConstants.O_RDWR | fsConstants.O_NOCTTY | fsConstants.O_NONBLOCK);
    } catch {
      return;
    }
    this.#destroy = socket.destroy.bind(socket);
    socket.once('close', () => {
      clearTimeout(this.#timer);
      this.#release();
    });
    // node-pty sets `_boundClose` the moment it learns the child exited: start draining then,
    // not 200 ms later when its timer calls destroy (that stays the fallback trigger).
    let boundClose: unknown;
    Object.defineProperty(terminal, '_boundClose', {
      configurable: true,
      get: () => boundClose,
      set: (value: unknown) => {
        boundClose = value;
        if (value) this.#start();
      },
    });
    socket.destroy = ((error?: Error) => {
      if (socket.destroyed || this.#slave === undefined) return this.#destroy!(error);
      this.#start();
      return socket;
    }) as typeof socket.destroy;
  }

  #start(): void {
    if (this.#marker || this.#slave === undefined) return;
    this.#marker = Buffer.from(`\x1b_hoop-drain:${randomBytes(8).toString('hex')}\x1b\\`);
    this.#timer = setTimeout(() => {
      this.#release();
      this.#destroy?.();
    }, PTY_DRAIN_AFTER_EXIT_MS);
    this.#timer.unref();
    this.#sendMarker(0);
  }

  #sendMarker(offset: number): void {
    if (this.#slave === undefined || !this.#marker) return;
    try {
      offset += writeSync(this.#slave, this.#marker, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return this.#release();
    }
    // A full terminal (paused reader) takes the rest later.
    if (offset < this.#marker.length) setTimeout(() => this.#sendMarker(offset), 10).unref();
  }

  #release(): void {
    if (this.#slave === undefined) return;
    closeSync(this.#slave);
    this.#slave = undefined;
  }

  /** Output as the session should see it: the marker cut out (it may span chunks). */
  filter(chunk: Buffer): Buffer {
    const marker = this.#marker;
    if (!marker || this.#slave === undefined) return chunk;
    const data = this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk;
    const at = data.indexOf(marker);
    if (at >= 0) {
      this.#held = Buffer.alloc(0);
      this.#release();
      return Buffer.concat([data.subarray(0, at), data.subarray(at + marker.length)]);
    }
    let keep = Math.min(marker.length - 1, data.length);
    while (keep > 0 && !marker.subarray(0, keep).equals(data.subarray(data.length - keep))) keep--;
    this.#held = Buffer.from(data.subarray(data.length - keep));
    return data.subarray(0, data.length - keep);
  }
}

export class PtyProgram implements Program {
  readonly #pty: pty.IPty;
  readonly #drain: PtyDrain;
  readonly #outputListeners: ((stream: 1 | 2, chunk: Buffer) => void)[] = [];
  /** Output gathered from long reads, passed on together. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #flushTimer?: NodeJS.Timeout;
  #exited = false;
  #killTimer?: NodeJS.Timeout;
  #deathWatch?: NodeJS.Timeout;

  constructor(spec: LaunchSpec, size: { cols: number; rows: number }) {
    try {
      this.#pty = pty.spawn(spec.file, spec.args, {
        name: spec.env.TERM ?? 'xterm-256color',
        cols: size.cols,
        rows: size.rows,
        cwd: spec.cwd,
        env: spec.env,
        // Buffers, not strings: the masker and recorder decode UTF-8 across chunk boundaries.
        encoding: null,
      } as pty.IPtyForkOptions);
    } catch (error) {
      throw new GatewayError('SPAWN_FAILED', `cannot start ${spec.file}: ${(error as Error).message}`, { cause: error });
    }
    this.#drain = new PtyDrain(this.#pty);
    this.#pty.onData((data) => {
      const chunk = typeof data === 'string' ? Buffer.from(data) : (data as unknown as Buffer);
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      // A pty hands output over at most 4 KB per read, one read per turn of the event loop. While
      // reads come back large, the program is streaming: gather them (for at most 2 ms) so the
      // masker, recorder and socket do their per-chunk work once per 64 KB, not per 4 KB.
      // A short read (an echo, a prompt) goes out at once.
      if (chunk.length < PTY_BULK_READ_BYTES || this.#pendingBytes >= OUTPUT_BATCH_BYTES) this.#flush();
      else this.#flushTimer ??= setTimeout(() => this.#flush(), OUTPUT_BATCH_WAIT_MS);
    });
    this.#pty.onExit(() => {
      this.#exited = true;
      clearTimeout(this.#killTimer);
      clearInterval(this.#deathWatch);
    });
  }

  #flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#pending.length === 0) return;
    const read = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    const chunk = this.#drain.filter(read);
    if (chunk.length > 0) for (const listener of this.#outputListeners) listener(1, chunk);
  }

  get pid(): number {
    return this.#pty.pid;
  }

  onOutput(listener: (stream: 1 | 2, chunk: Buffer) => void): void {
    this.#outputListeners.push(listener);
  }

  onExit(listener: (exit: ProgramExit) => void): void {
    this.#pty.onExit(({ exitCode, signal }) => {
      // Everything read before the exit is passed on before it.
      this.#flush();
      listener(exitFrom(exitCode, signal));
    });
  }

  write(data: Buffer | string): void {
    if (!this.#exited) this.#pty.write(data as string);
  }

  endInput(): void {
    // A terminal has no "end of input"; ^D is what a user would type.
    this.write('\x04');
  }

  resize(cols: number, rows: number): void {
    if (!this.#exited) this.#pty.resize(cols, rows);
  }

  signal(name: NodeJS.Signals): void {
    if (this.#exited) return;
    // Keys the line discipline turns into signals for the whole foreground job.
    const key = { SIGINT: '\x03', SIGQUIT: '\x1c', SIGTSTP: '\x1a' }[name as string];
    if (key) this.#pty.write(key);
    else this.#pty.kill(name);
  }

  pause(): void {
    this.#pty.pause();
    // node-pty destroys the pty 200 ms after the child exits, dropping unread output. A paused
    // reader would lose the tail, so once the child is gone we read on: the kernel's pty buffer
    // (a few dozen KB) is all that can still arrive.
    this.#deathWatch ??= setInterval(() => {
      try {
        process.kill(this.#pty.pid, 0);
      } catch {
        this.resume();
      }
    }, 50);
    this.#deathWatch.unref();
  }

  resume(): void {
    clearInterval(this.#deathWatch);
    this.#deathWatch = undefined;
    this.#pty.resume();
  }

  terminate(graceMs: number): void {
    if (this.#exited) return;
    this.#pty.resume();
    try {
      process.kill(-this.#pty.pid, 'SIGHUP');
    } catch {
      this.#pty.kill('SIGHUP');
    }
    this.#killTimer = setTimeout(() => {
      try {
        process.kill(-this.#pty.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, graceMs);
    this.#killTimer.unref();
  }
}

export class PipeProgram implements Program {
  readonly #child: ChildProcess;
  #exited = false;
  #killTimer?: NodeJS.Timeout;
  readonly #ready: Promise<void>;

  constructor(spec: LaunchSpec) {
    // detached: its own process group, so signals reach what it starts too.
    this.#child = spawnChild(spec.file, spec.args, { env: spec.env, cwd: spec.cwd, stdio: 'pipe', detached: true });
    this.#ready = new Promise((resolve, reject) => {
      this.#child.once('spawn', resolve);
      this.#child.once('error', (error) => reject(new GatewayError('SPAWN_FAILED', `cannot start ${spec.file}: ${error.message}`, { cause: error })));
    });
    this.#child.stdin?.on('error', () => {
      /* the program closed its stdin early (EPIPE): not our failure */
    });
    this.#child.once('close', () => {
      this.#exited = true;
      clearTimeout(this.#killTimer);
    });
  }

  /** Resolves once the program runs; rejects with SPAWN_FAILED when it cannot start. */
  ready(): Promise<void> {
    return this.#ready;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  onOutput(listener: (stream: 1 | 2, chunk: Buffer) => void): void {
    this.#child.stdout?.on('data', (chunk: Buffer) => listener(1, chunk));
    this.#child.stderr?.on('data', (chunk: Buffer) => listener(2, chunk));
  }

  onExit(listener: (exit: ProgramExit) => void): void {
    // 'close' (not 'exit'): all output has been read by then.
    this.#child.once('close', (code, signal) => listener(exitFrom(code, signal)));
  }

  write(data: Buffer | string): void {
    if (!this.#exited && this.#child.stdin?.writable) this.#child.stdin.write(data);
  }

  endInput(): void {
    this.#child.stdin?.end();
  }

  resize(): void {
    /* pipes have no size */
  }

  signal(name: NodeJS.Signals): void {
    if (this.#exited || !this.#child.pid) return;
    try {
      process.kill(-this.#child.pid, name);
    } catch {
      this.#child.kill(name);
    }
  }

  pause(): void {
    this.#child.stdout?.pause();
    this.#child.stderr?.pause();
  }

  resume(): void {
    this.#child.stdout?.resume();
    this.#child.stderr?.resume();
  }

  terminate(graceMs: number): void {
    if (this.#exited) return;
    this.resume();
    this.signal('SIGTERM');
    this.#killTimer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    this.#killTimer.unref();
  }
}
