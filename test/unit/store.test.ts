/** The store: migrations from the first version, and no crash from writes racing a shutdown. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../src/server/store/migrations.js';
import { Store } from '../../src/server/store/store.js';

const temp = () => mkdtempSync(path.join(tmpdir(), 'hoop-store-'));

describe('Store', () => {
  it('applies every migration once and reopens at the same version', () => {
    const dir = temp();
    const store = Store.open(dir);
    const latest = Math.max(...migrations.map((m) => m.version));
    expect(store.schemaVersion).toBe(latest);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    store.close();
    const again = Store.open(dir);
    expect(again.schemaVersion).toBe(latest);
    again.close();
  });

  it('drops command and session writes that arrive after close instead of throwing', () => {
    const store = Store.open(temp());
    store.insertSession({ id: 's1', user: 'alice', groups: [], connection: 'shell', mode: 'runs' });
    const id = store.insertCommand({ sessionId: 's1', text: 'sleep 1' });
    store.close();
    expect(() => store.finishCommand(id, 0)).not.toThrow();
    expect(() => store.endSession('s1', { state: 'ended' })).not.toThrow();
    expect(store.insertCommand({ sessionId: 's1', text: 'late' })).toBe(-1);
  });
});

describe('Store migrations', () => {
  it('still applies a migration whose number is below one already applied', () => {
    const dir = temp();
    const later = { version: 900, name: 'later', sql: 'CREATE TABLE later_table (x INTEGER);' };
    const first = new Store(path.join(dir, 'hoop.db'), [later]);
    first.close();
    const earlier = { version: 800, name: 'merged later with a lower number', sql: 'CREATE TABLE earlier_table (x INTEGER);' };
    const second = new Store(path.join(dir, 'hoop.db'), [later, earlier]);
    expect(second.db.prepare(`SELECT name FROM sqlite_master WHERE name = 'earlier_table'`).get()).toBeDefined();
    expect(second.schemaVersion).toBe(900);
    second.close();
  });
});
