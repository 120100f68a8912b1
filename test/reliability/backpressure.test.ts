/**
 * Backpressure: a client that reads nothing while the program writes a lot. The gateway (a child
 * process, so its RSS is its own) must pause the program, stay within a memory ceiling, and once
 * the client reads, deliver every byte in order (byte count and SHA-256 of the whole stream).
 * Sizes: 64 MB in `npm test`, 500 MB in `npm run test:stress` (HOOP_STRESS=1).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../../bench/lib/gateway-process.js';
import { openRaw, pollUntil, sessionPids } from './raw-client.js';

const STRESS = process.env.HOOP_STRESS === '1';
const TARGET_BYTES = (STRESS ? 500 : 64) * 1024 * 1024;
/** What the gateway may grow by while holding back output nobody reads. */
const RSS_CEILING_GROWTH = 48 * 1024 * 1024;

/** Smallest N for which `seq 1 N` prints at least `bytes` bytes, and its exact length. */
function seqFor(bytes: number): { n: number; length: number } {
  let length = 0;
  let n = 0;
  for (let digits = 1; ; digits++) {
    const count = 9 * 10 ** (digits - 1);
    if (length + count * (digits + 1) >= bytes) {
      const more = Math.ceil((bytes - length) / (digits + 1));
      return { n: n + more, length: length + more * (digits + 1) };
    }
    length += count * (digits + 1);
    n += count;
  }
}

/** SHA-256 of `seq 1 N`, optionally as a terminal shows it (\n → \r\n). */
function expectedDigest(n: number, crlf: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const child = spawn('seq', ['1', String(n)], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', (chunk: Buffer) => hash.update(crlf ? Buffer.from(chunk.toString('latin1').replaceAll('\n', '\r\n'), 'latin1') : chunk));
    child.once('error', reject);
    child.once('close', () => resolve(hash.digest('hex')));
  });
}

function bytesWritten(pid: number): number {
  let io: string;
  try {
    io = readFileSync(`/proc/${pid}/io`, 'utf8');
  } catch {
    throw new Error('the program ran to its end while nobody read its output: it was never paused');
  }
  return Number(/^wchar:\s+(\d+)/m.exec(io)![1]);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe(`backpressure: ${TARGET_BYTES / 1024 / 1024} MB to a client that does not read`, () => {
  const { n, length } = seqFor(TARGET_BYTES);
  let gateway: GatewayProcess;
  let token: string;
  let baseline: number;

  beforeAll(async () => {
    gateway = await startGatewayProcess({
      config: {
        connections: [
          { name: 'shell', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'] },
          { name: 'seq', type: 'command', command: ['/usr/bin/seq', '1', String(n)] },
        ],
      },
    });
    token = await gateway.token();
    // Baseline after one full session of each kind, so lazily loaded code and the threads that
    // start on first use (recording, the terminal gate's screen model) are already in.
    const warm = await openRaw(gateway.url, token, { connection: 'shell' });
    warm.send({ type: 'run', id: 'w', command: 'echo warm' });
    await warm.waitFor((m) => m.type === 'run.exit');
    warm.ws.close();
    await warm.closed;
    const warmTerminal = await openRaw(gateway.url, token, { connection: 'shell', interactive: true });
    warmTerminal.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('seq 1 200000; exit\r')]));
    await warmTerminal.waitFor((m) => m.type === 'exit', 20_000);
    warmTerminal.ws.close();
    await warmTerminal.closed;
    await sleep(300);
    baseline = gateway.rss();
  });
  afterAll(() => gateway?.stop());

  for (const shape of ['one-shot run on pipes', 'terminal session in a pty'] as const) {
    it(`${shape}: pauses the program, bounds gateway memory, then delivers every byte`, { timeout: STRESS ? 300_000 : 60_000 }, async () => {
      const pty = shape === 'terminal session in a pty';
      const client = pty ? await openRaw(gateway.url, token, { connection: 'seq', interactive: true }) : await openRaw(gateway.url, token, { connection: 'shell' });
      const hash = createHash('sha256');
      let received = 0;
      client.onData((stream, payload) => {
        expect(stream).toBe(1);
        received += payload.length;
        hash.update(payload);
      });
      client.ws.pause();
      if (!pty) client.send({ type: 'run', id: 'big', command: `seq 1 ${n}` });

      // The program must be running and then stop making progress: blocked on a full pipe/pty.
      const seqPid = await pollUntil(async () => {
        for (const pid of await sessionPids(client.sessionId)) {
          if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'seq') return pid;
        }
        return undefined;
      }, 10_000, 'the seq process (gone already: it wrote everything without being paused?)');
      let peak = 0;
      const sample = (): void => {
        peak = Math.max(peak, gateway.rss());
      };
      let previous = -1;
      let written = 0;
      // Stable for 600 ms in a row = paused (progress is polled, not assumed).
      await pollUntil(async () => {
        sample();
        written = bytesWritten(seqPid);
        if (written >= length) throw new Error('the program wrote all its output while nobody read it: it was never paused');
        const stable = written === previous;
        previous = written;
        await sleep(300);
        sample();
        return stable && bytesWritten(seqPid) === written ? true : undefined;
      }, 20_000, 'the program to be paused');
      for (let i = 0; i < 5; i++) {
        sample();
        await sleep(100);
      }
      expect(written, 'bytes the program could write before being paused').toBeLessThan(Math.min(length / 2, 40 * 1024 * 1024));
      expect(peak - baseline, `gateway RSS growth while holding output (baseline ${(baseline / 1048576).toFixed(0)} MB)`).toBeLessThan(RSS_CEILING_GROWTH);

      // Now read: everything arrives, in order, nothing dropped or repeated.
      const sampler = setInterval(sample, 50);
      client.ws.resume();
      if (pty) await client.waitFor((m) => m.type === 'exit', STRESS ? 280_000 : 50_000);
      else {
        const exit = await client.waitFor((m) => m.type === 'run.exit', STRESS ? 280_000 : 50_000);
        expect(exit.exitCode).toBe(0);
        client.send({ type: 'close' });
      }
      await client.closed;
      clearInterval(sampler);
      const expectedLength = pty ? length + n : length;
      expect(received).toBe(expectedLength);
      expect(hash.digest('hex')).toBe(await expectedDigest(n, pty));
      expect(peak - baseline, 'gateway RSS growth over the whole transfer').toBeLessThan(RSS_CEILING_GROWTH);
    });
  }
});
