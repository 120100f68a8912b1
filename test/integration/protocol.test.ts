/** Protocol v1 with a raw WebSocket: malformed input is answered precisely and harms no one. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawClient, type RawClient } from '../helpers/raw-client.js';

let test: TestGateway;
beforeAll(async () => {
  test = await startGateway({ limits: { maxFrameBytes: 64 * 1024 } });
});
afterAll(() => test.stop());

async function openRuns(): Promise<RawClient> {
  const client = await rawClient(test.url, await test.token());
  client.send({ type: 'open', connection: 'shell' });
  await client.next((m) => m.type === 'session');
  return client;
}

const errorOf = (client: RawClient) => client.next((m) => m.type === 'error');

describe('protocol v1', () => {
  it('runs commands in order, each framed by run.started and run.exit', async () => {
    const client = await openRuns();
    client.send({ type: 'run', id: 'a', command: 'echo first' });
    client.send({ type: 'run', id: 'b', command: 'echo second; exit 7' });
    expect(await client.next((m) => m.type === 'run.exit' && m.id === 'a')).toMatchObject({ exitCode: 0 });
    expect(await client.next((m) => m.type === 'run.exit' && m.id === 'b')).toMatchObject({ exitCode: 7 });
    expect(client.text()).toBe('first\nsecond\n');
    client.send({ type: 'close' });
    expect(await client.next((m) => m.type === 'exit')).toMatchObject({ exitCode: null, reason: 'closed by client' });
  });

  it.each([
    ['not JSON', '{nope', 'not valid JSON'],
    ['not an object', '[1,2]', 'a message must be a JSON object'],
    ['no type', '{"connection":"shell"}', 'missing "type"'],
    ['an unknown type', '{"type":"launch-missiles"}', 'unknown message type "launch-missiles"'],
    ['a wrong field type', '{"type":"resize","cols":"wide","rows":10}', 'cols: Expected number, received string'],
    ['a huge resize', '{"type":"resize","cols":99999999,"rows":10}', 'cols: Number must be less than or equal to 100000'],
    ['an unknown field', '{"type":"eof","extra":1}', 'unknown field "extra"'],
  ])('answers %s with an error naming the problem and keeps the socket', async (_name, frame, problem) => {
    const client = await openRuns();
    client.sendRaw(frame);
    expect(await errorOf(client)).toEqual({ type: 'error', code: 'BAD_MESSAGE', message: problem, fatal: false });
    client.send({ type: 'run', id: 'after', command: 'echo ok' });
    await client.next((m) => m.type === 'run.exit');
    expect(client.text()).toBe('ok\n');
    client.ws.close();
  });

  it('drops an oversize frame with FRAME_TOO_LARGE and goes on', async () => {
    const client = await openRuns();
    client.sendRaw(Buffer.alloc(100 * 1024, 0), true);
    expect(await errorOf(client)).toMatchObject({ code: 'FRAME_TOO_LARGE', message: 'message of 102400 bytes is over the limit of 65536 bytes; it was dropped' });
    client.send({ type: 'run', id: '1', command: 'echo alive' });
    await client.next((m) => m.type === 'run.exit');
    expect(client.text()).toBe('alive\n');
    client.ws.close();
  });

  it('closes with 1009 on a frame far over the limit', async () => {
    const client = await openRuns();
    client.sendRaw(Buffer.alloc(300 * 1024, 0), true);
    expect((await client.closed).code).toBe(1009);
  });

  it('refuses input and runs before a session is open, and a second open', async () => {
    const client = await rawClient(test.url, await test.token());
    client.sendRaw(Buffer.from([0, 65]), true);
    expect(await errorOf(client)).toMatchObject({ code: 'SESSION_STATE', message: 'open a session before sending input' });
    client.send({ type: 'run', id: '1', command: 'echo x' });
    expect(await errorOf(client)).toMatchObject({ code: 'SESSION_STATE', message: 'open a session before sending run' });
    client.send({ type: 'open', connection: 'shell' });
    await client.next((m) => m.type === 'session');
    client.send({ type: 'open', connection: 'shell' });
    expect(await errorOf(client)).toMatchObject({ code: 'SESSION_STATE', message: 'this connection already has a session' });
    client.ws.close();
  });

  it('refuses binary frames for streams a client may not write', async () => {
    const client = await openRuns();
    client.sendRaw(Buffer.from([1, 65]), true);
    expect(await errorOf(client)).toMatchObject({ code: 'BAD_MESSAGE' });
    client.ws.close();
  });

  it('closes an open on an unknown connection with a fatal error', async () => {
    const client = await rawClient(test.url, await test.token());
    client.send({ type: 'open', connection: 'nope' });
    expect(await errorOf(client)).toMatchObject({ code: 'UNKNOWN_CONNECTION', fatal: true });
    expect((await client.closed).code).toBe(1008);
  });

  it('keeps another session byte-exact while one client misbehaves', async () => {
    const good = await rawClient(test.url, await test.token('bob'));
    good.send({ type: 'open', connection: 'shell', interactive: true, cols: 80, rows: 24 });
    await good.next((m) => m.type === 'session');
    const bad = await openRuns();
    for (let i = 0; i < 200; i++) {
      bad.sendRaw(i % 3 === 0 ? '{"type":' : i % 3 === 1 ? Buffer.from([7, 1, 2]) : '{"type":"resize","cols":-1,"rows":0}', i % 3 === 1);
    }
    good.sendRaw(Buffer.concat([Buffer.from([0]), Buffer.from('stty -echo; printf "%s-%s\\n" exact output\r')]), true);
    const deadline = Date.now() + 5000;
    while (!good.text().includes('exact-output') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(good.text()).toContain('exact-output\r\n');
    good.ws.close();
    bad.ws.close();
  });
});

describe('HTTP API input', () => {
  it('answers a malformed escape in a path with 400, not a server error', async () => {
    const response = await fetch(`${test.url}/v1/sessions/%E0%A4%A`, { headers: { authorization: `Bearer ${await test.token()}` } });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'BAD_REQUEST', message: 'malformed escape in /v1/sessions/%E0%A4%A' } });
  });
});
