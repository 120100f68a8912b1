/**
 * Server side of the live views against a real gateway with raw WebSocket clients: the sessions
 * topic, watching a session, access, a slow watcher, and terminate.
 */
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { openSocket, watchedText, type RawSocket } from './raw-socket.js';

let test: TestGateway;
const terminated: { session: string; by: string; reason?: string }[] = [];
beforeAll(async () => {
  test = await startGateway({ roles: { approver: ['oncall'], auditor: ['audit'] } });
  test.gateway.events.on('session.terminated', (session: { id: string }, info: { by: string; reason?: string }) => terminated.push({ session: session.id, ...info }));
});
afterAll(() => test.stop());

async function openShell(user = 'alice', interactive = true): Promise<{ socket: RawSocket; id: string }> {
  const socket = await openSocket(test.url, await test.token(user, ['dev']));
  socket.send({ type: 'open', connection: 'shell', interactive, cols: 80, rows: 24 });
  const opened = await socket.next((m) => m.type === 'session');
  return { socket, id: opened.id as string };
}

async function approver(user = 'bob', groups = ['oncall']): Promise<RawSocket> {
  return openSocket(test.url, await test.token(user, groups));
}

describe('sessions topic', () => {
  it('lists live sessions to an approver and pushes changes', async () => {
    const bob = await approver();
    bob.send({ type: 'subscribe', topics: ['sessions'] });
    await bob.next((m) => m.type === 'sessions');
    const alice = await openShell('alice', false);
    const listed = await bob.next((m) => m.type === 'sessions' && m.sessions.some((s: { id: string }) => s.id === alice.id));
    const mine = listed.sessions.find((s: { id: string }) => s.id === alice.id);
    expect(mine).toMatchObject({ user: 'alice', actor: null, connection: 'shell', commands: 0, held: false });
    alice.socket.send({ type: 'run', id: '1', command: 'true' });
    await bob.next((m) => m.type === 'sessions' && m.sessions.some((s: { id: string; commands: number }) => s.id === alice.id && s.commands === 1));
    // An explicit close ends the session; a dropped socket would leave it for the reattach grace period.
    alice.socket.send({ type: 'close' });
    await alice.socket.close();
    await bob.next((m) => m.type === 'sessions' && !m.sessions.some((s: { id: string }) => s.id === alice.id) && bob.messages.indexOf(m) > bob.messages.indexOf(listed));
    await bob.close();
  });

  it("shows a user without a role only their own sessions", async () => {
    const alice = await openShell('alice', false);
    const carol = await openShell('carol', false);
    carol.socket.send({ type: 'subscribe', topics: ['sessions'] });
    const seen = await carol.socket.next((m) => m.type === 'sessions');
    expect(seen.sessions.map((s: { user: string }) => s.user)).toEqual(['carol']);
    await alice.socket.close();
    await carol.socket.close();
  });

  it('refuses an unknown topic with a one-line reason', async () => {
    const bob = await approver();
    bob.send({ type: 'subscribe', topics: ['nope'] });
    const error = await bob.next((m) => m.type === 'error');
    expect(error.message).toMatch(/unknown topic "nope" \(known: .*sessions/);
    await bob.close();
  });
});

describe('watch', () => {
  it('shows an approver what the user types, with resizes and markers', async () => {
    const alice = await openShell();
    alice.socket.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('echo before-watch\r')]));
    await waitFor(() => Buffer.concat(alice.socket.binary).toString().includes('before-watch\r\n'));
    const bob = await approver();
    bob.send({ type: 'watch', session: alice.id });
    const watching = await bob.next((m) => m.type === 'watching');
    expect(watching).toMatchObject({ session: alice.id, user: 'alice', connection: 'shell', cols: 80, rows: 24 });
    expect(Buffer.from(watching.recent, 'base64').toString()).toContain('before-watch');
    // The typed line is a command: its marker comes with the watch's start.
    expect(watching.markers).toEqual([expect.objectContaining({ label: '$ echo before-watch' })]);

    alice.socket.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('echo typed-by-$((6*7))\r')]));
    await waitFor(() => watchedText(bob, alice.id).includes('typed-by-42'));
    expect(watchedText(bob, alice.id)).toContain('echo typed-by-$((6*7))');

    alice.socket.send({ type: 'resize', cols: 100, rows: 30 });
    await bob.next((m) => m.type === 'watch.resize' && m.cols === 100 && m.rows === 30);

    const session = test.gateway.sessions.get(alice.id)!;
    session.mark('held: rm -rf / (rule "no")');
    await bob.next((m) => m.type === 'watch.marker' && m.label === 'held: rm -rf / (rule "no")');

    alice.socket.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('exit\r')]));
    await bob.next((m) => m.type === 'watch.end' && m.session === alice.id);
    await alice.socket.close();
    await bob.close();
  });

  it("marks each command of a runs session", async () => {
    const alice = await openShell('alice', false);
    const bob = await approver('dora', ['audit']);
    bob.send({ type: 'watch', session: alice.id });
    await bob.next((m) => m.type === 'watching');
    alice.socket.send({ type: 'run', id: '1', command: 'echo marked-run' });
    await bob.next((m) => m.type === 'watch.marker' && m.label === '$ echo marked-run');
    await waitFor(() => watchedText(bob, alice.id).includes('marked-run\n'));
    // a later watcher gets the markers that came before it
    const late = await approver('erin', ['oncall']);
    late.send({ type: 'watch', session: alice.id });
    const watching = await late.next((m) => m.type === 'watching');
    expect(watching.markers.map((m: { label: string }) => m.label)).toEqual(['$ echo marked-run']);
    await late.close();
    await alice.socket.close();
    await bob.close();
  });

  it('refuses a user who is neither the owner nor an approver, auditor or admin', async () => {
    const alice = await openShell();
    const carol = await approver('carol', ['dev']);
    carol.send({ type: 'watch', session: alice.id });
    const error = await carol.next((m) => m.type === 'error');
    expect(error).toMatchObject({ code: 'FORBIDDEN', fatal: false });
    carol.send({ type: 'watch', session: 'no-such-session' });
    await waitFor(() => carol.messages.filter((m) => m.type === 'error').length === 2);
    const [first, second] = carol.messages.filter((m) => m.type === 'error');
    expect(second!.message).toBe(String(first!.message).replace(alice.id, 'no-such-session')); // no existence oracle
    alice.socket.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('echo secret-stuff\r')]));
    await waitFor(() => Buffer.concat(alice.socket.binary).toString().includes('secret-stuff\r\n'));
    expect(carol.messages.some((m) => m.type === 'watching' || m.type === 'watch.output')).toBe(false);
    // an agent acting for alice is not alice
    const agent = await openSocket(test.url, await test.token('alice', ['dev'], { actor: 'claude-1' }));
    agent.send({ type: 'watch', session: alice.id });
    expect((await agent.next((m) => m.type === 'error')).code).toBe('FORBIDDEN');
    // alice may watch her own session
    const own = await openSocket(test.url, await test.token('alice', ['dev']));
    own.send({ type: 'watch', session: alice.id });
    await own.next((m) => m.type === 'watching');
    await Promise.all([alice.socket.close(), carol.close(), agent.close(), own.close()]);
  });

  it('drops output for a watcher that does not read, without slowing the session', async () => {
    const alice = await openShell('alice', false);
    const bob = await approver();
    bob.send({ type: 'watch', session: alice.id });
    await bob.next((m) => m.type === 'watching');
    bob.ws.pause(); // bob stops reading: his socket backs up
    const started = Date.now();
    const bytes = 40 * 1024 * 1024;
    alice.socket.send({ type: 'run', id: '1', command: `head -c ${bytes} /dev/zero | tr '\\0' x` });
    await alice.socket.next((m) => m.type === 'run.exit' && m.id === '1', 30_000);
    const elapsed = Date.now() - started;
    const received = alice.socket.binary.reduce((sum, frame) => sum + frame.length - 1, 0);
    expect(received).toBe(bytes); // the user got all of it
    expect(elapsed).toBeLessThan(10_000); // 40 MiB takes well under a second here when nobody watches
    bob.ws.resume();
    const notice = await bob.next((m) => m.type === 'watch.skipped', 15_000);
    expect(notice.bytes).toBeGreaterThan(0);
    alice.socket.send({ type: 'run', id: '2', command: 'echo after-the-flood' });
    await waitFor(() => watchedText(bob, alice.id).includes('after-the-flood'), 15_000);
    const delivered = watchedText(bob, alice.id).replace('after-the-flood\n', '').length;
    expect(delivered + notice.bytes).toBe(bytes);
    await Promise.all([alice.socket.close(), bob.close()]);
  });
});

describe('terminate', () => {
  it('refuses users without the approver or admin role', async () => {
    const alice = await openShell();
    const response = await fetch(`${test.url}/v1/sessions/${alice.id}/terminate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await test.token('carol', ['dev'])}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'x' }),
    });
    expect(response.status).toBe(403);
    expect(test.gateway.sessions.has(alice.id)).toBe(true);
    // an agent acting for an approver has no power to end sessions
    const agent = await fetch(`${test.url}/v1/sessions/${alice.id}/terminate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await test.token('bob', ['oncall'], { actor: 'claude-1' })}` },
    });
    expect(agent.status).toBe(403);
    expect(test.gateway.sessions.has(alice.id)).toBe(true);
    const unknown = await fetch(`${test.url}/v1/sessions/nope/terminate`, { method: 'POST', headers: { authorization: `Bearer ${await test.token('bob', ['oncall'])}` } });
    expect(unknown.status).toBe(404);
    await alice.socket.close();
  });

  it('strips control characters from the reason: it is shown in the user\'s terminal', async () => {
    const alice = await openShell();
    const response = await fetch(`${test.url}/v1/sessions/${alice.id}/terminate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await test.token('bob', ['oncall'])}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'bye\u001b]0;pwned\u0007\u001b[2J now' }),
    });
    expect(response.status).toBe(200);
    const error = await alice.socket.next((m) => m.type === 'error' && m.code === 'TERMINATED');
    expect(error.message).toBe('session terminated by bob: bye ]0;pwned [2J now');
    expect(error.message).not.toMatch(/[\u0000-\u001f]/);
    const tooLong = await fetch(`${test.url}/v1/sessions/x/terminate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await test.token('bob', ['oncall'])}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'x'.repeat(501) }),
    });
    expect(tooLong.status).toBe(400);
  });

  it("ends a connect session and tells its user who and why; the recording keeps it", async () => {
    const token = await test.token('alice', ['dev']);
    const child = spawn(process.execPath, [BIN.shell, 'connect', 'shell'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, HOOP_GATEWAY: test.url, HOOP_TOKEN: token },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.write('echo connected-$((1+1))\n');
    await waitFor(() => stdout.includes('connected-2'));
    // The newest: shells of earlier tests may still wait out their reattach grace period.
    const live = [...test.gateway.sessions.values()].filter((s) => s.identity.user === 'alice' && s.mode === 'shell').at(-1)!;
    const response = await fetch(`${test.url}/v1/sessions/${live.id}/terminate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await test.token('bob', ['oncall'])}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'incident 42: stop now' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: live.id, terminated: true, by: 'bob', reason: 'incident 42: stop now' });
    expect(await exited).toBe(1);
    expect(stderr).toContain('terminated by bob: incident 42: stop now');
    expect(test.gateway.store.getSession(live.id)).toMatchObject({ state: 'ended', end_reason: 'terminated by bob: incident 42: stop now' });
    const cast = readFileSync(test.gateway.store.getSession(live.id)!.recording!, 'utf8');
    expect(cast).toContain('"m","session terminated by bob: incident 42: stop now"');
    expect(terminated).toContainEqual({ session: live.id, by: 'bob', reason: 'incident 42: stop now' });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
