/**
 * The client library must not lose output that arrives in the same TCP read as the `session`
 * message (seen in the bench under load: the prompt was emitted before the opener's `await
 * openSession()` resumed and attached its `data` listener, and `connect` sat at a blank screen).
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { Gateway } from '../../src/client/gateway.js';

/** A server frame (unmasked, FIN) as raw bytes, so several can go out in one write. */
function frame(opcode: 1 | 2, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]);
}

let server: WebSocketServer;
beforeAll(async () => {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (ws) => {
    ws.send(JSON.stringify({ type: 'hello', protocol: 1, user: 'u', groups: [] }));
    ws.once('message', () => {
      const session = Buffer.from(JSON.stringify({ type: 'session', id: 's1', connection: 'shell', mode: 'shell', connectionType: 'command' }));
      const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
      socket.write(Buffer.concat([frame(1, session), frame(2, Buffer.from('\x01prompt$ '))]));
    });
  });
});
afterAll(() => {
  for (const client of server.clients) client.terminate();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

it('delivers data that arrived with the session message to the first data listener', async () => {
  const { port } = server.address() as AddressInfo;
  const session = await new Gateway({ url: `http://127.0.0.1:${port}`, token: 't' }).openSession({ connection: 'shell', interactive: true });
  const first = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('(nothing within 2 s: the prompt was lost)'), 2000);
    session.once('data', (_stream, chunk) => (clearTimeout(timer), resolve(chunk.toString())));
  });
  expect(first).toBe('prompt$ ');
});
