/**
 * Rows of the agent tokens the gateway minted (migration 5): who, for which agent, limited to
 * which connections, until when, and whether revoked. Never stores the token itself: the id
 * (`jti`) is enough to list and revoke it.
 */
import type Database from 'better-sqlite3';

export interface AgentTokenRow {
  id: string;
  user: string;
  agent: string;
  connections: string[] | null;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

type RawRow = Omit<AgentTokenRow, 'connections'> & { connections: string | null };

const fromRaw = (row: RawRow): AgentTokenRow => ({ ...row, connections: row.connections ? (JSON.parse(row.connections) as string[]) : null });

export class AgentTokenStore {
  readonly #db: Database.Database;
  readonly #revoked: Database.Statement<[string], { revoked_at: string | null }>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#revoked = db.prepare(`SELECT revoked_at FROM agent_tokens WHERE id = ?`);
  }

  insert(row: { id: string; user: string; agent: string; connections?: string[]; expiresAt: Date }): void {
    this.#db
      .prepare(`INSERT INTO agent_tokens (id, user, agent, connections, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(row.id, row.user, row.agent, row.connections ? JSON.stringify(row.connections) : null, new Date().toISOString(), row.expiresAt.toISOString());
  }

  get(id: string): AgentTokenRow | undefined {
    const row = this.#db.prepare(`SELECT * FROM agent_tokens WHERE id = ?`).get(id) as RawRow | undefined;
    return row ? fromRaw(row) : undefined;
  }

  /** Newest first; `user` undefined lists everyone's (admins). */
  list(options: { user?: string; includeExpired?: boolean; limit?: number } = {}): AgentTokenRow[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM agent_tokens WHERE (@user IS NULL OR user = @user) AND (@all = 1 OR expires_at > @now)
         ORDER BY created_at DESC LIMIT @limit`,
      )
      .all({ user: options.user ?? null, all: options.includeExpired ? 1 : 0, now: new Date().toISOString(), limit: options.limit ?? 200 }) as RawRow[];
    return rows.map(fromRaw);
  }

  /** Marks the token revoked (first revocation wins); returns whether this call revoked it. */
  revoke(id: string, by: string): boolean {
    return this.#db.prepare(`UPDATE agent_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL`).run(new Date().toISOString(), by, id).changes > 0;
  }

  isRevoked(id: string): boolean {
    return Boolean(this.#revoked.get(id)?.revoked_at);
  }
}
