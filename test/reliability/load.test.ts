/**
 * Load: 200 sessions at once in `npm run test:stress` (60 in `npm test`) (half terminal sessions in a pty, half one-shot runs), each with its
 * own output. Every one must complete with exactly its output, a store row that says how it
 * ended, command rows for runs, and a recording whose output events add up to what the client saw.
 * Among them, 20 runs are held for approval (`seq … held`) and released by an approver while the
 * rest stream; each must run exactly once, after its approval, with its rows and markers.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../../bench/lib/gateway-process.js';
import { openRaw, pollUntil, sessionPids, type RawClient } from './raw-client.js';

const SESSIONS = Number(process.env.HOOP_LOAD_SESSIONS ?? (process.env.HOOP_STRESS === '1' ? 200 : 60));

interface Outcome {
  id: string;
  interactive: boolean;
  count: number;
  output: string;
  exit: Record<string, unknown>;
}

async function runOne(gateway: GatewayProcess, token: string, index: number): Promise<Outcome> {
  const interactive = index % 2 === 0;
  const count = 1000 + index * 7;
  const client: RawClient & { sessionId: string } = await openRaw(gateway.url, token, { connection: 'shell', interactive, cols: 100, rows: 30 });
  let output = '';
  client.onData((_stream, payload) => (output += payload.toString('latin1')));
  if (interactive) {
    // Type once the prompt is there, as a person would.
    await pollUntil(() => (output.length > 0 ? true : undefined), 20_000, 'the prompt');
    client.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(`seq 1 ${count}; exit\r`)]));
  } else {
    client.send({ type: 'run', id: `r${index}`, command: `seq 1 ${count}` });
    const exit = await client.waitFor((m) => m.type === 'run.exit', 60_000);
    expect(exit.exitCode).toBe(0);
    client.send({ type: 'close' });
  }
  const exit = await client.waitFor((m) => m.type === 'exit', 60_000);
  await client.closed;
  return { id: client.sessionId, interactive, count, output, exit };
}

function recordedOutput(file: string, sessionId: string): { output: string; markers: string[] } {
  const lines = readFileSync(file, 'utf8').split('\n');
  expect(lines.pop(), 'a recording ends with a newline').toBe('');
  const header = JSON.parse(lines.shift()!) as Record<string, unknown>;
  expect(header).toMatchObject({ version: 2, session: sessionId });
  let output = '';
  const markers: string[] = [];
  let last = 0;
  for (const line of lines) {
    const [time, code, data] = JSON.parse(line) as [number, string, string];
    expect(time).toBeGreaterThanOrEqual(last);
    last = time;
    if (code === 'o') output += data;
    if (code === 'm') markers.push(data);
  }
  return { output, markers };
}

describe(`load: ${SESSIONS} concurrent sessions with output`, () => {
  let gateway: GatewayProcess;
  let token: string;
  beforeAll(async () => {
    gateway = await startGatewayProcess({
      config: {
        connections: [{ name: 'shell', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'] }],
        policy: { default: 'allow', rules: [{ name: 'held under load', match: { connection: 'shell', commands: ['echo held-*'] }, action: 'review', approvers: { groups: ['oncall'] } }] },
      },
    });
    token = await gateway.token('loader');
  });
  afterAll(() => gateway?.stop());

  it('all complete with exact output, consistent rows and recordings', { timeout: 120_000 }, async () => {
    const outcomes = await Promise.all(Array.from({ length: SESSIONS }, (_, index) => runOne(gateway, token, index)));
    const api = async (path: string): Promise<any> => {
      const response = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      return response.json();
    };
    expect(new Set(outcomes.map((o) => o.id)).size).toBe(SESSIONS);
    for (const outcome of outcomes) {
      const expected = spawnSync('seq', ['1', String(outcome.count)], { encoding: 'latin1' }).stdout;
      const row = await api(`/v1/sessions/${outcome.id}`);
      expect(row).toMatchObject({ id: outcome.id, user: 'loader', connection: 'shell', state: 'ended' });
      const recording = recordedOutput(row.recording, outcome.id);
      expect(recording.output, `recording of ${outcome.id} holds exactly what the client saw`).toBe(outcome.output);
      // The pty drain marker (program.ts) is the gateway's own business: it never reaches anyone.
      expect(outcome.output).not.toContain('hoop-drain');
      if (outcome.interactive) {
        expect(outcome.exit).toMatchObject({ exitCode: 0 });
        expect(row).toMatchObject({ mode: 'shell', exit_code: 0 });
        const numbers = outcome.output.split('\r\n').filter((line) => /^\d+$/.test(line));
        if (!outcome.output.replaceAll('\r\n', '\n').includes(expected)) {
          throw new Error(`session ${outcome.id} (seq 1 ${outcome.count}) output differs: ${numbers.length} number lines, last ${numbers.at(-1)}; tail ${JSON.stringify(outcome.output.slice(-120))}`);
        }
      } else {
        expect(outcome.output).toBe(expected);
        expect(row).toMatchObject({ mode: 'runs', end_reason: 'closed by client' });
        expect(row.commands).toHaveLength(1);
        expect(row.commands[0]).toMatchObject({ text: `seq 1 ${outcome.count}`, decision: 'allow', exit_code: 0 });
        expect(row.commands[0].ended_at).toBeTruthy();
        expect(recording.markers).toContain(`$ seq 1 ${outcome.count}`);
      }
    }
    expect(await api('/v1/sessions'), 'no session is left live').toEqual([]);
    // Every program of every session is gone.
    const leftovers = await pollUntil(async () => {
      const pids = (await Promise.all(outcomes.map((o) => sessionPids(o.id)))).flat();
      return pids.length === 0 ? pids : undefined;
    }, 10_000, 'session programs to exit');
    expect(leftovers).toEqual([]);
  });

  it('20 held approvals among streaming sessions: each runs once, after its approval', { timeout: 120_000 }, async () => {
    const HELD = 20;
    const approver = await gateway.token('oncall-bob', ['oncall']);
    const held = Array.from({ length: HELD }, async (_, index) => {
      const client = await openRaw(gateway.url, token, { connection: 'shell', interactive: false });
      let output = '';
      client.onData((_stream, payload) => (output += payload.toString()));
      client.send({ type: 'run', id: 'h', command: `echo held-${index}` });
      const hold = await client.waitFor((m) => m.type === 'held', 30_000);
      return { client, approval: hold.approval as string, output: () => output, index };
    });
    // Streaming load at the same time as the holds wait.
    const streaming = Promise.all(Array.from({ length: 20 }, (_, index) => runOne(gateway, token, index + 1)));
    const holds = await Promise.all(held);
    expect(holds.every((hold) => hold.output() === '')).toBe(true);
    for (const hold of holds) {
      const response = await fetch(`${gateway.url}/v1/approvals/${hold.approval}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'load test' }),
      });
      expect(response.status).toBe(200);
    }
    for (const hold of holds) {
      const exit = await hold.client.waitFor((m) => m.type === 'run.exit', 60_000);
      expect(exit.exitCode).toBe(0);
      expect(hold.output()).toBe(`held-${hold.index}\n`);
      hold.client.send({ type: 'close' });
      await hold.client.waitFor((m) => m.type === 'exit', 30_000);
      const row = await (await fetch(`${gateway.url}/v1/sessions/${hold.client.sessionId}`, { headers: { authorization: `Bearer ${token}` } })).json();
      expect(row.commands).toEqual([expect.objectContaining({ text: `echo held-${hold.index}`, decision: 'review', approver: 'oncall-bob', exit_code: 0 })]);
      expect(recordedOutput(row.recording, hold.client.sessionId).output).toBe(`held-${hold.index}\n`);
    }
    await streaming;
  });
});
