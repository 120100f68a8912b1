/**
 * Agent tokens: an engineer exchanges their own token for a short-lived gateway-signed token with
 * `sub` = the engineer, `act.sub` = the agent and a `connections` limit, so every command the
 * agent runs is audited as "alice via agent claude-1". The rules live here and only here:
 *  - an agent token never mints, lists or revokes agent tokens (no delegation chains);
 *  - it never outlives its engineer's own token, nor `auth.agentTokenMaxTtl`;
 *  - it never reaches a connection its engineer's token could not.
 * Revocation is checked on every verification and ends the token's open sessions.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import { formatDuration, parseDuration } from '../../util/duration.js';

/** 297 → "4m57s": what a person reads in a refusal. */
function humanSeconds(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  if (hours > 0) return `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
  return minutes > 0 ? `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ''}` : `${seconds}s`;
}
import type { Identity } from '../auth/identity.js';
import { mintToken } from '../auth/mint.js';
import type { SigningKey } from '../auth/signing-key.js';
import type { AgentTokenRow, AgentTokenStore } from './agent-token-store.js';

/** Agent tokens default to an hour (or less, when the engineer's own token ends sooner). */
export const DEFAULT_AGENT_TTL_SECONDS = 3600;
/** Below this remaining lifetime a parent token cannot mint: the agent token would be useless. */
const MIN_AGENT_TTL_SECONDS = 10;

export const agentTokenRequestSchema = z
  .object({
    agent: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,62}$/, 'agent must be 1-63 letters, digits, ".", "_", "@" or "-"'),
    ttl: z.string().min(1).optional(),
    connections: z.array(z.string().min(1)).min(1, 'connections must not be empty').optional(),
  })
  .strict();

export type AgentTokenRequest = z.infer<typeof agentTokenRequestSchema>;

export interface MintedAgentToken {
  token: string;
  id: string;
  user: string;
  agent: string;
  connections: string[] | null;
  expiresAt: string;
}

export interface AgentTokenPolicy {
  maxTtlSeconds: number;
  connectionNames: string[];
}

export function parseAgentTokenRequest(body: unknown): AgentTokenRequest {
  const parsed = agentTokenRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new GatewayError('BAD_REQUEST', `${where}${issue.message}`);
  }
  return parsed.data;
}

/** Decides the lifetime: explicit requests beyond a bound are refused, the default is clamped. */
export function agentTokenTtl(request: Pick<AgentTokenRequest, 'ttl'>, parent: Pick<Identity, 'expiresAt'>, maxTtlSeconds: number, now = Date.now()): number {
  const remaining = parent.expiresAt !== undefined ? parent.expiresAt - Math.floor(now / 1000) : maxTtlSeconds;
  if (remaining < MIN_AGENT_TTL_SECONDS) throw new GatewayError('FORBIDDEN', 'your own token is about to expire; log in again first');
  if (request.ttl === undefined) return Math.min(DEFAULT_AGENT_TTL_SECONDS, maxTtlSeconds, remaining);
  const ttl = parseDuration(request.ttl);
  if (ttl === undefined || ttl < 1) throw new GatewayError('BAD_REQUEST', `ttl must be a duration such as 15m or 1h, got "${request.ttl}"`);
  if (ttl > maxTtlSeconds) throw new GatewayError('BAD_REQUEST', `ttl ${request.ttl} is over the maximum of ${formatDuration(maxTtlSeconds)} (auth.agentTokenMaxTtl)`);
  if (ttl > remaining) throw new GatewayError('FORBIDDEN', `ttl ${request.ttl} would outlive your own token (it expires in ${humanSeconds(remaining)})`);
  return Math.round(ttl);
}

/** The connections the agent token is limited to: named ones must exist and be within the parent's. */
export function agentTokenConnections(requested: string[] | undefined, parent: Pick<Identity, 'connections'>, known: string[]): string[] | undefined {
  if (requested === undefined) return parent.connections;
  const unique = [...new Set(requested)];
  for (const name of unique) {
    if (!known.includes(name)) throw new GatewayError('UNKNOWN_CONNECTION', `unknown connection "${name}" (known: ${known.join(', ') || 'none'})`);
    if (parent.connections && !parent.connections.includes(name)) {
      throw new GatewayError('FORBIDDEN', `your token is limited to ${parent.connections.join(', ')}; it cannot grant "${name}"`);
    }
  }
  return unique;
}

export function refuseAgentCaller(identity: Identity, what: string): void {
  if (identity.actor) throw new GatewayError('FORBIDDEN', `an agent token cannot ${what}`);
}

export class AgentTokenIssuer {
  readonly #store: AgentTokenStore;
  readonly #key: SigningKey;
  readonly #policy: () => AgentTokenPolicy;

  constructor(store: AgentTokenStore, key: SigningKey, policy: () => AgentTokenPolicy) {
    this.#store = store;
    this.#key = key;
    this.#policy = policy;
  }

  async mint(parent: Identity, request: AgentTokenRequest): Promise<MintedAgentToken> {
    refuseAgentCaller(parent, 'mint further agent tokens');
    const policy = this.#policy();
    const ttlSeconds = agentTokenTtl(request, parent, policy.maxTtlSeconds);
    const connections = agentTokenConnections(request.connections, parent, policy.connectionNames);
    const id = randomUUID();
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    // The row first: a token that exists must always be listable and revocable.
    this.#store.insert({ id, user: parent.user, agent: request.agent, connections, expiresAt });
    const token = await mintToken(this.#key, { user: parent.user, groups: parent.groups, ttlSeconds, actor: request.agent, connections, jti: id });
    return { token, id, user: parent.user, agent: request.agent, connections: connections ?? null, expiresAt: expiresAt.toISOString() };
  }

  /** Owner or admin may revoke; anyone else gets the same answer as for an unknown id. */
  revoke(caller: Identity, id: string, isAdmin: boolean): AgentTokenRow {
    refuseAgentCaller(caller, 'revoke agent tokens');
    const row = this.#store.get(id);
    if (!row || (row.user !== caller.user && !isAdmin)) throw new GatewayError('NOT_FOUND', `no agent token ${id}`);
    this.#store.revoke(id, caller.user);
    return this.#store.get(id)!;
  }

  list(caller: Identity, options: { all: boolean; isAdmin: boolean; includeExpired: boolean }): AgentTokenRow[] {
    refuseAgentCaller(caller, 'list agent tokens');
    if (options.all && !options.isAdmin) throw new GatewayError('FORBIDDEN', 'listing everyone\'s agent tokens needs the admin role');
    return this.#store.list({ user: options.all ? undefined : caller.user, includeExpired: options.includeExpired });
  }
}
