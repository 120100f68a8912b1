/**
 * ByteRelay on real loopback sockets: every byte arrives unchanged and in order, a reader that
 * stops reading pauses the writer (the relay's queue stays under its limit however much the
 * writer has), and the writer's half-close reaches the reader.
 */
import { createHash } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { relayBytes } from '../../src/server/kube/byte-relay.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
});

/** A connected pair of loopback sockets: [the dialing end, the accepted end]. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const dialing = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const pair: [Socket, Socket] = [dialing, await accepted];
  sockets.push(...pair);
  return pair;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return condition();
}

describe('relayBytes', () => {
  it('carries 24 MiB unchanged to a reader that stalls, queueing at most its limit meanwhile, then passes the end on', async () => {
    const limit = 256 * 1024;
    const [writer, from] = await socketPair();
    const [to, reader] = await socketPair();
    reader.pause();
    relayBytes(from, to, limit);

    // Far more than the kernel's loopback socket buffers hold, so only the relay's pause stops it.
    const total = 24 * 1024 * 1024;
    const sent = createHash('sha256');
    let written = 0;
    let counter = 0;
    const writeMore = (): void => {
      while (written < total) {
        const chunk = Buffer.alloc(Math.min(61_417, total - written));
        for (let offset = 0; offset + 4 <= chunk.length; offset += 4) chunk.writeUInt32BE(counter++ >>> 0, offset);
        sent.update(chunk);
        written += chunk.length;
        if (!writer.write(chunk)) return void writer.once('drain', writeMore);
      }
      writer.end();
    };
    writeMore();

    let maxQueued = 0;
    const sample = setInterval(() => (maxQueued = Math.max(maxQueued, to.writableLength)), 1);
    const paused = await until(() => from.isPaused() && to.writableLength > 0, 5000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    clearInterval(sample);
    expect(paused).toBe(true);
    expect(written).toBeLessThan(total);
    // One chunk (at most 64 KiB, a socket read) may cross the limit before the pause.
    expect(maxQueued).toBeLessThanOrEqual(limit + 64 * 1024);
    expect(to.writableLength).toBeLessThanOrEqual(limit + 64 * 1024);

    const received = createHash('sha256');
    let receivedBytes = 0;
    const ended = new Promise<void>((resolve) => reader.once('end', resolve));
    reader.on('data', (chunk: Buffer) => {
      received.update(chunk);
      receivedBytes += chunk.length;
    });
    reader.resume();
    await ended;
    expect(receivedBytes).toBe(total);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
  });

  it('starts a source that was handed over paused, as an upgraded socket is', async () => {
    const [writer, from] = await socketPair();
    const [to, reader] = await socketPair();
    from.pause();
    relayBytes(from, to);
    const got = new Promise<string>((resolve) => {
      let text = '';
      reader.on('data', (chunk: Buffer) => (text += chunk.toString()));
      reader.on('end', () => resolve(text));
    });
    writer.end('frames pass untouched');
    const stalled = new Promise<string>((resolve) => setTimeout(() => resolve('(nothing within 3 s)'), 3000).unref());
    expect(await Promise.race([got, stalled])).toBe('frames pass untouched');
  });
});
