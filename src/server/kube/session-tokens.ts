/**
 * Per-session proxy tokens: 32 random bytes, bound to one session and one kubernetes connection,
 * valid only while that session lives. Lookups compare in constant time.
 *
 * It must never accept a token after `revoke`, and never let one session's token act for another.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TokenBinding {
  sessionId: string;
  /** The kubernetes connection whose credential the proxy uses for this token. */
  connection: string;
}

interface Entry extends TokenBinding {
  token: Buffer;
}

const PREFIX = 'hoop-kube.';

export class SessionTokens {
  /** Keyed by a SHA-256 of the token: the map lookup itself leaks nothing about the token. */
  readonly #byDigest = new Map<string, Entry>();

  issue(binding: TokenBinding): string {
    const raw = randomBytes(32);
    const token = `${PREFIX}${raw.toString('base64url')}`;
    this.#byDigest.set(digest(token), { ...binding, token: Buffer.from(token) });
    return token;
  }

  /** The binding of a live token, or undefined. */
  resolve(token: string | undefined): TokenBinding | undefined {
    if (!token || !token.startsWith(PREFIX) || token.length > 256) return undefined;
    const entry = this.#byDigest.get(digest(token));
    if (!entry) return undefined;
    const given = Buffer.from(token);
    if (given.length !== entry.token.length || !timingSafeEqual(given, entry.token)) return undefined;
    return { sessionId: entry.sessionId, connection: entry.connection };
  }

  /** Ends every token of a session (its end, or its cleanup). */
  revoke(sessionId: string): void {
    for (const [key, entry] of this.#byDigest) if (entry.sessionId === sessionId) this.#byDigest.delete(key);
  }

  get size(): number {
    return this.#byDigest.size;
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
