/**
 * Deletes recordings past the configured retention (`recording.retention.maxAge` / `maxBytes`),
 * oldest first, and writes each deletion as an audit row so `verify` knows the file is gone on
 * purpose. It never touches the recording of a live session, and never deletes audit rows.
 */
import { existsSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { describeError } from '../../errors.js';
import { parseDuration } from '../../util/duration.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { AuditLog } from './audit-log.js';

export interface RetentionSettings {
  maxAge?: string;
  maxBytes?: number | string;
}

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

export function parseBytes(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(value);
  const unit = match ? BYTE_UNITS[match[2]!.toLowerCase()] : undefined;
  return match && unit ? Math.floor(Number(match[1]) * unit) : undefined;
}

export interface DeletedRecording {
  sessionId: string;
  file: string;
  bytes: number;
  reason: string;
}

export class RecordingRetention {
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #logger: Logger;
  readonly #maxAgeSeconds?: number;
  readonly #maxBytes?: number;

  constructor(settings: RetentionSettings, store: Store, audit: AuditLog, logger: Logger) {
    this.#store = store;
    this.#audit = audit;
    this.#logger = logger;
    this.#maxAgeSeconds = settings.maxAge ? parseDuration(settings.maxAge) : undefined;
    this.#maxBytes = parseBytes(settings.maxBytes);
  }

  get enabled(): boolean {
    return this.#maxAgeSeconds !== undefined || this.#maxBytes !== undefined;
  }

  /** One pass: age first, then size (oldest first). Returns what it deleted. */
  sweep(now = Date.now()): DeletedRecording[] {
    if (!this.enabled) return [];
    const rows = this.#store.db
      .prepare(`SELECT id, user, actor, connection, state, recording, started_at, ended_at FROM sessions WHERE recording IS NOT NULL ORDER BY started_at, id`)
      .all() as { id: string; user: string; actor: string | null; connection: string; state: string; recording: string; started_at: string; ended_at: string | null }[];
    const files = rows
      .filter((row) => existsSync(row.recording))
      .map((row) => ({ ...row, bytes: statSync(row.recording).size, endedAt: Date.parse(row.ended_at ?? row.started_at) }));
    let total = files.reduce((sum, file) => sum + file.bytes, 0);
    const deleted: DeletedRecording[] = [];
    const remove = (file: (typeof files)[number], reason: string): void => {
      try {
        unlinkSync(file.recording);
      } catch (error) {
        this.#logger.log('warn', 'retention.delete-failed', { file: file.recording, error: describeError(error) });
        return;
      }
      total -= file.bytes;
      const entry = { sessionId: file.id, file: path.basename(file.recording), bytes: file.bytes, reason };
      deleted.push(entry);
      this.#audit.write({ kind: 'recording.deleted', sessionId: file.id, user: file.user, actor: file.actor, connection: file.connection, data: { file: entry.file, bytes: entry.bytes, reason } });
    };
    const finished = files.filter((file) => file.state !== 'live');
    const gone = new Set<string>();
    if (this.#maxAgeSeconds !== undefined) {
      for (const file of finished) {
        if (now - file.endedAt > this.#maxAgeSeconds * 1000) {
          remove(file, `older than recording.retention.maxAge`);
          gone.add(file.id);
        }
      }
    }
    if (this.#maxBytes !== undefined) {
      for (const file of finished) {
        if (total <= this.#maxBytes) break;
        if (gone.has(file.id)) continue;
        remove(file, `over recording.retention.maxBytes`);
      }
    }
    if (deleted.length > 0) this.#logger.log('info', 'retention.deleted', { count: deleted.length });
    return deleted;
  }
}
