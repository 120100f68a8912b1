/** Mints tokens signed by the gateway's own key (for `hoop-gateway token`). */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { GATEWAY_AUDIENCE, GATEWAY_ISSUER, SIGNING_ALGORITHM, type SigningKey } from './signing-key.js';

export interface MintOptions {
  user: string;
  groups: string[];
  ttlSeconds: number;
  actor?: string;
  connections?: string[];
  /** Token id; a random UUID when not given (agent tokens pass the id they store). */
  jti?: string;
}

export async function mintToken(key: SigningKey, options: MintOptions): Promise<string> {
  const claims: Record<string, unknown> = { groups: options.groups };
  if (options.actor) claims.act = { sub: options.actor };
  if (options.connections) claims.connections = options.connections;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setIssuer(GATEWAY_ISSUER)
    .setAudience(GATEWAY_AUDIENCE)
    .setSubject(options.user)
    .setIssuedAt()
    .setJti(options.jti ?? randomUUID())
    .setExpirationTime(Math.floor(Date.now() / 1000) + Math.round(options.ttlSeconds))
    .sign(key.privateKey);
}
