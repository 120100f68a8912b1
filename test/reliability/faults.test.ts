/**
 * Faults: `kill -9` of the gateway process with live sessions (terminal sessions streaming output,
 * an idle one, a one-shot run in progress), then a restart on the same data dir. The store must
 * open cleanly (integrity check), every session that was live must read `interrupted`, every
 * recording must parse (at most a torn last line), no session program may run on unrecorded,
 * and the restarted gateway must serve new sessions. A command held for approval when the
 * gateway died must never run: after the restart its approval is expired and cannot be approved.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../../bench/lib/gateway-process.js';
import { STORE_FILE } from '../../src/server/store/store.js';
import { openRaw, pollUntil, sessionPids, type RawClient } from './raw-client.js';
import path from 'node:path';

const CONFIG = {
  connections: [
    { name: 'shell', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'] },
    { name: 'ops', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'] },
  ],
  policy: { default: 'allow', rules: [{ name: 'touch needs on-call', match: { connection: 'ops', commands: ['touch'] }, action: 'review', approvers: { groups: ['oncall'] } }] },
};

/** Parses a recording as a player would; a crash may leave only the last line torn. */
function parseRecording(file: string): { header: Record<string, unknown>; events: [number, string, string][]; torn: boolean } {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const last = lines.pop()!;
  const header = JSON.parse(lines.shift()!) as Record<string, unknown>;
  const events = lines.map((line) => {
    const event = JSON.parse(line) as [number, string, string];
    expect(typeof event[0]).toBe('number');
    expect(['o', 'i', 'm', 'r']).toContain(event[1]);
    expect(typeof event[2]).toBe('string');
    return event;
  });
  return { header, events, torn: last !== '' };
}

describe('faults: kill -9 of the gateway with live sessions', () => {
  let first: GatewayProcess | undefined;
  let second: GatewayProcess | undefined;
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  it('restarts on the same data dir: store intact, sessions interrupted, recordings parse, programs gone', { timeout: 60_000 }, async () => {
    first = await startGatewayProcess({ config: CONFIG });
    const token = await first.token('crash');
    const clients: (RawClient & { sessionId: string })[] = [];
    const output = new Map<string, string>();
    const track = (client: RawClient & { sessionId: string }): void => {
      clients.push(client);
      output.set(client.sessionId, '');
      client.onData((_s, payload) => output.set(client.sessionId, output.get(client.sessionId)! + payload.toString('latin1')));
    };
    for (let i = 0; i < 2; i++) {
      const streaming = await openRaw(first.url, token, { connection: 'shell', interactive: true });
      track(streaming);
      streaming.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(`while :; do echo tick-${i}-$((n++)); sleep 0.01; done\r`)]));
    }
    const idle = await openRaw(first.url, token, { connection: 'shell', interactive: true });
    track(idle);
    const runs = await openRaw(first.url, token, { connection: 'shell' });
    track(runs);
    runs.send({ type: 'run', id: 'long', command: 'while :; do echo run-tick; sleep 0.01; done' });
    // And one command held for approval.
    const marker = path.join(tmpdir(), `hoop-held-after-crash-${process.pid}`);
    const heldClient = await openRaw(first.url, token, { connection: 'ops' });
    heldClient.send({ type: 'run', id: 'held', command: `touch ${marker}` });
    const held = await heldClient.waitFor((m) => m.type === 'held', 20_000);
    // Everyone is mid-stream when the gateway dies.
    await pollUntil(() => ([...output.entries()].every(([id, text]) => id === idle.sessionId || text.split('tick').length > 20) ? true : undefined), 20_000, 'output from every session');
    const ids = clients.map((c) => c.sessionId);
    const pidsBefore = (await Promise.all(ids.map(sessionPids))).flat();
    expect(pidsBefore.length).toBeGreaterThanOrEqual(4);

    await first.kill9();
    const closes = await Promise.all(clients.map((c) => c.closed));
    for (const close of closes) expect(close.code).toBe(1006);

    // No program of a dead gateway's session runs on, unseen and unrecorded.
    await pollUntil(async () => ((await Promise.all(ids.map(sessionPids))).flat().length === 0 ? true : undefined), 10_000, 'session programs to exit after the gateway died');

    const db = new Database(path.join(first.dataDir, STORE_FILE), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    second = await startGatewayProcess({ config: CONFIG, dataDir: first.dataDir });
    // The held command: expired by the restart, cannot be approved now, never ran.
    const approver = await second.token('bob', ['oncall']);
    const approval = (await (await fetch(`${second.url}/v1/approvals/${held.approval}`, { headers: { authorization: `Bearer ${approver}` } })).json()) as { status: string };
    expect(approval.status).toBe('expired');
    const late = await fetch(`${second.url}/v1/approvals/${held.approval}/approve`, { method: 'POST', headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' }, body: '{}' });
    expect(late.status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(marker)).toBe(false);
    // Four streaming or idle sessions and the one with the held command.
    expect(second.stderr()).toMatch(/sessions\.interrupted count=5/);
    const response = await fetch(`${second.url}/v1/sessions?all=true`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const rows = (await response.json()) as { id: string; state: string; end_reason: string; ended_at: string | null; recording: string; mode: string }[];
    for (const id of ids) {
      const row = rows.find((candidate) => candidate.id === id);
      expect(row, `row of session ${id}`).toBeDefined();
      expect(row).toMatchObject({ state: 'interrupted', end_reason: 'gateway stopped unexpectedly' });
      expect(row!.ended_at).toBeTruthy();
      const recording = parseRecording(row!.recording);
      expect(recording.header).toMatchObject({ version: 2, session: id });
      const recorded = recording.events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
      // What was recorded is what the client saw, up to the moment of the crash.
      // (The client may have missed the first prompt: it listened only after its session opened.)
      const seen = output.get(id)!;
      const start = seen === '' ? 0 : recorded.indexOf(seen.slice(0, 16));
      expect(start, `recording of ${id} contains what the client saw`).toBeGreaterThanOrEqual(0);
      const common = Math.min(seen.length, recorded.length - start);
      expect(recorded.slice(start, start + common)).toBe(seen.slice(0, common));
      if (id !== idle.sessionId) expect(recorded).toMatch(/tick/);
    }
    const runsRow = (await (await fetch(`${second.url}/v1/sessions/${runs.sessionId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { commands: { text: string }[] };
    expect(runsRow.commands.map((c) => c.text)).toEqual(['while :; do echo run-tick; sleep 0.01; done']);

    // The restarted gateway serves new sessions.
    const fresh = await openRaw(second.url, await second.token('crash'), { connection: 'shell' });
    let text = '';
    fresh.onData((_s, payload) => (text += payload.toString()));
    fresh.send({ type: 'run', id: 'after', command: 'echo back' });
    expect(await fresh.waitFor((m) => m.type === 'run.exit')).toMatchObject({ exitCode: 0 });
    expect(text).toBe('back\n');
    fresh.ws.close();
    await fresh.closed;
  });
});
