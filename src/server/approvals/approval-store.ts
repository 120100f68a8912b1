/**
 * Approvals in SQLite (migration 3): one row per approval and one audit row per step (created,
 * approved, denied, expired, released). The table is the truth after a restart; it never turns a
 * pending approval into an approved one by itself.
 */
import type Database from 'better-sqlite3';
import type { ApprovalDecisionView, ApprovalStatus, ApprovalView } from '../../protocol/approval.js';

/** An approval as stored: what clients see, less what depends on who is looking. */
export type ApprovalRecord = Omit<ApprovalView, 'canDecide' | 'cannotDecideBecause'>;

interface Row {
  id: string;
  status: ApprovalStatus;
  requester: string;
  actor: string | null;
  connection: string;
  session_id: string;
  command: string;
  api_request: string | null;
  layer: 'command' | 'api';
  rule: string;
  why: string;
  groups: string;
  count: number;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  denied_by: string | null;
  reason: string | null;
}

export class ApprovalStore {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  insert(record: ApprovalRecord): void {
    this.#db
      .prepare(
        `INSERT INTO approvals (id, status, requester, actor, connection, session_id, command, api_request, layer, rule, why, groups, count, created_at, expires_at)
         VALUES (@id, @status, @requester, @actor, @connection, @sessionId, @command, @apiRequest, @layer, @rule, @why, @groups, @count, @createdAt, @expiresAt)`,
      )
      .run({
        ...record,
        actor: record.actor ?? null,
        apiRequest: record.apiRequest ?? null,
        why: JSON.stringify(record.why),
        groups: JSON.stringify(record.groups),
      });
    this.event(record.id, 'created', record.requester, undefined, record.createdAt);
  }

  event(approvalId: string, kind: string, by: string | undefined, reason: string | undefined, at = new Date().toISOString()): void {
    this.#db.prepare(`INSERT INTO approval_events (approval_id, kind, by, reason, at) VALUES (?, ?, ?, ?, ?)`).run(approvalId, kind, by ?? null, reason ?? null, at);
  }

  /** Records one approval by `by`; the row stays pending until `count` are in. */
  addApproval(id: string, by: string, reason: string | undefined, at: string): void {
    this.event(id, 'approved', by, reason, at);
  }

  /** Moves a pending approval to its final state; false when it was no longer pending. */
  finish(id: string, status: Exclude<ApprovalStatus, 'pending'>, fields: { deniedBy?: string; reason?: string; at: string }): boolean {
    const changes = this.#db
      .prepare(`UPDATE approvals SET status = ?, decided_at = ?, denied_by = ?, reason = ? WHERE id = ? AND status = 'pending'`)
      .run(status, fields.at, fields.deniedBy ?? null, fields.reason ?? null, id).changes;
    if (changes > 0 && status !== 'approved') this.event(id, status, fields.deniedBy, fields.reason, fields.at);
    return changes > 0;
  }

  get(id: string): ApprovalRecord | undefined {
    const row = this.#db.prepare(`SELECT * FROM approvals WHERE id = ?`).get(id) as Row | undefined;
    return row ? this.#toRecord(row) : undefined;
  }

  list(options: { all: boolean; limit?: number }): ApprovalRecord[] {
    const rows = this.#db
      .prepare(`SELECT * FROM approvals WHERE (@all = 1 OR status = 'pending') ORDER BY created_at DESC LIMIT @limit`)
      .all({ all: options.all ? 1 : 0, limit: options.limit ?? 200 }) as Row[];
    return rows.map((row) => this.#toRecord(row));
  }

  pendingIds(): string[] {
    return (this.#db.prepare(`SELECT id FROM approvals WHERE status = 'pending'`).all() as { id: string }[]).map((row) => row.id);
  }

  #toRecord(row: Row): ApprovalRecord {
    const approvals = (
      this.#db.prepare(`SELECT by, reason, at FROM approval_events WHERE approval_id = ? AND kind = 'approved' ORDER BY id`).all(row.id) as { by: string; reason: string | null; at: string }[]
    ).map((event) => ({ by: event.by, at: event.at, ...(event.reason ? { reason: event.reason } : {}) }));
    return {
      id: row.id,
      status: row.status,
      requester: row.requester,
      ...(row.actor ? { actor: row.actor } : {}),
      connection: row.connection,
      sessionId: row.session_id,
      command: row.command,
      ...(row.api_request ? { apiRequest: row.api_request } : {}),
      layer: row.layer,
      rule: row.rule,
      why: JSON.parse(row.why) as string[],
      groups: JSON.parse(row.groups) as string[],
      count: row.count,
      approvals,
      ...(row.denied_by ? { deniedBy: row.denied_by } : {}),
      ...(row.reason ? { reason: row.reason } : {}),
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      ...(row.decided_at ? { decidedAt: row.decided_at } : {}),
    };
  }
}
