/**
 * The gateway's SQLite file (better-sqlite3, WAL): sessions and commands. Synchronous by design:
 * each write is a few microseconds and ordering is then trivially the order of events.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrations, type Migration } from './migrations.js';

export type SessionState = 'live' | 'ended' | 'interrupted' | 'failed';

export interface SessionRow {
  id: string;
  user: string;
  groups: string[];
  actor: string | null;
  connection: string;
  mode: string;
  state: SessionState;
  started_at: string;
  ended_at: string | null;
  exit_code: number | null;
  end_reason: string | null;
  recording: string | null;
  cols: number | null;
  rows: number | null;
}

export interface CommandRow {
  id: number;
  session_id: string;
  text: string;
  decision: string | null;
  rule: string | null;
  approver: string | null;
  approval_id: string | null;
  started_at: string;
  ended_at: string | null;
  exit_code: number | null;
}

export interface NewSession {
  id: string;
  user: string;
  groups: string[];
  actor?: string;
  connection: string;
  mode: string;
  recording?: string;
  cols?: number;
  rows?: number;
}

export const STORE_FILE = 'hoop.db';

export class Store {
  readonly db: Database.Database;

  constructor(file: string, extraMigrations: Migration[] = []) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.#migrate([...migrations, ...extraMigrations]);
  }

  static open(dataDir: string): Store {
    return new Store(path.join(dataDir, STORE_FILE));
  }

  /**
   * Applies every migration not yet recorded in `schema_migrations`, in version order, each in
   * its own transaction. Tracking each version (not only the highest) means a migration merged
   * with a lower number than one already applied still runs.
   */
  #migrate(all: Migration[]): void {
    const fresh = !this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get();
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    if (fresh) {
      // A store from before this table existed applied everything up to user_version.
      const legacy = this.db.pragma('user_version', { simple: true }) as number;
      const record = this.db.prepare(`INSERT OR IGNORE INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`);
      for (const migration of all) if (migration.version <= legacy) record.run(migration.version, migration.name, new Date().toISOString());
    }
    const applied = new Set((this.db.prepare(`SELECT version FROM schema_migrations`).all() as { version: number }[]).map((row) => row.version));
    for (const migration of [...all].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        this.db.prepare(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`).run(migration.version, migration.name, new Date().toISOString());
        const highest = this.db.pragma('user_version', { simple: true }) as number;
        if (migration.version > highest) this.db.pragma(`user_version = ${migration.version}`);
      })();
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  insertSession(session: NewSession): void {
    this.db
      .prepare(
        `INSERT INTO sessions (id, user, groups, actor, connection, mode, state, started_at, recording, cols, rows)
         VALUES (@id, @user, @groups, @actor, @connection, @mode, 'live', @started_at, @recording, @cols, @rows)`,
      )
      .run({
        ...session,
        groups: JSON.stringify(session.groups),
        actor: session.actor ?? null,
        recording: session.recording ?? null,
        cols: session.cols ?? null,
        rows: session.rows ?? null,
        started_at: new Date().toISOString(),
      });
  }

  /**
   * Writes that arrive after close (a program exiting while the gateway stops) are dropped, not
   * thrown: the session row was already ended by the shutdown, and a throw here would escape from
   * a child-process callback and crash the process.
   */
  get closed(): boolean {
    return !this.db.open;
  }

  endSession(id: string, end: { state: SessionState; exitCode?: number | null; reason?: string }): void {
    if (this.closed) return;
    this.db
      .prepare(`UPDATE sessions SET state = ?, ended_at = ?, exit_code = ?, end_reason = ? WHERE id = ? AND state = 'live'`)
      .run(end.state, new Date().toISOString(), end.exitCode ?? null, end.reason ?? null, id);
  }

  /** At start-up: sessions still `live` belong to a gateway that died; they are `interrupted`. */
  markLiveSessionsInterrupted(): number {
    return this.db
      .prepare(`UPDATE sessions SET state = 'interrupted', ended_at = ?, end_reason = 'gateway stopped unexpectedly' WHERE state = 'live'`)
      .run(new Date().toISOString()).changes;
  }

  getSession(id: string): SessionRow | undefined {
    const row = this.db.prepare(`SELECT * FROM sessions WHERE id = ?`).get(id) as (Omit<SessionRow, 'groups'> & { groups: string }) | undefined;
    return row ? { ...row, groups: JSON.parse(row.groups) as string[] } : undefined;
  }

  listSessions(options: { state?: SessionState; user?: string; limit?: number } = {}): SessionRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM sessions WHERE (@state IS NULL OR state = @state) AND (@user IS NULL OR user = @user)
         ORDER BY started_at DESC LIMIT @limit`,
      )
      .all({ state: options.state ?? null, user: options.user ?? null, limit: options.limit ?? 100 }) as (Omit<SessionRow, 'groups'> & { groups: string })[];
    return rows.map((row) => ({ ...row, groups: JSON.parse(row.groups) as string[] }));
  }

  insertCommand(command: { sessionId: string; text: string; decision?: string; rule?: string }): number {
    if (this.closed) return -1;
    const result = this.db
      .prepare(`INSERT INTO commands (session_id, text, decision, rule, started_at) VALUES (?, ?, ?, ?, ?)`)
      .run(command.sessionId, command.text, command.decision ?? null, command.rule ?? null, new Date().toISOString());
    return Number(result.lastInsertRowid);
  }

  updateCommand(id: number, fields: Partial<Pick<CommandRow, 'decision' | 'rule' | 'approver' | 'approval_id' | 'exit_code' | 'ended_at'>>): void {
    const keys = Object.keys(fields) as (keyof typeof fields)[];
    if (keys.length === 0 || this.closed) return;
    const assignments = keys.map((key) => `${key} = @${key}`).join(', ');
    this.db.prepare(`UPDATE commands SET ${assignments} WHERE id = @id`).run({ ...fields, id });
  }

  finishCommand(id: number, exitCode: number | null): void {
    this.updateCommand(id, { exit_code: exitCode, ended_at: new Date().toISOString() });
  }

  listCommands(sessionId: string): CommandRow[] {
    return this.db.prepare(`SELECT * FROM commands WHERE session_id = ? ORDER BY id`).all(sessionId) as CommandRow[];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
