/**
 * Wire messages of protocol v1 (docs/protocol.md), shared by the gateway and every client.
 * Control messages are JSON text frames; terminal data travels in binary frames whose first byte
 * names the stream. Everything a client sends is validated here before anything acts on it.
 */
import { z } from 'zod';
import { formatIssuePath } from '../config/load.js';
import type { ApprovalView } from './approval.js';

export const PROTOCOL_VERSION = 1;
export const WS_PATH = '/v1/ws';
export const WS_SUBPROTOCOL = 'hoop.v1';

/** First byte of a binary frame. */
export const Stream = { stdin: 0, stdout: 1, stderr: 2 } as const;
export type StreamId = (typeof Stream)[keyof typeof Stream];

const size = z.number().int().min(1).max(100_000);
const runId = z.string().min(1).max(128);

export const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGKILL', 'SIGTSTP', 'SIGCONT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('open'),
    connection: z.string().min(1).max(128),
    /** true: a terminal session (shell program in a pty, or a broker prompt). false: runs only. */
    interactive: z.boolean().default(false),
    cols: size.optional(),
    rows: size.optional(),
  }).strict(),
  z.object({
    type: z.literal('run'),
    id: runId,
    /** argv (no shell), or one command line for the connection's program. */
    command: z.union([z.array(z.string().max(65536)).min(1).max(4096), z.string().min(1).max(65536)]),
    /** Run in a pty (interactive commands); stdout and stderr then arrive merged on stdout. */
    tty: z.boolean().default(false),
    /** The client will send stdin frames followed by `eof`; otherwise stdin is closed at once. */
    stdin: z.boolean().default(false),
  }).strict(),
  z.object({
    type: z.literal('attach'),
    /** Reattach to a session whose connection dropped, within the grace period. */
    session: z.string().min(1).max(128),
  }).strict(),
  z.object({ type: z.literal('cancel'), id: runId }).strict(),
  z.object({ type: z.literal('eof') }).strict(),
  z.object({ type: z.literal('resize'), cols: size, rows: size }).strict(),
  z.object({ type: z.literal('signal'), signal: z.enum(SIGNALS) }).strict(),
  z.object({ type: z.literal('close') }).strict(),
  z.object({ type: z.literal('ping'), id: z.string().max(128).optional() }).strict(),
  /** Live pushes of gateway-wide topics (`approvals`: an `approval` message on every create/change). */
  z.object({ type: z.literal('subscribe'), topics: z.array(z.string().min(1).max(64)).min(1).max(16) }).strict(),
]);

export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type ClientMessageInput = z.input<typeof clientMessageSchema>;

export type SessionMode = 'shell' | 'broker' | 'runs';

export type ServerMessage =
  | { type: 'hello'; protocol: number; user: string; groups: string[]; actor?: string }
  | { type: 'session'; id: string; connection: string; mode: SessionMode; connectionType: string }
  | { type: 'attached'; id: string; connection: string; mode: SessionMode; connectionType: string; skippedBytes: number }
  | { type: 'run.started'; id: string }
  | { type: 'run.exit'; id: string; exitCode: number; signal?: string }
  | { type: 'held'; id: string; approval: string; rule: string; needs: string; expiresAt?: string }
  | { type: 'approved'; id: string; approval: string; by: string[] }
  | { type: 'denied'; id: string; approval?: string; rule?: string; by?: string; reason: string }
  | { type: 'exit'; exitCode: number | null; reason?: string; replay?: string }
  | { type: 'error'; code: string; message: string; fatal: boolean; id?: string }
  | { type: 'pong'; id?: string }
  | { type: 'approval'; approval: ApprovalView }
  | { type: 'subscribed'; topics: string[] };

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; problem: string };

/** Validates one text frame. The problem names the field and why, for the error frame. */
export function parseClientMessage(text: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not valid JSON' };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { ok: false, problem: 'a message must be a JSON object' };
  const result = clientMessageSchema.safeParse(json);
  if (result.success) return { ok: true, message: result.data };
  const issue = result.error.issues[0]!;
  if (issue.code === 'invalid_union_discriminator') {
    const type = (json as { type?: unknown }).type;
    return { ok: false, problem: type === undefined ? 'missing "type"' : `unknown message type ${JSON.stringify(type).slice(0, 40)}` };
  }
  if (issue.code === 'unrecognized_keys') return { ok: false, problem: `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
  return { ok: false, problem: `${formatIssuePath(issue.path) || 'message'}: ${issue.message}` };
}

export function encodeData(stream: StreamId, payload: Buffer | Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const frame = Buffer.allocUnsafe(body.length + 1);
  frame[0] = stream;
  frame.set(body, 1);
  return frame;
}

export function decodeData(frame: Buffer): { stream: number; payload: Buffer } | undefined {
  if (frame.length === 0) return undefined;
  return { stream: frame[0]!, payload: frame.subarray(1) };
}
