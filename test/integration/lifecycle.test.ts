/** The gateway as a process: config errors, graceful SIGTERM, and recordings that asciinema reads. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/server/store/store.js';
import { BIN, hoopShell, runCli, startGateway } from '../helpers/gateway.js';
import { spawnGateway } from '../helpers/gateway-process.js';
import { rawClient } from '../helpers/raw-client.js';
import { asciinemaCat } from '../helpers/asciinema.js';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'hoop-life-'));
}

describe('hoop-gateway serve', () => {
  it('refuses an invalid config naming the key, in one line, exit 1', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'hoop.yaml'), 'connections:\n  - name: ops\n    type: command\n    comand: [bash]\n');
    const result = await runCli(BIN.gateway, ['serve', '--config', path.join(dir, 'hoop.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/connections\[0\]\.command: is required/);
    expect(result.stderr).toMatch(/unknown key "comand"/);
  });

  it('exits 2 with a reason on a malformed --listen', async () => {
    const result = await runCli(BIN.gateway, ['serve', '--listen', 'eight-thousand']);
    expect(result).toMatchObject({ code: 2 });
    expect(result.stderr).toMatch(/--listen must be HOST:PORT/);
  });

  it('on SIGTERM tells live sessions, closes their rows and recordings, and exits 0', async () => {
    const dataDir = tempDir();
    const gateway = await spawnGateway(['--data', dataDir]);
    const token = (await runCli(BIN.gateway, ['token', '--user', 'alice', '--data', dataDir])).stdout.trim();
    const client = await rawClient(gateway.url, token);
    client.send({ type: 'open', connection: 'shell', interactive: true, cols: 80, rows: 24 });
    const opened = await client.next((m) => m.type === 'session');
    client.sendRaw(Buffer.concat([Buffer.from([0]), Buffer.from('echo before-shutdown\r')]), true);
    while (!client.text().includes('before-shutdown\r\n')) await new Promise((resolve) => setTimeout(resolve, 20));

    gateway.child.kill('SIGTERM');
    expect(await client.next((m) => m.type === 'error')).toMatchObject({ code: 'UNAVAILABLE', message: 'gateway shutting down (SIGTERM)', fatal: true });
    expect(await client.next((m) => m.type === 'exit')).toMatchObject({ exitCode: null, reason: 'gateway shutting down (SIGTERM)' });
    expect(await gateway.exited).toBe(0);

    const store = Store.open(dataDir);
    const row = store.getSession(opened.id as string)!;
    store.close();
    expect(row).toMatchObject({ state: 'ended', end_reason: 'gateway shutting down (SIGTERM)' });
    expect(row.ended_at).not.toBeNull();
    const played = await asciinemaCat(row.recording!);
    expect(played.code).toBe(0);
    expect(played.output).toContain('before-shutdown');
  });
});

describe('recordings', () => {
  it('are asciicast v2 files that Debian asciinema plays back exactly', async () => {
    const test = await startGateway();
    try {
      const script = `printf '\\033[31mred\\033[0m caf\\xc3\\xa9 \\xf0\\x9f\\x90\\xb3\\n'; printf 'x%.0s' $(seq 1 5000); echo`;
      const result = await hoopShell(test, ['exec', 'shell', '--', script]);
      expect(result.code).toBe(0);
      const [row] = test.gateway.store.listSessions({});
      const lines = readFileSync(row!.recording!, 'utf8').trim().split('\n');
      const header = JSON.parse(lines[0]!);
      expect(header).toMatchObject({ version: 2, width: 80, height: 24, title: 'alice@shell', session: row!.id, user: 'alice', connection: 'shell' });
      for (const line of lines.slice(1)) expect(JSON.parse(line)).toHaveLength(3);
      const played = await asciinemaCat(row!.recording!);
      expect(played).toEqual({ code: 0, output: result.stdout });
    } finally {
      await test.stop();
    }
  });
});
