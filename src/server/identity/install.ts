/**
 * Wires identity into a started gateway (issue 8): external OIDC issuers into the verifier,
 * agent-token revocation as a verifier check, the agent-token and auth-config endpoints, and the
 * rule that an agent's session ends when its token is revoked or expires. Logs ids, users and
 * reasons; never a token.
 */
import { parseDuration } from '../../util/duration.js';
import { describeIdentity } from '../auth/identity.js';
import { oidcTrustedIssuer } from '../auth/oidc-issuer.js';
import { GATEWAY_ISSUER } from '../auth/signing-key.js';
import { refuseToken } from '../auth/verifier.js';
import type { Gateway } from '../gateway.js';
import type { Session } from '../session/session.js';
import { AgentTokenStore } from './agent-token-store.js';
import { AgentTokenIssuer, parseAgentTokenRequest } from './agent-tokens.js';

/** setTimeout's ceiling; agent tokens live hours, so this only guards odd configs. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function installIdentity(gateway: Gateway): void {
  for (const entry of gateway.config.auth.oidc) {
    const { issuer, keys } = oidcTrustedIssuer(entry, gateway.logger);
    gateway.verifier.addIssuer(issuer);
    keys.warmUp();
  }

  const store = new AgentTokenStore(gateway.store.db);
  gateway.verifier.addCheck((payload, trusted) => {
    if (trusted.issuer === GATEWAY_ISSUER && payload.act && typeof payload.jti === 'string' && store.isRevoked(payload.jti)) {
      throw refuseToken('agent token revoked');
    }
  });
  const tokens = new AgentTokenIssuer(store, gateway.signingKey, () => ({
    maxTtlSeconds: parseDuration(gateway.config.auth.agentTokenMaxTtl) ?? 8 * 3600,
    connectionNames: gateway.config.connections.map((connection) => connection.name),
  }));

  // Public: what `hoop-shell login` needs to find the IdP. Nothing here is secret.
  gateway.router.add(
    'GET',
    '/v1/auth/config',
    () => ({
      issuers: gateway.config.auth.oidc.map((entry) => ({
        issuer: entry.issuer,
        audience: entry.audience,
        ...(entry.clientId ? { clientId: entry.clientId } : {}),
        scopes: entry.scopes,
      })),
    }),
    { public: true },
  );

  gateway.router.add('POST', '/v1/tokens/agent', async ({ identity, body }) => {
    const minted = await tokens.mint(identity, parseAgentTokenRequest(await body()));
    gateway.logger.log('info', 'agent-token.minted', { id: minted.id, user: minted.user, agent: minted.agent, connections: minted.connections ?? 'any', expires: minted.expiresAt });
    return minted;
  });

  gateway.router.add('GET', '/v1/tokens/agent', ({ identity, query }) =>
    tokens.list(identity, { all: query.get('all') === 'true', includeExpired: query.get('expired') === 'true', isAdmin: gateway.hasRole(identity, 'admin') }),
  );

  gateway.router.add('DELETE', '/v1/tokens/agent/:id', ({ identity, params }) => {
    const row = tokens.revoke(identity, params.id!, gateway.hasRole(identity, 'admin'));
    const ended = endSessionsOfToken(gateway, row.id, `agent token of ${row.user} for ${row.agent} was revoked by ${identity.user}`);
    gateway.logger.log('info', 'agent-token.revoked', { id: row.id, user: row.user, agent: row.agent, by: identity.user, sessionsEnded: ended });
    return { ...row, sessionsEnded: ended };
  });

  // An agent's session lasts no longer than its token: verification happened at the WebSocket
  // upgrade, so the expiry is enforced here for the session that outlives it.
  gateway.events.on('session.start', (session: Session) => {
    const { actor, expiresAt, tokenId } = session.identity;
    if (!actor || expiresAt === undefined) return;
    // The socket was verified before a revocation that came while the session was opening.
    if (tokenId && store.isRevoked(tokenId)) return endSession(session, 'agent token revoked');
    const delay = expiresAt * 1000 - Date.now();
    if (delay > MAX_TIMER_MS) return;
    const timer = setTimeout(() => endSession(session, `agent token of ${describeIdentity(session.identity)} expired`), Math.max(0, delay));
    timer.unref();
    session.once('end', () => clearTimeout(timer));
  });
}

function endSession(session: Session, reason: string): void {
  session.notify({ type: 'error', code: 'UNAUTHENTICATED', message: reason, fatal: true });
  void session.end({ exitCode: null, reason });
}

/** Ends every open session opened with the token `id`; returns how many. */
export function endSessionsOfToken(gateway: Gateway, id: string, reason: string): number {
  let ended = 0;
  for (const session of gateway.sessions.values()) {
    if (session.identity.tokenId !== id) continue;
    endSession(session, reason);
    ended += 1;
  }
  return ended;
}
