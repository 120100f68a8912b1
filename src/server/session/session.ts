/**
 * One session: a connection opened by one identity. In `shell` mode it owns one program in a pty;
 * in `runs`/`broker` mode it runs commands one after another, each framed by run.started and
 * run.exit. All output flows one way: program → output filter (masking) → recorder, client,
 * watchers. The session never hands unfiltered output to anything but the filter.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { GatewayError, describeError } from '../../errors.js';
import { Limits } from '../../limits.js';
import type { ClientMessage, ServerMessage, SessionMode, StreamId } from '../../protocol/messages.js';
import { AsciicastWriter } from '../../recorder/asciicast-writer.js';
import { commandMarker } from '../../recorder/markers.js';
import type { Identity } from '../auth/identity.js';
import type { ConnectionConfig } from '../../config/schema.js';
import type { ConnectionDriver, RunCommand, SessionContext } from '../connections/driver.js';
import type { Store } from '../store/store.js';
import { createSessionHome, sessionEnvironment, type SessionHome } from './environment.js';
import { PipeProgram, PtyProgram, type Program, type ProgramExit } from './program.js';

/** Stdin a run may receive before its program has started (while it is checked or held). */
const EARLY_STDIN_LIMIT_BYTES = 64 * 1024 * 1024;

/** Where output goes once filtered: the attached client (with backpressure accounting). */
export interface SessionSink {
  sendControl(message: ServerMessage): void;
  sendData(stream: StreamId, chunk: Buffer): void;
  /** Bytes handed to the sink and not yet written to its socket. */
  readonly pendingBytes: number;
  /** Called when pendingBytes drops below the low-water mark. */
  onDrain(listener: () => void): void;
}

/** Transforms output before anyone sees it (masking). Must not pass clear text on failure. */
export interface OutputFilter {
  push(stream: 1 | 2, chunk: Buffer): Buffer;
  flush(stream: 1 | 2): Buffer;
  /**
   * Optional: a filter that holds back a possible partial secret releases it later (after its
   * hold time) through `emit`; `fail` stops the session's output (fail closed).
   */
  setEmitter?(emit: (stream: 1 | 2, chunk: Buffer) => void, fail: (error: unknown) => void): void;
  /** Optional: the session got input (so the next short output is likely its echo). */
  noteInput?(data: Buffer): void;
  dispose?(): void;
}

/** The decision on one command, before it runs. Policy fills this in. */
export interface CommandDecision {
  action: 'allow' | 'deny';
  rule?: string;
  reason?: string;
  approver?: string;
  approvalId?: string;
}

/**
 * Sits between a terminal session's keystrokes and its program (shell-mode command gate). It
 * forwards input when it decides to; a gate may hold an Enter until policy has answered.
 */
export interface InputGate {
  input(data: Buffer, forward: (data: Buffer) => void): void;
  /** Output as the client sees it (after the filter), for a screen model of the command line. */
  observeOutput?(chunk: Buffer): void;
  /** Observed output not yet taken in (the program is paused while it is above the high-water mark). */
  readonly backlogBytes?: number;
  onceBacklogBelow?(bytes: number, listener: () => void): void;
  dispose?(): void;
}

export interface SessionServices {
  store: Store;
  recordingsDir: string;
  driver: ConnectionDriver;
  /** Decides a run's command; may wait (approvals) and may send held/approved events. */
  authorizeRun?: (session: Session, run: { id: string; text: string; command: RunCommand; signal: AbortSignal }) => Promise<CommandDecision>;
  createOutputFilter?: (session: Session) => OutputFilter | undefined;
  /** Hides secrets in command text before it is stored or shown (masking). */
  maskText?: (text: string) => string;
  createInputGate?: (session: Session) => InputGate | undefined;
  /** `recording.required: false`: a recording that fails mid-session no longer stops it. */
  recordingOptional?: boolean;
  outputHighWaterBytes?: number;
  /** The browser replay URL of a session, sent in the `exit` message (audit module). */
  replayLink?: (session: Session) => string | undefined;
}

export interface SessionOptions {
  identity: Identity;
  connection: ConnectionConfig;
  interactive: boolean;
  cols: number;
  rows: number;
}

interface ActiveRun {
  id: string;
  commandId: number;
  program: Program;
}

export type SessionEndState = 'ended' | 'failed';

/**
 * Emitted as 'command' on the session (and forwarded as 'command' on gateway.events with the
 * session): received → decided → finished. Audit and live views build on these.
 */
export interface CommandEvent {
  commandId: number;
  runId?: string;
  text: string;
  phase: 'received' | 'decided' | 'finished';
  decision?: 'allow' | 'deny' | 'review';
  rule?: string;
  reason?: string;
  approver?: string;
  approvalId?: string;
  exitCode?: number;
}

export class Session extends EventEmitter {
  readonly id = randomUUID();
  readonly identity: Identity;
  readonly connection: ConnectionConfig;
  readonly mode: SessionMode;
  readonly startedAt = new Date();
  readonly #services: SessionServices;
  readonly #sink: SessionSink;
  #cols: number;
  #rows: number;
  #home?: SessionHome;
  #context?: SessionContext;
  #recorder?: AsciicastWriter;
  #filter?: OutputFilter;
  #gate?: InputGate;
  /** The interactive program (shell mode) or the current run's program. */
  #program?: Program;
  #run?: ActiveRun;
  #runQueue: Promise<void> = Promise.resolve();
  /** Runs asked for and not yet finished, so a cancel can reach them wherever they are. */
  readonly #pendingRuns = new Map<string, AbortController>();
  #pausedForPressure = false;
  /** Stdin (and eof) of a run that arrived before its program started: delivered once it runs. */
  #earlyStdin?: { chunks: Buffer[]; bytes: number; eof: boolean };
  #ended = false;
  /** Set when the output filter failed: nothing more of this session's output is shown. */
  #outputStopped = false;
  #endPromise?: Promise<void>;

  constructor(options: SessionOptions, services: SessionServices, sink: SessionSink) {
    super();
    this.identity = options.identity;
    this.connection = options.connection;
    this.mode = services.driver.mode(options.interactive);
    this.#cols = options.cols;
    this.#rows = options.rows;
    this.#services = services;
    this.#sink = sink;
    sink.onDrain(() => this.#relievePressure());
  }

  get recordingPath(): string | undefined {
    return this.#recorder?.file;
  }

  get size(): { cols: number; rows: number } {
    return { cols: this.#cols, rows: this.#rows };
  }

  get ended(): boolean {
    return this.#ended;
  }

  get context(): SessionContext | undefined {
    return this.#context;
  }

  #openRecorder(file: string, env: Record<string, string>): AsciicastWriter {
    return new AsciicastWriter(
      file,
      {
        width: this.#cols,
        height: this.#rows,
        title: `${this.identity.user}@${this.connection.name}`,
        command: this.connection.type === 'command' ? this.connection.command.join(' ') : 'kubectl',
        env: { TERM: env.TERM ?? 'xterm-256color' },
        session: this.id,
        user: this.identity.user,
        actor: this.identity.actor ?? null,
        connection: this.connection.name,
      },
      (error) => this.#recordingFailed(error),
    );
  }

  /** A recording write failed mid-session: stop the session rather than run unrecorded. */
  #recordingFailed(error: Error): void {
    if (this.#services.recordingOptional) return;
    const reason = `the recording could not be written (${(error as NodeJS.ErrnoException).code ?? describeError(error)}); the session was stopped because recording is required`;
    // With the run's id, so a client waiting on that run fails it rather than taking the killed
    // program's exit as its result.
    this.#sink.sendControl({ type: 'error', code: 'UNAVAILABLE', message: reason, fatal: true, ...(this.#run ? { id: this.#run.id } : {}) });
    void this.end({ exitCode: null, reason, state: 'failed' });
  }

  /** Creates HOME, recording and row, then starts the program (shell mode). */
  async start(): Promise<void> {
    const { store, recordingsDir, driver } = this.#services;
    this.#home = createSessionHome(this.id);
    const env = sessionEnvironment({
      home: this.#home.dir,
      sessionId: this.id,
      user: this.identity.user,
      connection: this.connection.name,
      extra: this.connection.env,
    });
    this.#context = { id: this.id, identity: this.identity, connection: this.connection, home: this.#home.dir, env };
    const recording = path.join(recordingsDir, `${this.id}.cast`);
    try {
      this.#recorder = this.#openRecorder(recording, env);
    } catch (error) {
      if (this.#services.recordingOptional) {
        this.#recorder = undefined;
      } else {
        // Recording is part of the promise: no recording, no session (fail closed).
        const reason = `cannot record the session (${(error as NodeJS.ErrnoException).code ?? describeError(error)}): sessions are refused until recordings can be written`;
        await this.end({ exitCode: null, reason, state: 'failed' });
        throw new GatewayError('UNAVAILABLE', reason, { cause: error });
      }
    }
    store.insertSession({
      id: this.id,
      user: this.identity.user,
      groups: this.identity.groups,
      actor: this.identity.actor,
      connection: this.connection.name,
      mode: this.mode,
      recording,
      cols: this.#cols,
      rows: this.#rows,
    });
    this.#filter = this.#services.createOutputFilter?.(this);
    this.#filter?.setEmitter?.(
      (stream, chunk) => {
        if (!this.#ended) this.#deliver(stream, chunk);
      },
      (error) => this.#failClosed(error),
    );
    try {
      await driver.prepare(this.#context);
      if (this.mode === 'shell') {
        const program = new PtyProgram(driver.shellSpec(this.#context), { cols: this.#cols, rows: this.#rows });
        this.#gate = this.#services.createInputGate?.(this);
        this.#attachProgram(program, (exit) => void this.end({ exitCode: exit.exitCode, reason: exit.signal ? `killed by ${exit.signal}` : undefined }));
      }
    } catch (error) {
      await this.end({ exitCode: null, reason: describeError(error), state: 'failed' });
      throw error;
    }
  }

  #attachProgram(program: Program, onExit: (exit: ProgramExit) => void): void {
    this.#program = program;
    program.onOutput((stream, chunk) => this.#emitOutput(stream, chunk));
    program.onExit((exit) => {
      this.#flushOutput();
      if (this.#program === program) this.#program = undefined;
      this.#relievePressure(true);
      onExit(exit);
    });
  }

  #emitOutput(stream: 1 | 2, chunk: Buffer): void {
    if (this.#outputStopped) return;
    let visible: Buffer;
    try {
      visible = this.#filter ? this.#filter.push(stream, chunk) : chunk;
    } catch (error) {
      // Fail closed: nothing of this chunk leaves the gateway.
      this.#failClosed(error);
      return;
    }
    this.#deliver(stream, visible);
  }

  #deliver(stream: 1 | 2, visible: Buffer): void {
    if (visible.length === 0) return;
    // The client first: an echo's way back is the latency users feel; the rest can follow.
    this.#sink.sendData(stream, visible);
    this.#recorder?.output(visible);
    this.#gate?.observeOutput?.(visible);
    this.emit('output', stream, visible);
    this.#applyPressure();
  }

  #flushOutput(): void {
    if (!this.#filter || this.#outputStopped) return;
    for (const stream of [1, 2] as const) {
      if (this.#outputStopped) return;
      try {
        const rest = this.#filter.flush(stream);
        if (rest.length > 0) {
          this.#recorder?.output(rest);
          this.#sink.sendData(stream, rest);
          this.emit('output', stream, rest);
        }
      } catch (error) {
        this.#failClosed(error);
      }
    }
  }

  #failClosed(error: unknown): void {
    if (this.#outputStopped) return;
    this.#outputStopped = true;
    this.#sink.sendControl({ type: 'error', code: 'INTERNAL', message: `output stopped: the masker failed (${describeError(error)})`, fatal: true, ...(this.#run ? { id: this.#run.id } : {}) });
    void this.end({ exitCode: null, reason: 'masker failure', state: 'failed' });
  }

  #applyPressure(): void {
    if (this.#pausedForPressure) return;
    const highWater = this.#services.outputHighWaterBytes ?? Limits.outputHighWaterBytes;
    const pressed =
      this.#sink.pendingBytes > highWater ||
      (this.#recorder?.backlogBytes ?? 0) > Limits.recordingHighWaterBytes ||
      (this.#gate?.backlogBytes ?? 0) > Limits.screenHighWaterBytes;
    if (pressed) {
      this.#pausedForPressure = true;
      this.#program?.pause();
      this.#waitForBacklogs();
    }
  }

  /**
   * The recorder and the gate's screen model drain on their own schedules: resume on their drain,
   * not a poll (the client's drain calls #relievePressure itself).
   */
  #waitForBacklogs(): void {
    const check = (): void => {
      if (!this.#pausedForPressure || this.#ended) return;
      if ((this.#recorder?.backlogBytes ?? 0) > Limits.recordingLowWaterBytes) this.#recorder!.onceDrained(check);
      else if ((this.#gate?.backlogBytes ?? 0) > Limits.screenLowWaterBytes) this.#gate!.onceBacklogBelow!(Limits.screenLowWaterBytes, check);
      else this.#relievePressure();
    };
    check();
  }

  #relievePressure(force = false): void {
    if (!this.#pausedForPressure) return;
    const lowWater = Limits.outputLowWaterBytes;
    const drained =
      this.#sink.pendingBytes <= lowWater &&
      (this.#recorder?.backlogBytes ?? 0) <= Limits.recordingLowWaterBytes &&
      (this.#gate?.backlogBytes ?? 0) <= Limits.screenLowWaterBytes;
    if (!force && !drained) return;
    this.#pausedForPressure = false;
    this.#program?.resume();
  }

  /** Handles one validated client message (other than `open`). */
  handle(message: ClientMessage): void {
    if (this.#ended) throw new GatewayError('SESSION_STATE', 'the session has ended');
    switch (message.type) {
      case 'resize':
        this.resize(message.cols, message.rows);
        return;
      case 'signal':
        this.#program?.signal(message.signal);
        return;
      case 'eof':
        if (!this.#program && this.#earlyStdin) this.#earlyStdin.eof = true;
        else this.#program?.endInput();
        return;
      case 'close':
        void this.end({ exitCode: null, reason: 'closed by client' });
        return;
      case 'run':
        this.#enqueueRun(message);
        return;
      case 'cancel':
        this.#cancelRun(message.id);
        return;
      case 'open':
      case 'attach':
      case 'ping':
        throw new TypeError(`session cannot handle ${message.type}`);
    }
  }

  input(data: Buffer): void {
    if (this.#ended) return;
    const program = this.#program;
    if (!program) {
      const early = this.#earlyStdin;
      if (!early) return;
      // Bounded: a run held for approval must not make the gateway buffer without end.
      if (early.bytes + data.length > EARLY_STDIN_LIMIT_BYTES) {
        this.#sink.sendControl({ type: 'error', code: 'FRAME_TOO_LARGE', message: `more than ${EARLY_STDIN_LIMIT_BYTES} bytes of stdin arrived before the command started; the rest was dropped`, fatal: false });
        return;
      }
      early.bytes += data.length;
      early.chunks.push(Buffer.from(data));
      return;
    }
    if (this.connection.recordInput) this.#recorder?.input(data);
    this.#filter?.noteInput?.(data);
    if (this.#gate) this.#gate.input(data, (allowed) => program.write(allowed));
    else program.write(data);
  }

  resize(cols: number, rows: number): void {
    this.#cols = Math.min(cols, Limits.maxCols);
    this.#rows = Math.min(rows, Limits.maxRows);
    this.#program?.resize(this.#cols, this.#rows);
    this.#recorder?.resize(this.#cols, this.#rows);
    this.emit('resize', this.#cols, this.#rows);
  }

  #enqueueRun(message: Extract<ClientMessage, { type: 'run' }>): void {
    if (this.mode === 'shell') {
      throw new GatewayError('SESSION_STATE', 'this is a terminal session: type commands as input instead of sending run');
    }
    // A client may send stdin right after `run` (even in the same read); keep it until the program exists.
    if (message.stdin) this.#earlyStdin = { chunks: [], bytes: 0, eof: false };
    const cancel = new AbortController();
    this.#pendingRuns.set(message.id, cancel);
    // Runs execute in order, one at a time: their output can never interleave.
    this.#runQueue = this.#runQueue
      .then(() => this.#executeRun(message, cancel.signal))
      .catch(() => {})
      .finally(() => this.#pendingRuns.delete(message.id));
  }

  /** Cancels a run: queued or held ones never start; a running one gets SIGTERM (then SIGKILL). */
  #cancelRun(id: string): void {
    const cancel = this.#pendingRuns.get(id);
    if (!cancel) throw new GatewayError('SESSION_STATE', `no pending run "${id}"`);
    cancel.abort();
    if (this.#run?.id === id) this.#run.program.terminate(Limits.shutdownGraceMs);
  }

  #reportCancelled(id: string, commandId: number, text: string): void {
    this.#earlyStdin = undefined;
    this.#services.store.finishCommand(commandId, 130);
    this.#recorder?.marker(commandMarker(text, 'cancelled'));
    this.#sink.sendControl({ type: 'run.exit', id, exitCode: 130 });
  }

  async #executeRun(message: Extract<ClientMessage, { type: 'run' }>, cancelled: AbortSignal): Promise<void> {
    if (this.#ended || !this.#context) return;
    const { driver, store, authorizeRun } = this.#services;
    const described = driver.describe(message.command);
    const text = this.#services.maskText ? this.#services.maskText(described) : described;
    const commandId = store.insertCommand({ sessionId: this.id, text });
    this.emit('command', { commandId, runId: message.id, text, phase: 'received' } satisfies CommandEvent);
    let spec;
    try {
      spec = driver.runSpec(this.#context, message.command);
    } catch (error) {
      const reason = describeError(error);
      store.updateCommand(commandId, { decision: 'deny', rule: 'command refused', ended_at: new Date().toISOString() });
      this.emit('command', { commandId, runId: message.id, text, phase: 'decided', decision: 'deny', rule: 'command refused', reason } satisfies CommandEvent);
      this.#recorder?.marker(commandMarker(text, `denied: ${reason}`));
      this.#earlyStdin = undefined;
      this.#sink.sendControl({ type: 'denied', id: message.id, reason });
      this.#sink.sendControl({ type: 'run.exit', id: message.id, exitCode: 77 });
      return;
    }
    if (cancelled.aborted) return this.#reportCancelled(message.id, commandId, text);
    const decision = authorizeRun ? await authorizeRun(this, { id: message.id, text, command: message.command, signal: cancelled }) : { action: 'allow' as const };
    // A command that ran because an approver released it is recorded as `review`, as the
    // client's result and the audit call it; `allow` means policy let it run by itself.
    const recorded = decision.action === 'allow' && decision.approvalId ? 'review' : decision.action;
    store.updateCommand(commandId, {
      decision: recorded,
      rule: decision.rule ?? null,
      approver: decision.approver ?? null,
      approval_id: decision.approvalId ?? null,
    });
    this.emit('command', { commandId, runId: message.id, text, phase: 'decided', decision: recorded, rule: decision.rule, reason: decision.reason, approver: decision.approver, approvalId: decision.approvalId } satisfies CommandEvent);
    if (this.#ended) return;
    if (decision.action === 'deny') {
      store.finishCommand(commandId, 77);
      this.#earlyStdin = undefined;
      this.#recorder?.marker(commandMarker(text, `denied: ${decision.reason ?? decision.rule ?? 'by policy'}`));
      this.#sink.sendControl({ type: 'denied', id: message.id, rule: decision.rule, by: decision.approver, reason: decision.reason ?? 'denied by policy' });
      this.#sink.sendControl({ type: 'run.exit', id: message.id, exitCode: 77 });
      return;
    }
    if (cancelled.aborted) return this.#reportCancelled(message.id, commandId, text);
    this.#recorder?.marker(commandMarker(text));
    let program: Program;
    try {
      program = message.tty ? new PtyProgram(spec, { cols: this.#cols, rows: this.#rows }) : new PipeProgram(spec);
      if (program instanceof PipeProgram) await program.ready();
    } catch (error) {
      store.finishCommand(commandId, 127);
      this.#earlyStdin = undefined;
      this.#sink.sendControl({ type: 'error', code: 'SPAWN_FAILED', message: describeError(error), fatal: false, id: message.id });
      this.#sink.sendControl({ type: 'run.exit', id: message.id, exitCode: 127 });
      return;
    }
    this.#sink.sendControl({ type: 'run.started', id: message.id });
    if (!message.stdin) program.endInput();
    // Inside an interactive kubectl (exec -it, attach, run -it) the keystrokes reach a shell in the
    // pod: the terminal command gate checks them as it does in a shell session (DESIGN.md).
    const runGate = message.tty && this.mode === 'broker' ? this.#services.createInputGate?.(this) : undefined;
    await new Promise<void>((resolve) => {
      this.#run = { id: message.id, commandId, program };
      this.#gate = runGate;
      const early = this.#earlyStdin;
      this.#earlyStdin = undefined;
      this.#attachProgram(program, (exit) => {
        this.#run = undefined;
        if (runGate) {
          runGate.dispose?.();
          if (this.#gate === runGate) this.#gate = undefined;
        }
        store.finishCommand(commandId, exit.exitCode);
        this.emit('command', { commandId, runId: message.id, text, phase: 'finished', exitCode: exit.exitCode } satisfies CommandEvent);
        this.#sink.sendControl({ type: 'run.exit', id: message.id, exitCode: exit.exitCode, ...(exit.signal ? { signal: exit.signal } : {}) });
        this.emit('run.exit', message.id, exit.exitCode);
        resolve();
      });
      for (const chunk of early?.chunks ?? []) {
        if (this.connection.recordInput) this.#recorder?.input(chunk);
        program.write(chunk);
      }
      if (early?.eof) program.endInput();
    });
  }

  /**
   * A line typed in a terminal session, as the command gate decided it: a command row, the
   * command events (audit, live views) and, when it runs, a marker. The shell runs it, so its
   * exit code is not known here.
   */
  recordTypedCommand(line: string, outcome: Omit<CommandDecision, 'action'> & { action: 'allow' | 'deny' | 'review' }): void {
    if (this.#ended) return;
    const text = this.#services.maskText ? this.#services.maskText(line) : line;
    const { store } = this.#services;
    const commandId = store.insertCommand({ sessionId: this.id, text, decision: outcome.action, rule: outcome.rule });
    store.updateCommand(commandId, { approver: outcome.approver ?? null, approval_id: outcome.approvalId ?? null });
    if (outcome.action === 'deny') store.finishCommand(commandId, null);
    this.emit('command', { commandId, text, phase: 'received' } satisfies CommandEvent);
    this.emit('command', { commandId, text, phase: 'decided', decision: outcome.action, rule: outcome.rule, reason: outcome.reason, approver: outcome.approver, approvalId: outcome.approvalId } satisfies CommandEvent);
    if (outcome.action !== 'deny') this.#recorder?.marker(commandMarker(text));
  }

  /** Sends a control message to the client (policy and approvals use this for held/approved). */
  notify(message: ServerMessage): void {
    if (!this.#ended) this.#sink.sendControl(message);
  }

  /**
   * Shows a gateway notice in the terminal (policy holds and refusals): the client, the recording
   * and watchers see it like output. Not passed to the input gate (it is not the program's echo).
   */
  notice(text: string): void {
    if (this.#ended) return;
    const chunk = Buffer.from(text);
    this.#recorder?.output(chunk);
    this.#sink.sendData(1, chunk);
    this.emit('output', 1, chunk);
  }

  /** Adds a marker to the recording (commands, holds, approvals, terminations). */
  mark(label: string): void {
    const masked = this.#services.maskText ? this.#services.maskText(label) : label;
    this.#recorder?.marker(masked);
    this.emit('marker', masked);
  }

  /**
   * Ends the session once: stops the program, closes the recording, writes the row, removes HOME,
   * and tells the client. Safe to call from any path (exit, close, shutdown, failure).
   */
  end(outcome: { exitCode: number | null; reason?: string; state?: SessionEndState }): Promise<void> {
    if (this.#endPromise) return this.#endPromise;
    this.#ended = true;
    this.#endPromise = (async () => {
      this.#program?.terminate(Limits.shutdownGraceMs);
      this.#run?.program.terminate(Limits.shutdownGraceMs);
      if (outcome.reason && outcome.state !== undefined) this.#recorder?.marker(`session ${outcome.state}: ${outcome.reason}`);
      await this.#recorder?.close();
      try {
        this.#services.store.endSession(this.id, { state: outcome.state ?? 'ended', exitCode: outcome.exitCode, reason: outcome.reason });
      } catch {
        /* the store is closing with the gateway; the row is marked interrupted at next start */
      }
      this.#gate?.dispose?.();
      this.#filter?.dispose?.();
      if (this.#context) this.#services.driver.cleanup(this.#context);
      this.#home?.remove();
      const replay = this.#services.replayLink?.(this);
      this.#sink.sendControl({ type: 'exit', exitCode: outcome.exitCode, ...(outcome.reason ? { reason: outcome.reason } : {}), ...(replay ? { replay } : {}) });
      this.emit('end', outcome);
    })();
    return this.#endPromise;
  }
}
