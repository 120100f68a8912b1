import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway as GatewayClient } from '../../src/client/gateway.js';
import { readCast } from '../../src/recorder/asciicast-reader.js';
import { mintToken } from '../../src/server/auth/mint.js';
import { loadOrCreateSigningKey } from '../../src/server/auth/signing-key.js';
import { BIN } from '../helpers/gateway.js';
import { asciinemaCat, castFiles, waitFor } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hoop-crash-'));
const dataDir = path.join(dir, 'data');
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function startChildGateway(port: number): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const config = path.join(dir, 'hoop.yaml');
  writeFileSync(config, `connections:\n  - name: shell\n    type: command\n    command: [/bin/bash, --noprofile, --norc]\nroles:\n  auditor: [audit]\n`);
  const child = spawn(process.execPath, [BIN.gateway, 'serve', '--config', config, '--listen', `127.0.0.1:${port}`, '--data', dataDir, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok, 15_000, `gateway on ${url}: ${stderr}`);
  return { child, url, stderr: () => stderr };
}

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('kill -9 of the gateway mid-session', () => {
  it('leaves recordings that parse, marks the sessions interrupted with an end time, and seals them into the audit chain', async () => {
    const port = await freePort();
    const first = await startChildGateway(port);
    const key = await loadOrCreateSigningKey(dataDir);
    const alice = await mintToken(key, { user: 'alice', groups: ['dev'], ttlSeconds: 600 });
    const client = new GatewayClient({ url: first.url, token: alice });

    const terminal = await client.openSession({ connection: 'shell', interactive: true, cols: 100, rows: 30 });
    terminal.on('data', () => {});
    terminal.write('for i in $(seq 1 100000); do echo "tick $i é"; sleep 0.002; done\n');
    const runs = await client.openSession({ connection: 'shell' });
    runs.on('data', () => {});
    void runs.run('while true; do echo busy; sleep 0.005; done').result.catch(() => {});
    const castOf = (id: string) => path.join(dataDir, 'recordings', `${id}.cast`);
    await waitFor(() => statSync(castOf(terminal.id)).size > 20_000 && statSync(castOf(runs.id)).size > 2_000, 15_000, 'recordings to grow');

    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    await Promise.all([terminal.closed(), runs.closed()]);

    for (const id of [terminal.id, runs.id]) {
      const cast = readCast(castOf(id));
      expect(cast.header).toMatchObject({ version: 2, session: id, user: 'alice' });
      expect(cast.events.length).toBeGreaterThan(10);
      const cat = await asciinemaCat(castOf(id));
      expect(cat.code, cat.output.slice(-300)).toBe(0);
    }
    expect(readCast(castOf(terminal.id)).events.some((event) => event.code === 'o' && event.data.includes('tick'))).toBe(true);
    expect(readCast(castOf(runs.id)).events.filter((event) => event.code === 'm').map((event) => event.data)).toEqual(['$ while true; do echo busy; sleep 0.005; done']);

    const second = await startChildGateway(port);
    const auditor = await mintToken(key, { user: 'carol', groups: ['audit'], ttlSeconds: 600 });
    const killedAt = Date.now();
    for (const id of [terminal.id, runs.id]) {
      const response = await fetch(`${second.url}/v1/sessions/${id}`, { headers: { authorization: `Bearer ${alice}` } });
      const row = (await response.json()) as { state: string; ended_at: string | null; end_reason: string | null };
      expect(row.state).toBe('interrupted');
      expect(row.end_reason).toBe('gateway stopped unexpectedly');
      expect(Math.abs(Date.parse(row.ended_at!) - killedAt)).toBeLessThan(30_000);
    }
    const verify = (await (await fetch(`${second.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${auditor}` } })).json()) as { intact: boolean; recordings: number };
    expect(verify).toMatchObject({ intact: true, recordings: 2 });
    const audit = (await (await fetch(`${second.url}/v1/audit?user=alice`, { headers: { authorization: `Bearer ${auditor}` } })).json()) as { command: string; exitCode: number | null }[];
    // The line typed in the terminal session and the run: both were going when the gateway died.
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ command: 'for i in $(seq 1 100000); do echo "tick $i é"; sleep 0.002; done', exitCode: null }),
        expect.objectContaining({ command: 'while true; do echo busy; sleep 0.005; done', exitCode: null }),
      ]),
    );
    expect(audit).toHaveLength(2);

    // Flip one byte of a sealed recording: verify names that file.
    const file = castOf(terminal.id);
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 1;
    writeFileSync(file, bytes);
    const broken = (await (await fetch(`${second.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${auditor}` } })).json()) as { intact: boolean; file: string };
    expect(broken).toMatchObject({ intact: false, file });

    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
    expect(castFiles(dataDir)).toHaveLength(2);
  });
});
