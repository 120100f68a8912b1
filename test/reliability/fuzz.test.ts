/**
 * Fuzz: thousands of malformed, truncated, oversize and random WebSocket messages, raw frames
 * and HTTP requests (bad JSON, wrong types, huge resize values, unknown ids, path traversal).
 * The gateway must stay up, answer each with an error (an error frame, a 4xx with a JSON reason,
 * or a close with a protocol close code — never silence, never a 5xx), keep a live session
 * working byte-exact meanwhile, and let no unhandled rejection or exception reach the process.
 * Deterministic: the seed is in the test name (HOOP_FUZZ_SEED to change it).
 */
import { spawnSync } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway as GatewayClient } from '../../src/client/gateway.js';
import { parseConfig } from '../../src/config/load.js';
import { mintToken } from '../../src/server/auth/mint.js';
import { Gateway } from '../../src/server/gateway.js';
import type { Logger } from '../../src/server/log.js';
import { connectRaw, openRaw, type RawClient } from './raw-client.js';

const SEED = Number(process.env.HOOP_FUZZ_SEED ?? 20261128);
const STRESS = process.env.HOOP_STRESS === '1';
const WS_MESSAGES = STRESS ? 20_000 : 2500;
const RAW_FRAMES = STRESS ? 1500 : 300;
const HTTP_REQUESTS = STRESS ? 5000 : 800;

/** mulberry32: small, seedable, good enough to pick cases. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const int = (max: number): number => Math.floor(random() * max);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
const randomText = (length: number): string => Array.from({ length }, () => String.fromCharCode(32 + int(95))).join('');
const randomBytes = (length: number): Buffer => Buffer.from(Array.from({ length }, () => int(256)));

/** One HTTP/1.1 request on its own connection, bytes as given; the answer as the server wrote it. */
function rawHttp(port: number, method: string, target: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string } | { closed: string }> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(raw);
      if (!match) return resolve({ closed: raw.length ? `not an HTTP answer: ${raw.slice(0, 60)}` : 'closed without an answer' });
      resolve({ status: Number(match[1]), text: raw.slice(raw.indexOf('\r\n\r\n') + 4) });
    });
    const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (body !== undefined) socket.write(body, () => undefined);
  });
}

/** A fuzz case: what to send and whether an error answer is required. */
type Case = { data: string | Buffer; binary?: boolean; mustError: boolean; label: string };

const VALID = [
  { type: 'open', connection: 'shell', interactive: true, cols: 80, rows: 24 },
  { type: 'run', id: 'r1', command: 'echo hi', tty: false, stdin: false },
  { type: 'resize', cols: 120, rows: 40 },
  { type: 'signal', signal: 'SIGINT' },
  { type: 'eof' },
  { type: 'ping', id: 'x' },
];

const INVALID_VALUES: unknown[] = [null, true, -1, 0, 1.5, 1e9, -1e9, 2 ** 53, 'x', '', [], {}, [1, 2], { a: 1 }, '../../etc/passwd', 'A'.repeat(70_000)];

function wsCase(): Case {
  switch (int(12)) {
    case 0:
      return { data: randomText(1 + int(200)), mustError: true, label: 'random text' };
    case 1: {
      const text = JSON.stringify(pick(VALID));
      return { data: text.slice(0, 1 + int(text.length - 2)), mustError: true, label: 'truncated JSON' };
    }
    case 2:
      return { data: JSON.stringify(pick([1, 'open', null, [], [{ type: 'open' }], true])), mustError: true, label: 'JSON that is not an object' };
    case 3:
      return { data: JSON.stringify({ type: pick(['nope', 'OPEN', '', 'constructor', '__proto__', 'toString', 7, null, ['open']]) }), mustError: true, label: 'unknown type' };
    case 4: {
      const message: Record<string, unknown> = { ...pick(VALID.filter((m) => m.type !== 'eof' && m.type !== 'ping')) };
      const keys = Object.keys(message).filter((key) => key !== 'type');
      message[pick(keys)] = pick(INVALID_VALUES);
      return { data: JSON.stringify(message), mustError: false, label: 'wrong field type' };
    }
    case 5:
      return { data: JSON.stringify({ type: 'resize', cols: pick([0, -5, 1e9, 100_001, 1.5, '80', null]), rows: pick([0, 1e12, -1, 24.5, '24']) }), mustError: true, label: 'bad resize' };
    case 6:
      return { data: JSON.stringify({ ...pick(VALID), [pick(['extra', '__proto__', 'constructor', 'sessionId'])]: pick(INVALID_VALUES) }), mustError: true, label: 'unknown field' };
    case 7:
      return { data: `${'['.repeat(1000 + int(50_000))}`, mustError: true, label: 'deep nesting' };
    case 8: {
      const text = JSON.stringify(pick(VALID));
      const chars = [...text];
      for (let i = 0; i < 1 + int(4); i++) chars[int(chars.length)] = String.fromCharCode(int(128));
      return { data: chars.join(''), mustError: false, label: 'mutated JSON' };
    }
    case 9:
      return { data: Buffer.concat([Buffer.from([pick([1, 2, 3, 255])]), randomBytes(int(100))]), binary: true, mustError: true, label: 'binary frame on an output stream' };
    case 10:
      return { data: Buffer.alloc(0), binary: true, mustError: true, label: 'empty binary frame' };
    default:
      return { data: JSON.stringify({ type: 'run', id: pick(['', 'A'.repeat(200), '../../x', '\u0000']), command: pick([[], '', 5, ['a'.repeat(70_000)]]) }), mustError: true, label: 'bad run' };
  }
}

interface Fuzzed {
  errors: number;
  closes: number;
  sent: number;
}

/** Sends one case then a ping; resolves with the answers that came before the pong (or the close). */
async function exchange(client: RawClient, fuzz: Case, n: number): Promise<{ answers: string[]; closed?: number }> {
  const before = client.messages.length;
  if (Buffer.isBuffer(fuzz.data)) client.ws.send(fuzz.data, { binary: fuzz.binary ?? true });
  else client.ws.send(fuzz.data);
  client.send({ type: 'ping', id: `p${n}` });
  try {
    await client.waitFor((m) => m.type === 'pong' && m.id === `p${n}`, 5_000);
  } catch {
    const closed = await Promise.race([client.closed, new Promise<undefined>((resolve) => setTimeout(resolve, 3000, undefined))]);
    if (!closed) throw new Error(`neither an answer nor a close after a fuzz message: ${String(fuzz.data).slice(0, 120)}`);
    return { answers: client.messages.slice(before).map((m) => m.type), closed: closed.code };
  }
  return { answers: client.messages.slice(before).map((m) => m.type) };
}

describe(`fuzz (seed ${SEED})`, () => {
  let gateway: Gateway;
  let dataDir: string;
  let token: string;
  const problems: string[] = [];
  const onUnhandled = (error: unknown): void => void problems.push(`unhandled: ${(error as Error)?.stack ?? String(error)}`);
  const logger: Logger = {
    log: (level, event, fields) => {
      if (level === 'error') problems.push(`error log ${event} ${JSON.stringify(fields)}`);
    },
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    dataDir = mkdtempSync(path.join(tmpdir(), 'hoop-fuzz-'));
    gateway = new Gateway(parseConfig({ connections: [{ name: 'shell', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'] }], listen: '127.0.0.1:0', dataDir }, 'fuzz'), { logger });
    await gateway.start();
    token = await mintToken(gateway.signingKey, { user: 'fuzzer', groups: ['dev'], ttlSeconds: 600 });
  });
  afterAll(async () => {
    await gateway?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });

  it('survives malformed input on every surface, answers each, and a live session stays byte-exact', { timeout: STRESS ? 600_000 : 90_000 }, async () => {
    // The bystander: a live session of another user doing real work throughout.
    const bystander = await new GatewayClient({ url: gateway.url, token: await mintToken(gateway.signingKey, { user: 'bystander', groups: ['dev'], ttlSeconds: 600 }) }).openSession({ connection: 'shell' });
    const expected = spawnSync('seq', ['1', '30000'], { encoding: 'utf8' }).stdout;
    const checkBystander = async (): Promise<void> => {
      const result = await bystander.run('seq 1 30000', { collect: true }).result;
      expect(result.exitCode).toBe(0);
      expect(result.output).toBe(expected);
    };
    const bystanderRuns: Promise<void>[] = [checkBystander()];

    // 1. WebSocket messages, on sockets with and without an open session.
    const stats: Fuzzed = { errors: 0, closes: 0, sent: 0 };
    let client: RawClient = await connectRaw(gateway.url, token);
    for (let n = 0; n < WS_MESSAGES; n++) {
      if (n % 500 === 250) {
        client.ws.close();
        client = await openRaw(gateway.url, token, { connection: 'shell', interactive: true });
      }
      if (n % 500 === 0 && n > 0) bystanderRuns.push(checkBystander());
      const fuzz = wsCase();
      const { answers, closed } = await exchange(client, fuzz, n);
      stats.sent++;
      if (problems.length > 0) throw new Error(`after ${fuzz.label} (${String(fuzz.data).slice(0, 80)}): ${problems[0]}`);
      if (closed !== undefined) {
        // Closing is an answer only with a close code that says why (never an abnormal drop).
        expect([1000, 1002, 1007, 1008, 1009, 1011], `close code after ${fuzz.label}`).toContain(closed);
        stats.closes++;
        client = await connectRaw(gateway.url, token);
        continue;
      }
      if (answers.includes('error')) stats.errors++;
      else if (fuzz.mustError) throw new Error(`no error answer to ${fuzz.label}: ${String(fuzz.data).slice(0, 120)}`);
    }
    // Invalid UTF-8 in a text frame, and frames over the size limits.
    for (const [data, code] of [
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 1007],
      [Buffer.alloc(gateway.maxFrameBytes * 4 + 10, 0x61), 1009],
    ] as const) {
      const socket = await connectRaw(gateway.url, token);
      socket.ws.send(data, { binary: false });
      expect((await socket.closed).code).toBe(code);
    }
    const big = await connectRaw(gateway.url, token);
    big.ws.send('x'.repeat(gateway.maxFrameBytes + 1));
    expect(await big.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'FRAME_TOO_LARGE' });
    big.ws.close();
    client.ws.close();

    // 2. Raw frames on an upgraded TCP connection: unmasked, reserved opcodes, lying lengths, truncation.
    const rawFrame = (): Buffer => {
      switch (int(6)) {
        case 0:
          return randomBytes(1 + int(64));
        case 1:
          return Buffer.concat([Buffer.from([0x81, 0x05]), Buffer.from('hello')]); // unmasked text
        case 2:
          return Buffer.from([0x80 | pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), 0x80, 0, 0, 0, 0]); // reserved opcode
        case 3:
          return Buffer.from([0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]); // 2^64-1 length
        case 4:
          return Buffer.from([0x89, 0xfe, 0x01, 0x00, 0, 0, 0, 0]); // ping with 256-byte payload
        default:
          return Buffer.from([0x81, 0x85, 1, 2, 3]); // truncated mid-mask, then the socket ends
      }
    };
    const { port } = new URL(gateway.url);
    for (let n = 0; n < RAW_FRAMES; n++) {
      await new Promise<void>((resolve, reject) => {
        const socket = tcpConnect(Number(port), '127.0.0.1');
        let response = '';
        let upgraded = false;
        const timer = setTimeout(() => reject(new Error(`raw frame ${n}: the gateway neither answered nor closed`)), 10_000);
        socket.on('error', () => {});
        socket.on('data', (chunk) => {
          response += chunk.toString('latin1');
          if (!upgraded && response.includes('\r\n\r\n')) {
            upgraded = true;
            expect(response).toMatch(/^HTTP\/1\.1 101/);
            const frame = rawFrame();
            socket.write(frame);
            if (frame.length === 5) socket.end();
          }
        });
        socket.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.write(
          `GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`,
        );
        // Whatever the frame, the gateway must end this connection itself (or on our end()).
        setTimeout(() => socket.end(), 300).unref();
      });
    }

    // 3. HTTP: methods, traversal and unknown ids, bad auth, bad bodies.
    const paths = [
      '/v1/sessions/../../etc/passwd', '/v1/sessions/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/v1/sessions/..%2F..%2Fhoop.db', '/v1/sessions/%00',
      '/v1/sessions/00000000-0000-0000-0000-000000000000', `/v1/sessions/${'a'.repeat(3000)}`, '/replay/../../etc/passwd', '/v1/../healthz',
      '//', '/v1/ws', '/v1/whoami', '/v1/connections', '/v1/sessions', '/v1/sessions?all=%ZZ', '/v1/sessions/%E0%A4%A', '/%', '/v1/approvals/../../x',
    ];
    const auths = [undefined, `Bearer ${token}`, 'Bearer', 'Bearer garbage', 'Basic Zm9vOmJhcg==', `Bearer ${token}x`, `Bearer eyJhbGciOiJub25lIn0.${Buffer.from('{"sub":"root"}').toString('base64url')}.`, `Bearer ${'A'.repeat(8000)}`];
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'FOO'];
    const bodies = [undefined, '{', '{"a":', 'null', '[]', '"x"', '{"__proto__":{"admin":true}}', 'x'.repeat(2 * 1024 * 1024)];
    for (let n = 0; n < HTTP_REQUESTS; n++) {
      if (n % 200 === 100) bystanderRuns.push(checkBystander());
      const method = pick(methods);
      const target = pick(paths) + (random() < 0.2 ? `?${randomText(10).replace(/[#\s]/g, '')}` : '');
      const auth = pick(auths);
      const body = method === 'GET' || method === 'HEAD' ? undefined : pick(bodies);
      const answer = await rawHttp(Number(port), method, target, { ...(auth ? { authorization: auth } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, body);
      if ('closed' in answer) {
        // Only an oversize body may be cut off (after the 413 the gateway stops reading).
        expect(body?.length ?? 0, `${method} ${target.slice(0, 80)}: connection dropped (${answer.closed})`).toBeGreaterThan(1024 * 1024);
        continue;
      }
      expect(answer.status, `${method} ${target.slice(0, 80)} (auth ${String(auth).slice(0, 20)})`).toBeLessThan(500);
      if (answer.status >= 400 && method !== 'HEAD') expect(JSON.parse(answer.text)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
      if (target.includes('passwd') || target.includes('hoop.db')) expect(answer.text).not.toMatch(/root:|SQLite format/);
    }
    // Malformed HTTP itself: the parser's errors are answered too, not dropped.
    const upgrade = (target: string): string => `GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    for (const raw of [upgrade('//'), upgrade('//evil/v1/ws'), upgrade('/v1/ws/../ws'), upgrade('http://x/v1/ws'), 'GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', 'GET /v1/whoami HTTP/1.1\r\nBad Header\r\n\r\n', `GET /${'a'.repeat(100_000)} HTTP/1.1\r\n\r\n`, 'GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', randomBytes(300).toString('latin1')]) {
      const text = await new Promise<string>((resolve) => {
        const socket = tcpConnect(Number(port), '127.0.0.1');
        let received = '';
        socket.on('data', (chunk) => (received += chunk.toString('latin1')));
        socket.on('error', () => {});
        socket.on('close', () => resolve(received));
        socket.end(raw, 'latin1');
      });
      expect(text, `answer to malformed request ${JSON.stringify(raw.slice(0, 40))}`).toMatch(/^HTTP\/1\.1 4\d\d /);
    }

    await Promise.all(bystanderRuns);
    await checkBystander();
    await bystander.close();
    const health = await fetch(`${gateway.url}/healthz`);
    expect(health.status).toBe(200);
    expect(stats.errors + stats.closes).toBeGreaterThan(WS_MESSAGES * 0.8);
    expect(problems).toEqual([]);
  });
});
