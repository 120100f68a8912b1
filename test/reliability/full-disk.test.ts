/**
 * A full disk for recordings: new sessions are refused with a clear reason, and a session whose
 * recording fills the disk is stopped — never run unrecorded (recording.required, the default).
 * The recordings dir is a tiny tmpfs, so the disk really is full (the test runs as root, as CI does).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/client/gateway.js';
import { hoopShell, startGateway, type TestGateway } from '../helpers/gateway.js';

let test: TestGateway | undefined;
let mounted: string | undefined;

function mountTinyDisk(dir: string, bytes: number): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir]);
  mounted = dir;
}

afterEach(async () => {
  await test?.stop().catch(() => {});
  if (mounted) execFileSync('umount', ['-l', mounted]);
  test = undefined;
  mounted = undefined;
});

describe('a full disk for recordings', () => {
  it('refuses new sessions with a one-line reason and runs nothing', async () => {
    test = await startGateway();
    const recordings = test.gateway.recordingsDir;
    mountTinyDisk(recordings, 64 * 1024);
    try {
      writeFileSync(path.join(recordings, 'filler'), Buffer.alloc(64 * 1024));
    } catch {
      /* ENOSPC: the disk is full, which is the point */
    }
    const result = await hoopShell(test, ['exec', 'shell', '--', 'touch /tmp/hoop-full-disk-ran']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('hoop-shell: cannot record the session (ENOSPC): sessions are refused until recordings can be written');
    expect(test.gateway.sessions.size).toBe(0);
  });

  it('stops a session whose recording fills the disk, with the reason', async () => {
    test = await startGateway();
    mountTinyDisk(test.gateway.recordingsDir, 256 * 1024);
    const client = new Gateway({ url: test.url, token: await test.token('alice') });
    const session = await client.openSession({ connection: 'shell' });
    const errors: string[] = [];
    session.on('message', (message) => {
      if (message.type === 'error') errors.push(message.message);
    });
    const run = session.run('for i in $(seq 1 200); do head -c 8192 /dev/zero | tr "\\0" x; echo; sleep 0.01; done; echo finished', { collect: true });
    await expect(run.result).rejects.toThrow(/the recording could not be written \(ENOSPC\); the session was stopped because recording is required/);
    expect(errors).toContain('the recording could not be written (ENOSPC); the session was stopped because recording is required');
    const row = test.gateway.store.listSessions({})[0]!;
    expect(row).toMatchObject({ state: 'failed', end_reason: 'the recording could not be written (ENOSPC); the session was stopped because recording is required' });
  });
});
