import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishRecordingDigest } from '../../src/recorder/recording-digests.js';
import { placeCommands } from '../../src/recorder/replay-page.js';
import { AuditChain } from '../../src/server/audit/audit-chain.js';
import { listAuditCommands, resolveSince } from '../../src/server/audit/audit-query.js';
import { AuditLog } from '../../src/server/audit/audit-log.js';
import { silentLogger } from '../../src/server/log.js';
import type { Session } from '../../src/server/session/session.js';
import { Store } from '../../src/server/store/store.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hoop-audit-log-'));
const store = Store.open(dir);
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('AuditLog on the event feed', () => {
  const chain = new AuditChain(store.db, path.join(dir, 'recordings'));
  const events = new EventEmitter();
  new AuditLog(chain, silentLogger).subscribe(events);
  const session = { id: 's-1', identity: { user: 'alice', groups: ['dev'], actor: 'claude-1' }, connection: { name: 'k8s-prod' }, mode: 'broker', size: { cols: 80, rows: 24 } } as unknown as Session;

  it('keeps API request bodies (Secret data) out of the audit', () => {
    events.emit('api.request', {
      sessionId: 's-1',
      connection: 'k8s-prod',
      identity: { user: 'alice', groups: ['dev'], actor: 'claude-1', issuer: 'x' },
      verb: 'create',
      resource: 'secrets',
      apiGroup: '',
      namespace: 'default',
      body: { kind: 'Secret', data: { password: 'aHVudGVyMg==' } },
      description: 'POST /api/v1/namespaces/default/secrets',
      status: 201,
      durationMs: 4,
    });
    const [row] = chain.rows({ kinds: ['api.request'] });
    expect(row).toMatchObject({ session_id: 's-1', user: 'alice', actor: 'claude-1', connection: 'k8s-prod' });
    expect(row!.data).not.toContain('aHVudGVyMg');
    expect(JSON.parse(row!.data)).toMatchObject({ verb: 'create', resource: 'secrets', status: 201, description: 'POST /api/v1/namespaces/default/secrets' });
  });

  it('takes approvers from approval rows and lists commands with decision and exit code', () => {
    events.emit('command', session, { commandId: 7, text: 'delete pod web-1', phase: 'received' });
    events.emit('approval', { id: '3f2a', status: 'pending', requester: 'alice', actor: 'claude-1', connection: 'k8s-prod', sessionId: 's-1', approvals: [] });
    events.emit('approval', { id: '3f2a', status: 'approved', requester: 'alice', actor: 'claude-1', connection: 'k8s-prod', sessionId: 's-1', approvals: [{ by: 'bob', at: 'x' }, { by: 'carol', at: 'y' }] });
    events.emit('command', session, { commandId: 7, text: 'delete pod web-1', phase: 'decided', decision: 'allow', rule: 'deleting pods needs on-call', approvalId: '3f2a' });
    events.emit('command', session, { commandId: 7, text: 'delete pod web-1', phase: 'finished', exitCode: 0 });
    events.emit('command', session, { commandId: 8, text: 'get secrets -n kube-system', phase: 'received' });
    events.emit('command', session, { commandId: 8, text: 'get secrets -n kube-system', phase: 'decided', decision: 'deny', rule: 'never', reason: 'no' });
    const commands = listAuditCommands(chain, {});
    expect(commands).toEqual([
      expect.objectContaining({ command: 'delete pod web-1', user: 'alice', actor: 'claude-1', connection: 'k8s-prod', decision: 'allow', rule: 'deleting pods needs on-call', approval: '3f2a', approvers: ['bob', 'carol'], exitCode: 0 }),
      expect.objectContaining({ command: 'get secrets -n kube-system', decision: 'deny', exitCode: 77 }),
    ]);
    expect(listAuditCommands(chain, { decision: 'review' }).map((command) => command.command)).toEqual(['delete pod web-1']);
    expect(listAuditCommands(chain, { user: 'bob' })).toEqual([]);
    expect(chain.verify()).toMatchObject({ intact: true, rows: 8 });
  });

  it('a listener failure never reaches the emitter', () => {
    expect(() => events.emit('session.end', undefined, undefined)).not.toThrow();
  });
});

describe('sealing a recording', () => {
  it('takes the digest its writer computed (no second read of the file), and hashes the file only without one', () => {
    const sealDir = mkdtempSync(path.join(tmpdir(), 'hoop-audit-seal-'));
    const sealStore = Store.open(sealDir);
    try {
      const recordings = path.join(sealDir, 'recordings');
      mkdirSync(recordings, { recursive: true });
      const chain = new AuditChain(sealStore.db, recordings);
      const log = new AuditLog(chain, silentLogger);
      const file = path.join(recordings, 's-9.cast');
      writeFileSync(file, 'on disk\n');
      const fields = { sessionId: 's-9', user: 'alice', actor: null, connection: 'shell' };
      // A digest that differs from the file shows which one was used.
      publishRecordingDigest(file, { sha256: 'a'.repeat(64), bytes: 8 });
      log.recordingFinished(file, fields);
      log.recordingFinished(file, fields);
      const sealed = chain.rows({ kinds: ['recording'] }).map((row) => JSON.parse(row.data) as { sha256: string; bytes: number });
      expect(sealed).toEqual([
        { file: 's-9.cast', sha256: 'a'.repeat(64), bytes: 8 },
        { file: 's-9.cast', sha256: createHash('sha256').update('on disk\n').digest('hex'), bytes: 8 },
      ]);
      // verify always re-reads the file: the made-up digest is caught, naming row and file.
      expect(chain.verify()).toMatchObject({ intact: false, row: 1, file, reason: expect.stringContaining('no longer matches its SHA-256') });
    } finally {
      sealStore.close();
      rmSync(sealDir, { recursive: true, force: true });
    }
  });
});

describe('audit helpers', () => {
  it('since takes a duration or an ISO time', () => {
    expect(resolveSince('1h', Date.parse('2026-01-01T12:00:00Z'))).toBe('2026-01-01T11:00:00.000Z');
    expect(resolveSince('2026-01-01T10:00:00Z')).toBe('2026-01-01T10:00:00.000Z');
    expect(resolveSince('yesterday')).toBeUndefined();
  });

  it('places commands on their markers, in order, also markers of other formats', () => {
    const markers = [
      { time: 1, label: '$ get pods' },
      { time: 2, label: '⏸ held for approval 3f2a: delete pod web-1 (rule "x")' },
      { time: 3, label: '$ get pods' },
    ];
    expect(placeCommands([{ command: 'get pods' }, { command: 'delete pod web-1' }, { command: 'get pods' }, { command: 'logs web' }], markers).map((c) => c.at)).toEqual([1, 2, 3, null]);
  });
});
