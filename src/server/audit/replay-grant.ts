/**
 * Browser access to one session's replay. Browsers cannot send an Authorization header when they
 * navigate, so a bearer token (from `?token=` or the sign-in form) is exchanged once for a
 * short-lived grant: a JWT signed by the gateway key with audience `hoop-replay` (so it is never
 * accepted as an API token), naming the user and the one session, kept in an HttpOnly,
 * SameSite=Strict cookie scoped to `/replay/<id>`. It never logs or echoes a token.
 */
import { SignJWT, jwtVerify } from 'jose';
import type { IncomingMessage } from 'node:http';
import { GATEWAY_ISSUER, SIGNING_ALGORITHM, type SigningKey } from '../auth/signing-key.js';

export const REPLAY_AUDIENCE = 'hoop-replay';
export const REPLAY_COOKIE = 'hoop_replay';
/** Long enough to watch a session, short enough that a copied cookie soon stops working. */
export const REPLAY_GRANT_SECONDS = 15 * 60;

/** Session ids are UUIDs; anything else never reaches the file system (path traversal). */
export const SESSION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ReplayGrant {
  user: string;
  sessionId: string;
}

export async function mintReplayGrant(key: SigningKey, grant: ReplayGrant): Promise<string> {
  return new SignJWT({ sid: grant.sessionId })
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid })
    .setIssuer(GATEWAY_ISSUER)
    .setAudience(REPLAY_AUDIENCE)
    .setSubject(grant.user)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + REPLAY_GRANT_SECONDS)
    .sign(key.privateKey);
}

/** The grant in the request's cookie if it is valid for `sessionId`; undefined otherwise. */
export async function readReplayGrant(key: SigningKey, request: IncomingMessage, sessionId: string): Promise<ReplayGrant | undefined> {
  const value = cookieValue(request.headers.cookie, REPLAY_COOKIE);
  if (!value) return undefined;
  try {
    const { payload } = await jwtVerify(value, key.publicKey, { issuer: GATEWAY_ISSUER, audience: REPLAY_AUDIENCE, algorithms: [SIGNING_ALGORITHM] });
    if (payload.sid !== sessionId || typeof payload.sub !== 'string') return undefined;
    return { user: payload.sub, sessionId };
  } catch {
    return undefined;
  }
}

export function grantCookie(sessionId: string, grant: string): string {
  return `${REPLAY_COOKIE}=${grant}; Path=/replay/${sessionId}; Max-Age=${REPLAY_GRANT_SECONDS}; HttpOnly; SameSite=Strict`;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
