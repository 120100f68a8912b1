/** The typed client library (`import { Gateway } from 'hoop-shell'`) against a real gateway. */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError, Gateway } from '../../src/client/index.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

let test: TestGateway;
let gateway: Gateway;
beforeAll(async () => {
  test = await startGateway();
  gateway = new Gateway({ url: test.url, token: await test.token('alice', ['dev'], { actor: 'agent-7' }) });
});
afterAll(() => test.stop());

describe('client library', () => {
  it('lists connections and knows who it is', async () => {
    expect(await gateway.connections()).toEqual([{ name: 'shell', type: 'command' }]);
    expect(await gateway.whoami()).toMatchObject({ user: 'alice', actor: 'agent-7' });
  });

  it('frames many commands per session, in order, each with its own output and exit code', async () => {
    const session = await gateway.openSession({ connection: 'shell' });
    const handles = Array.from({ length: 50 }, (_, i) => session.run(`echo run-${i}; exit ${i % 4}`, { collect: true }));
    const results = await Promise.all(handles.map((handle) => handle.result));
    results.forEach((result, i) => expect(result).toMatchObject({ decision: 'allow', exitCode: i % 4, output: `run-${i}\n` }));
    await session.close();
  });

  it('delivers large output intact', async () => {
    const session = await gateway.openSession({ connection: 'shell' });
    const { result } = session.run('head -c 20000000 /dev/urandom | base64 -w 0 | tee /tmp/hoop-client-lib-$$ | sha256sum | cut -c1-64 >&2; cat /tmp/hoop-client-lib-$$; rm /tmp/hoop-client-lib-$$', { collect: false });
    const stdout: Buffer[] = [];
    let stderr = '';
    session.on('data', (stream, chunk) => (stream === 1 ? stdout.push(chunk) : (stderr += chunk.toString())));
    expect((await result).exitCode).toBe(0);
    const body = Buffer.concat(stdout);
    expect(body.length).toBe(Math.ceil(20_000_000 / 3) * 4);
    expect(createHash('sha256').update(body).digest('hex')).toBe(stderr.trim());
    await session.close();
  });

  it('cancels a running command and one still queued behind it', async () => {
    const session = await gateway.openSession({ connection: 'shell' });
    const slow = session.run('sleep 30; echo never', { collect: true });
    const queued = session.run('echo never-either', { collect: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    session.cancel(queued.id);
    session.cancel(slow.id);
    const [slowResult, queuedResult] = await Promise.all([slow.result, queued.result]);
    expect(slowResult.exitCode).toBe(143);
    expect(slowResult.output).toBe('');
    expect(queuedResult).toMatchObject({ exitCode: 130, output: '' });
    const after = await session.run('echo still-usable', { collect: true }).result;
    expect(after.output).toBe('still-usable\n');
    await session.close();
  });

  it('reports gateway errors as ClientError with a code', async () => {
    await expect(gateway.openSession({ connection: 'nope' })).rejects.toMatchObject({ code: 'UNKNOWN_CONNECTION' });
    const { createServer } = await import('node:net');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = new Gateway({ url: `http://127.0.0.1:${port}`, token: 'x' });
    await expect(unreachable.connections()).rejects.toBeInstanceOf(ClientError);
    await expect(unreachable.connections()).rejects.toThrow(`cannot reach the gateway at http://127.0.0.1:${port}: connection refused (is hoop-gateway serve running?)`);
    await expect(unreachable.openSession({ connection: 'shell' })).rejects.toThrow(/connection refused/);
  });
});
