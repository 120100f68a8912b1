/**
 * `hoop-shell replay SESSION_ID|FILE.cast [--speed N] [--idle-limit SECONDS]`: plays a recording
 * in this terminal (downloaded from the gateway for an id). Raw mode only while playing; the
 * terminal is restored on every way out (end, q, Ctrl-C, SIGTERM, crash).
 */
import { existsSync } from 'node:fs';
import { ClientError } from '../client/errors.js';
import { UsageError } from '../cli/boundary.js';
import { CastFormatError, parseCast, readCast, type Cast } from '../recorder/asciicast-reader.js';
import { TerminalPlayer, type PlayOutcome } from '../recorder/terminal-player.js';
import { enterRawMode } from './connect.js';
import { gatewayUrl, resolveToken, type GlobalOptions } from './credentials.js';

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ReplayOptions {
  speed?: string;
  idleLimit?: string;
}

export function parseReplayOptions(options: ReplayOptions): { speed: number; idleLimit?: number } {
  const speed = options.speed === undefined ? 1 : Number(options.speed);
  if (!Number.isFinite(speed) || speed <= 0) throw new UsageError(`--speed must be a positive number, got "${options.speed}"`);
  const idleLimit = options.idleLimit === undefined ? undefined : Number(options.idleLimit);
  if (idleLimit !== undefined && (!Number.isFinite(idleLimit) || idleLimit <= 0)) throw new UsageError(`--idle-limit must be a positive number of seconds, got "${options.idleLimit}"`);
  return { speed, idleLimit };
}

/** GET /v1/sessions/:id/recording: the session's own user, auditors and admins. */
export async function downloadRecording(globals: GlobalOptions, id: string): Promise<string> {
  const url = gatewayUrl(globals).replace(/\/+$/, '');
  let response: Response;
  try {
    response = await fetch(`${url}/v1/sessions/${id}/recording`, { headers: { authorization: `Bearer ${resolveToken(globals)}` } });
  } catch (error) {
    const code = (error as { cause?: NodeJS.ErrnoException }).cause?.code;
    throw new ClientError('UNAVAILABLE', `cannot reach the gateway at ${url}: ${code === 'ECONNREFUSED' ? 'connection refused (is hoop-gateway serve running?)' : (code ?? (error as Error).message)}`);
  }
  const text = await response.text();
  if (!response.ok) {
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (body.error?.message) throw new ClientError(body.error.code ?? 'INTERNAL', body.error.message);
    } catch (error) {
      if (error instanceof ClientError) throw error;
    }
    throw new ClientError('INTERNAL', `gateway answered HTTP ${response.status}`);
  }
  return text;
}

async function loadCast(target: string, globals: GlobalOptions): Promise<Cast> {
  try {
    if (target.endsWith('.cast') || existsSync(target)) {
      if (!existsSync(target)) throw new UsageError(`no such recording file: ${target}`);
      return readCast(target);
    }
    if (!SESSION_ID.test(target)) throw new UsageError(`"${target}" is neither a session id nor a .cast file`);
    return parseCast(await downloadRecording(globals, target), `session ${target}`);
  } catch (error) {
    if (error instanceof CastFormatError) throw new ClientError('BAD_REQUEST', error.message);
    throw error;
  }
}

export async function replayCommand(target: string, options: ReplayOptions, globals: GlobalOptions, io: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WritableStream } = process): Promise<number> {
  const { speed, idleLimit } = parseReplayOptions(options);
  const cast = await loadCast(target, globals);
  if (cast.torn) io.stderr.write('hoop-shell: the recording ends with a torn line (the gateway stopped mid-write); playing what is complete\n');
  const interactive = Boolean(io.stdin.isTTY);
  if (interactive) io.stderr.write(`hoop-shell: replaying ${String(cast.header.title ?? target)} — space pause, ] next marker, q quit\r\n`);
  const player = new TerminalPlayer(cast, {
    speed,
    idleLimit,
    write: (text) => io.stdout.write(text),
    onMarker: (label) => io.stderr.write(`\x1b7\x1b[1;1H\x1b[7m ▶ ${label.slice(0, 200)} \x1b[0m\x1b8`),
  });
  const restore = interactive ? enterRawMode(io.stdin) : () => {};
  const onKey = (chunk: Buffer): void => {
    for (const key of chunk.toString('utf8')) {
      if (key === ' ') player.togglePause();
      else if (key === ']') player.nextMarker();
      else if (key === 'q' || key === 'Q' || key === '\x03' || key === '\x04') player.quit();
    }
  };
  const onSignal = (): void => player.quit();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.once('SIGHUP', onSignal);
  if (interactive) {
    io.stdin.on('data', onKey);
    io.stdin.resume();
  }
  let outcome: PlayOutcome;
  try {
    outcome = await player.play();
  } finally {
    io.stdin.off('data', onKey);
    if (interactive) io.stdin.pause();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onSignal);
    // Reset attributes and show the cursor: a recording may stop mid-way through either.
    io.stdout.write('\x1b[0m\x1b[?25h');
    restore();
  }
  if (interactive) io.stderr.write(`\r\nhoop-shell: replay ${outcome === 'quit' ? 'stopped' : 'finished'}\n`);
  return 0;
}
