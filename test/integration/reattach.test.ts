/** Sessions survive a dropped connection: reattach within the grace period, nothing lost within the bound. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/client/gateway.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawClient } from '../helpers/raw-client.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

let test: TestGateway;
beforeAll(async () => {
  test = await startGateway({ sessions: { reattachGrace: '3s', reattachBufferBytes: 64 * 1024 } });
});
afterAll(() => test.stop());

const until = async (condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('reattach', () => {
  it('replays every byte produced while away when it fits the buffer', async () => {
    const token = await test.token('alice');
    const first = await rawClient(test.url, token);
    first.send({ type: 'open', connection: 'shell' });
    const opened = await first.next((m) => m.type === 'session');
    first.send({ type: 'run', id: 'seq', command: 'sleep 0.3; seq 1 5000' });
    await first.next((m) => m.type === 'run.started');
    first.ws.terminate();

    await new Promise((resolve) => setTimeout(resolve, 800));
    const second = await rawClient(test.url, token);
    second.send({ type: 'attach', session: opened.id });
    expect(await second.next((m) => m.type === 'attached')).toMatchObject({ id: opened.id, skippedBytes: 0, mode: 'runs' });
    expect(await second.next((m) => m.type === 'run.exit')).toMatchObject({ id: 'seq', exitCode: 0 });
    const expected = Array.from({ length: 5000 }, (_, i) => `${i + 1}\n`).join('');
    expect(first.text() + second.text()).toBe(expected);
    second.send({ type: 'close' });
    await second.next((m) => m.type === 'exit');
  });

  it('says how much output it could not keep, and the recording still has it all', async () => {
    const token = await test.token('alice');
    const first = await rawClient(test.url, token);
    first.send({ type: 'open', connection: 'shell' });
    const opened = await first.next((m) => m.type === 'session');
    first.send({ type: 'run', id: 'big', command: 'sleep 0.3; head -c 300000 /dev/zero | tr "\\0" x; echo END' });
    await first.next((m) => m.type === 'run.started');
    first.ws.terminate();
    await until(() => test.gateway.store.listCommands(opened.id as string)[0]?.exit_code === 0, 'the run to finish while detached');

    const second = await rawClient(test.url, token);
    second.send({ type: 'attach', session: opened.id });
    const attached = await second.next((m) => m.type === 'attached');
    await second.next((m) => m.type === 'run.exit');
    const received = first.text().length + second.text().length;
    expect(attached.skippedBytes).toBe(300004 - received);
    expect(attached.skippedBytes).toBeGreaterThan(0);
    expect(second.text().endsWith('xEND\n')).toBe(true);
    second.send({ type: 'close' });
    await second.next((m) => m.type === 'exit');
    const { readFileSync } = await import('node:fs');
    const recorded = readFileSync(test.gateway.store.getSession(opened.id as string)!.recording!, 'utf8')
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((line) => JSON.parse(line) as [number, string, string])
      .filter(([, code]) => code === 'o')
      .map(([, , data]) => data)
      .join('');
    expect(recorded.length).toBe(300004);
  });

  it('refuses to attach another user to the session, with the same answer as for no session', async () => {
    const first = await rawClient(test.url, await test.token('alice'));
    first.send({ type: 'open', connection: 'shell' });
    const opened = await first.next((m) => m.type === 'session');
    first.ws.terminate();
    const mallory = await rawClient(test.url, await test.token('mallory'));
    mallory.send({ type: 'attach', session: opened.id });
    const refusal = await mallory.next((m) => m.type === 'error');
    expect(refusal).toMatchObject({ code: 'UNKNOWN_SESSION', message: `no session ${opened.id} to reattach (it may have ended)`, fatal: true });
    const agent = await rawClient(test.url, await test.token('alice', ['dev'], { actor: 'claude-1' }));
    agent.send({ type: 'attach', session: opened.id });
    expect(await agent.next((m) => m.type === 'error')).toMatchObject({ code: 'UNKNOWN_SESSION' });
  });

  it('ends the session cleanly once the grace period passes', async () => {
    const first = await rawClient(test.url, await test.token('alice'));
    first.send({ type: 'open', connection: 'shell', interactive: true });
    const opened = await first.next((m) => m.type === 'session');
    first.ws.terminate();
    await until(() => test.gateway.store.getSession(opened.id as string)?.state === 'ended', 'the session to end', 8000);
    expect(test.gateway.store.getSession(opened.id as string)).toMatchObject({ end_reason: 'client disconnected and did not reattach within 3s' });
    expect(test.gateway.sessions.has(opened.id as string)).toBe(false);
  });

  it('the client library reattaches by itself and the pending run resolves', async () => {
    const proxy = await startTcpProxy(test.url);
    try {
      const client = new Gateway({ url: proxy.url, token: await test.token('alice') });
      const session = await client.openSession({ connection: 'shell', reattach: true });
      const reattached = new Promise<number>((resolve) => session.once('reattached', resolve));
      const run = session.run('sleep 0.5; echo survived', { collect: true });
      await new Promise((resolve) => setTimeout(resolve, 150));
      proxy.cutAll();
      expect(await reattached).toBe(0);
      expect(await run.result).toMatchObject({ exitCode: 0, output: 'survived\n', decision: 'allow' });
      await session.close();
    } finally {
      await proxy.close();
    }
  });
});
