/**
 * The append-only audit table: every row carries SHA-256(previous hash + its own fields), so an
 * edited, inserted or removed row breaks the chain from there on; recording rows carry the
 * SHA-256 of the finished .cast file. It appends and verifies; it never updates or deletes a row.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  kind: string;
  sessionId?: string | null;
  user?: string | null;
  actor?: string | null;
  connection?: string | null;
  data: Record<string, unknown>;
}

export interface AuditRow {
  id: number;
  at: string;
  kind: string;
  session_id: string | null;
  user: string | null;
  actor: string | null;
  connection: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

export type VerifyResult =
  | { intact: true; rows: number; recordings: number; head: string }
  | { intact: false; rows: number; recordings: number; head: string; row?: number; file?: string; reason: string };

export function rowHash(row: Omit<AuditRow, 'hash'>): string {
  const fields = [row.id, row.at, row.kind, row.session_id, row.user, row.actor, row.connection, row.data, row.prev_hash];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/** Synchronous on purpose: `audit verify` and crash sealing (live sessions use the writer's digest). */
export function sha256File(file: string): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  const fd = openSync(file, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
      bytes += read;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** JSON that cannot throw (cycles, BigInt): audit must never take the gateway down. */
export function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value ?? {}, (_key, item: unknown) => {
      if (typeof item === 'bigint') return item.toString();
      if (item && typeof item === 'object') {
        if (seen.has(item)) return '[cycle]';
        seen.add(item);
      }
      return item;
    });
  } catch {
    return '{}';
  }
}

export class AuditChain {
  readonly #db: Database.Database;
  readonly #recordingsDir: string;

  constructor(db: Database.Database, recordingsDir: string) {
    this.#db = db;
    this.#recordingsDir = recordingsDir;
  }

  /** Appends one row in a transaction (the previous hash is read and used atomically). */
  append(entry: AuditEntry): AuditRow {
    return this.#db.transaction(() => {
      const last = this.#db.prepare(`SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1`).get() as { id: number; hash: string } | undefined;
      const row: Omit<AuditRow, 'hash'> = {
        id: (last?.id ?? 0) + 1,
        at: new Date().toISOString(),
        kind: entry.kind,
        session_id: entry.sessionId ?? null,
        user: entry.user ?? null,
        actor: entry.actor ?? null,
        connection: entry.connection ?? null,
        data: safeJson(entry.data),
        prev_hash: last?.hash ?? GENESIS_HASH,
      };
      const full: AuditRow = { ...row, hash: rowHash(row) };
      this.#db
        .prepare(`INSERT INTO audit (id, at, kind, session_id, user, actor, connection, data, prev_hash, hash) VALUES (@id, @at, @kind, @session_id, @user, @actor, @connection, @data, @prev_hash, @hash)`)
        .run(full);
      return full;
    })();
  }

  /** Where a recording row's file lives; only plain file names inside the recordings dir. */
  recordingFile(name: string): string | undefined {
    if (!/^[A-Za-z0-9._-]+\.cast$/.test(name)) return undefined;
    return path.join(this.#recordingsDir, name);
  }

  /** Rows in order, filtered in SQL. */
  rows(filter: { kinds?: string[]; sessionId?: string; user?: string; connection?: string; since?: string; limit?: number } = {}): AuditRow[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.kinds?.length) {
      where.push(`kind IN (${filter.kinds.map((_, i) => `@k${i}`).join(', ')})`);
      filter.kinds.forEach((kind, i) => (params[`k${i}`] = kind));
    }
    if (filter.sessionId) (where.push('session_id = @session'), (params.session = filter.sessionId));
    if (filter.user) (where.push('user = @user'), (params.user = filter.user));
    if (filter.connection) (where.push('connection = @connection'), (params.connection = filter.connection));
    if (filter.since) (where.push('at >= @since'), (params.since = filter.since));
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT @limit`;
    return this.#db.prepare(sql).all({ ...params, limit: filter.limit ?? 100_000 }) as AuditRow[];
  }

  /** The first row or recording that no longer matches, or intact. */
  verify(): VerifyResult {
    let previous = GENESIS_HASH;
    let expectedId = 1;
    let rows = 0;
    const recordings: { row: number; file: string; sha256: string }[] = [];
    const deleted = new Set<string>();
    for (const row of this.#db.prepare(`SELECT * FROM audit ORDER BY id`).iterate() as Iterable<AuditRow>) {
      rows += 1;
      const broken = (reason: string): VerifyResult => ({ intact: false, rows, recordings: recordings.length, head: previous, row: row.id, reason });
      if (row.id !== expectedId) return broken(`row ${expectedId} is missing (next is ${row.id})`);
      if (row.prev_hash !== previous) return broken(`row ${row.id} does not link to row ${row.id - 1}`);
      if (rowHash(row) !== row.hash) return broken(`row ${row.id} was changed after it was written`);
      previous = row.hash;
      expectedId += 1;
      let data: { file?: unknown; sha256?: unknown };
      try {
        data = JSON.parse(row.data) as typeof data;
      } catch {
        return broken(`row ${row.id} has unreadable data`);
      }
      if (row.kind === 'recording' && typeof data.file === 'string' && typeof data.sha256 === 'string') recordings.push({ row: row.id, file: data.file, sha256: data.sha256 });
      if (row.kind === 'recording.deleted' && typeof data.file === 'string') deleted.add(data.file);
    }
    for (const recording of recordings) {
      const file = this.recordingFile(recording.file);
      const broken = (reason: string): VerifyResult => ({ intact: false, rows, recordings: recordings.length, head: previous, row: recording.row, file: file ?? recording.file, reason });
      if (!file) return broken(`row ${recording.row} names an invalid recording file`);
      if (!existsSync(file)) {
        if (deleted.has(recording.file)) continue;
        return broken(`recording ${file} is missing (no retention row deleted it)`);
      }
      if (sha256File(file).sha256 !== recording.sha256) return broken(`recording ${file} no longer matches its SHA-256 (row ${recording.row})`);
    }
    return { intact: true, rows, recordings: recordings.length, head: previous };
  }
}
