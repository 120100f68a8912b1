/**
 * Schema migrations, applied in order inside one transaction each; `PRAGMA user_version` holds
 * the last applied version. Append new migrations; never edit one that has shipped.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'sessions and commands',
    sql: `
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        groups TEXT NOT NULL,            -- JSON array
        actor TEXT,
        connection TEXT NOT NULL,
        mode TEXT NOT NULL,              -- shell | broker | runs
        state TEXT NOT NULL,             -- live | ended | interrupted | failed
        started_at TEXT NOT NULL,
        ended_at TEXT,
        exit_code INTEGER,
        end_reason TEXT,
        recording TEXT,
        cols INTEGER,
        rows INTEGER
      );
      CREATE INDEX sessions_started ON sessions(started_at);
      CREATE INDEX sessions_user ON sessions(user);
      CREATE TABLE commands (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES sessions(id),
        text TEXT NOT NULL,
        decision TEXT,                   -- allow | review | deny (filled by policy)
        rule TEXT,
        approver TEXT,
        approval_id TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        exit_code INTEGER
      );
      CREATE INDEX commands_session ON commands(session_id);
      CREATE INDEX commands_started ON commands(started_at);
    `,
  },
  {
    version: 2,
    name: 'kubernetes api requests (kube proxy)',
    sql: `
      CREATE TABLE api_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES sessions(id),
        user TEXT NOT NULL,
        actor TEXT,
        connection TEXT NOT NULL,
        verb TEXT NOT NULL,
        api_group TEXT NOT NULL,
        resource TEXT NOT NULL,          -- '' for discovery and other non-resource URLs
        subresource TEXT,
        namespace TEXT,
        name TEXT,
        path TEXT NOT NULL,
        status INTEGER NOT NULL,         -- HTTP status kubectl got (101 for exec/attach/port-forward)
        decision TEXT,                   -- allow | deny (API-layer policy)
        rule TEXT,
        duration_ms INTEGER NOT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX api_requests_session ON api_requests(session_id);
      CREATE INDEX api_requests_at ON api_requests(at);
    `,
  },
  {
    version: 3,
    name: 'approvals',
    sql: `
      CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,            -- pending | approved | denied | expired
        requester TEXT NOT NULL,
        actor TEXT,
        connection TEXT NOT NULL,
        session_id TEXT NOT NULL,
        command TEXT NOT NULL,
        api_request TEXT,
        layer TEXT NOT NULL,             -- command | api
        rule TEXT NOT NULL,
        why TEXT NOT NULL,               -- JSON array
        groups TEXT NOT NULL,            -- JSON array
        count INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        decided_at TEXT,
        denied_by TEXT,
        reason TEXT
      );
      CREATE INDEX approvals_status ON approvals(status);
      CREATE INDEX approvals_created ON approvals(created_at);
      CREATE TABLE approval_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        approval_id TEXT NOT NULL REFERENCES approvals(id),
        kind TEXT NOT NULL,              -- created | approved | denied | expired | released
        by TEXT,
        reason TEXT,
        at TEXT NOT NULL
      );
      CREATE INDEX approval_events_approval ON approval_events(approval_id);
    `,
  },
  {
    version: 4,
    name: 'audit chain (src/server/audit)',
    sql: `
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY,          -- part of the hash: a removed row breaks the chain
        at TEXT NOT NULL,
        kind TEXT NOT NULL,              -- session.start | session.end | command | approval | api.request | session.terminated | recording | recording.deleted
        session_id TEXT,
        user TEXT,
        actor TEXT,
        connection TEXT,
        data TEXT NOT NULL,              -- JSON
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX audit_kind_at ON audit(kind, at);
      CREATE INDEX audit_session ON audit(session_id);
    `,
  },
  {
    version: 5,
    name: 'agent tokens',
    sql: `
      CREATE TABLE agent_tokens (
        id TEXT PRIMARY KEY,             -- the token's jti
        user TEXT NOT NULL,              -- the engineer (sub)
        agent TEXT NOT NULL,             -- act.sub
        connections TEXT,                -- JSON array, NULL = no limit
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT
      );
      CREATE INDEX agent_tokens_user ON agent_tokens(user);
    `,
  },
];
