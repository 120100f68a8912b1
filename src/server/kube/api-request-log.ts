/**
 * The `api_requests` table (migration 2): one row per Kubernetes API request a session made
 * through the proxy — who, what, the answer and how long it took. Writes are synchronous and
 * tiny (see store.ts). It never stores request or response bodies (they may carry secrets).
 */
import type { Store } from '../store/store.js';

export interface ApiRequestRow {
  id: number;
  session_id: string;
  user: string;
  actor: string | null;
  connection: string;
  verb: string;
  api_group: string;
  resource: string;
  subresource: string | null;
  namespace: string | null;
  name: string | null;
  path: string;
  status: number;
  decision: string | null;
  rule: string | null;
  duration_ms: number;
  at: string;
}

export type NewApiRequest = Omit<ApiRequestRow, 'id'>;

export function recordApiRequest(store: Store, row: NewApiRequest): void {
  store.db
    .prepare(
      `INSERT INTO api_requests (session_id, user, actor, connection, verb, api_group, resource, subresource, namespace, name, path, status, decision, rule, duration_ms, at)
       VALUES (@session_id, @user, @actor, @connection, @verb, @api_group, @resource, @subresource, @namespace, @name, @path, @status, @decision, @rule, @duration_ms, @at)`,
    )
    .run(row);
}

export function listApiRequests(store: Store, filter: { sessionId?: string; user?: string; limit?: number } = {}): ApiRequestRow[] {
  return store.db
    .prepare(
      `SELECT * FROM api_requests WHERE (@session IS NULL OR session_id = @session) AND (@user IS NULL OR user = @user)
       ORDER BY id LIMIT @limit`,
    )
    .all({ session: filter.sessionId ?? null, user: filter.user ?? null, limit: filter.limit ?? 10_000 }) as ApiRequestRow[];
}
